/** The OpenAPI 3.1 document of the exchange's REST API (served at /v1/openapi.json). */
const amount = { type: "string", pattern: "^[0-9]+$", description: "A whole number as a decimal string" };
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" };
const error = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
};
const errors = {
  "400": {
    description: "Malformed or invalid request",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "403": {
    description: "Bad signature, or trader not active",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "404": {
    description: "Unknown product or order",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "409": {
    description: "Conflicts with the state (balance, nonce, status)",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "429": {
    description: "Rate limited",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
};
const json = (ref: string) => ({
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "ETS Ledger exchange",
    version: "1",
    description:
      "Continuous trading of allowance vintages (TJEA13, TJEA14, …) and CCER batches. Orders are EIP-712 messages signed by the trader's wallet (domain {name: 'ETS Clearing', version: '1', chainId, verifyingContract: Clearing}); prices are fen per tonne, quantities tonnes, times unix seconds. Errors are { error: { code, message } } with a 4xx status.",
  },
  paths: {
    "/v1/orders": {
      post: {
        summary: "Submit a signed order",
        requestBody: { required: true, ...json("SignedOrder") },
        responses: {
          "201": { description: "Accepted and durable; the trades it made at once", ...json("OrderResult") },
          ...errors,
        },
      },
      get: {
        summary: "A trader's orders",
        parameters: [
          { name: "trader", in: "query", required: true, schema: address },
          { name: "status", in: "query", schema: { type: "string", enum: ["open", "all"] } },
        ],
        responses: {
          "200": {
            description: "Orders",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: { orders: { type: "array", items: { $ref: "#/components/schemas/Order" } } },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    "/v1/orders/cancel": {
      post: {
        summary: "Cancel an order by its nonce (signed Cancel(address trader,uint256 nonce,uint64 expiry))",
        requestBody: { required: true, ...json("SignedCancel") },
        responses: {
          "200": {
            description: "The cancelled order",
            content: {
              "application/json": {
                schema: { type: "object", properties: { order: { $ref: "#/components/schemas/Order" } } },
              },
            },
          },
          ...errors,
        },
      },
    },
    "/v1/withdrawals": {
      post: {
        summary:
          "Withdraw from the trading account to the registry wallet (signed Withdrawal), executed in the next settlement batch",
        requestBody: { required: true, ...json("SignedWithdrawal") },
        responses: { "202": { description: "Accepted" }, ...errors },
      },
    },
    "/v1/products": { get: { summary: "Products traded", responses: { "200": { description: "Products" } } } },
    "/v1/books/{product}": {
      get: {
        summary: "Order book depth, price band and the day's bar",
        parameters: [
          { name: "product", in: "path", required: true, schema: { type: "string", examples: ["TJEA14", "CCER-3"] } },
          { name: "levels", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
        ],
        responses: { "200": { description: "Depth" }, ...errors },
      },
    },
    "/v1/trades": {
      get: {
        summary: "Recent trades, newest first, with their settlement state",
        parameters: [
          { name: "product", in: "query", schema: { type: "string" } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 } },
        ],
        responses: { "200": { description: "Trades" }, ...errors },
      },
    },
    "/v1/accounts/{address}": {
      get: {
        summary: "Trading account: balance after every matched trade, reserved by open orders, available",
        parameters: [{ name: "address", in: "path", required: true, schema: address }],
        responses: { "200": { description: "Positions" }, ...errors },
      },
    },
    "/v1/stream": {
      get: {
        summary: "WebSocket: {type:'trade'} and {type:'book'} messages",
        responses: { "101": { description: "Switching protocols" } },
      },
    },
    "/healthz": {
      get: {
        summary: "Liveness and settlement state",
        responses: { "200": { description: "OK" }, "503": { description: "Chain unreachable" } },
      },
    },
    "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "Metrics" } } } },
  },
  components: {
    schemas: {
      Error: error,
      Order: {
        type: "object",
        properties: {
          hash: { type: "string" },
          trader: address,
          product: { type: "string" },
          side: { type: "string", enum: ["buy", "sell"] },
          price: amount,
          quantity: amount,
          filled: amount,
          timeInForce: { type: "string", enum: ["GTC", "IOC", "FOK"] },
          nonce: amount,
          status: { type: "string", enum: ["open", "filled", "cancelled", "expired", "unfilled", "rejected"] },
        },
      },
      OrderResult: {
        type: "object",
        properties: {
          order: { $ref: "#/components/schemas/Order" },
          trades: { type: "array", items: { type: "object" } },
        },
      },
      SignedOrder: {
        type: "object",
        required: ["order", "signature"],
        properties: {
          order: {
            type: "object",
            required: ["trader", "token", "tokenId", "isBuy", "price", "quantity", "timeInForce", "nonce", "expiry"],
            properties: {
              trader: address,
              token: { ...address, description: "AllowanceToken or OffsetToken" },
              tokenId: { ...amount, description: "Vintage year or CCER batch id" },
              isBuy: { type: "boolean" },
              price: {
                ...amount,
                description: "Limit price, fen per tonne (a market order is an IOC at its protective limit)",
              },
              quantity: { ...amount, description: "Tonnes" },
              timeInForce: { type: "integer", enum: [0, 1, 2], description: "0 = GTC, 1 = IOC, 2 = FOK" },
              nonce: { ...amount, description: "Unique per trader" },
              expiry: { ...amount, description: "Unix seconds; 0 = none" },
            },
          },
          signature: { type: "string", description: "EIP-712 signature (eth_signTypedData_v4)" },
        },
      },
      SignedCancel: {
        type: "object",
        required: ["cancel", "signature"],
        properties: {
          cancel: { type: "object", properties: { trader: address, nonce: amount, expiry: amount } },
          signature: { type: "string" },
        },
      },
      SignedWithdrawal: {
        type: "object",
        required: ["withdrawal", "signature"],
        properties: {
          withdrawal: {
            type: "object",
            properties: { trader: address, token: address, tokenId: amount, amount, nonce: amount, expiry: amount },
          },
          signature: { type: "string" },
        },
      },
    },
  },
} as const;
