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
const errorBody = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
/** The answers of an operator endpoint besides its success. */
const operatorErrors = {
  "400": errorBody("Malformed body (REQUEST_INVALID)"),
  "401": errorBody("No operator token (OPERATOR_TOKEN_MISSING) or a wrong one (OPERATOR_TOKEN_INVALID)"),
  "404": errorBody("Unknown product (PRODUCT_UNKNOWN)"),
  "503": errorBody("No operator token configured (OPERATOR_DISABLED), or the exchange is stopping"),
};
const operatorBody = {
  required: false,
  content: {
    "application/json": {
      schema: {
        type: "object",
        additionalProperties: false,
        properties: { reason: { type: "string", maxLength: 500, description: "Why; logged with the action" } },
      },
    },
  },
};
const productParam = {
  name: "product",
  in: "path",
  required: true,
  schema: { type: "string", examples: ["TJEA14", "CCER-3"] },
};
const haltState = {
  description: "Done (journalled)",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["product", "halted"],
        properties: { product: { type: "string" }, halted: { type: "boolean" } },
      },
    },
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
    "/v1/block-deals": {
      post: {
        summary:
          "Submit a block deal (大宗协议交易): a buy and a sell order, each signed by its own trader, traded with each other in full outside the book",
        description:
          "The signed Order type has no counterparty field: the pairing is this request. Both orders must be for the same product, price and quantity, of opposite sides (`buy.order.isBuy` true, `sell.order.isBuy` false) and of two different traders; the quantity at least the block minimum (100,000 t by default), the price within the block band (±30 % of the previous close by default); the product not halted; each order's nonce new and not expired; both signatures valid and both trading accounts covering their side. Journalled as one command and settled on chain like any trade (the sell order counts as the maker for fees). Not part of the day's close.",
        requestBody: { required: true, ...json("BlockDeal") },
        responses: {
          "201": { description: "Accepted, durable and traded", ...json("BlockDealResult") },
          ...errors,
        },
      },
    },
    "/v1/admin/products/{product}/halt": {
      post: {
        summary:
          "Operator: halt trading in a product (new orders and block deals refused with PRODUCT_HALTED; cancels work)",
        security: [{ operatorToken: [] }],
        parameters: [productParam],
        requestBody: operatorBody,
        responses: { "200": haltState, ...operatorErrors },
      },
    },
    "/v1/admin/products/{product}/resume": {
      post: {
        summary: "Operator: resume trading in a halted product",
        security: [{ operatorToken: [] }],
        parameters: [productParam],
        requestBody: operatorBody,
        responses: { "200": haltState, ...operatorErrors },
      },
    },
    "/v1/admin/close-day": {
      post: {
        summary:
          "Operator: close the trading day of every product; each close (the VWAP of the day's continuous trades, or the previous close) becomes the next day's reference",
        security: [{ operatorToken: [] }],
        requestBody: operatorBody,
        responses: {
          "200": {
            description: "The day's bars (journalled)",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    day: { type: "integer", description: "Unix seconds of the close" },
                    bars: { type: "array", items: { $ref: "#/components/schemas/Bar" } },
                  },
                },
              },
            },
          },
          ...operatorErrors,
        },
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
        summary:
          "WebSocket: {type:'hello'} on connect, then {type:'trade'} for every trade (once durable) and {type:'book'} at most every 100 ms per product that changed; send {type:'subscribe', products?:[…], channels?:['trade','book']} to narrow them (answered {type:'subscribed'} and the current books); a malformed message is answered {type:'error', error:{code:'STREAM_MESSAGE_INVALID', message}} and the connection stays open",
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
    securitySchemes: {
      operatorToken: {
        type: "http",
        scheme: "bearer",
        description: "The operator token (ETS_OPERATOR_TOKEN or ETS_OPERATOR_TOKEN_FILE of the exchange)",
      },
    },
    schemas: {
      Error: error,
      Trade: {
        type: "object",
        properties: {
          tradeId: amount,
          product: { type: "string" },
          price: amount,
          quantity: amount,
          buyer: address,
          seller: address,
          kind: { type: "string", enum: ["continuous", "block"] },
          aggressor: { type: "string", enum: ["buy", "sell"] },
          buyerFee: amount,
          sellerFee: amount,
          at: { type: "integer" },
          settlement: { type: "string", enum: ["pending", "settled", "rejected"] },
        },
      },
      BlockDeal: {
        type: "object",
        required: ["buy", "sell"],
        additionalProperties: false,
        properties: {
          buy: { $ref: "#/components/schemas/SignedOrder", description: "The buyer's signed order (isBuy true)" },
          sell: { $ref: "#/components/schemas/SignedOrder", description: "The seller's signed order (isBuy false)" },
        },
      },
      BlockDealResult: {
        type: "object",
        properties: {
          trade: { $ref: "#/components/schemas/Trade" },
          buy: { $ref: "#/components/schemas/Order" },
          sell: { $ref: "#/components/schemas/Order" },
        },
      },
      Bar: {
        type: "object",
        properties: {
          product: { type: "string" },
          open: amount,
          high: amount,
          low: amount,
          close: { ...amount, description: "VWAP of the day's continuous trades (fen), or the previous close" },
          volume: amount,
          turnover: amount,
          trades: { type: "integer" },
          blockVolume: { ...amount, description: "Tonnes traded in block deals (not in the close)" },
          previousClose: amount,
        },
      },
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
          trades: { type: "array", items: { $ref: "#/components/schemas/Trade" } },
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
