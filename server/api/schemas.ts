import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be an address (0x and 40 hex digits)");
const hexSignature = z
  .string()
  .regex(/^0x[0-9a-fA-F]+$/, "must be a hex signature")
  .max(2 + 2 * 4096);
/** A whole number as a decimal string (JSON numbers lose precision), or a safe JSON integer. */
const whole = (what: string, max = 2n ** 256n - 1n) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const text = String(v).trim();
    if (!/^\d+$/.test(text)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${what} must be a whole number written in decimal digits`,
      });
      return z.NEVER;
    }
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${what} is too large for a JSON number; send it as a string`,
      });
      return z.NEVER;
    }
    const n = BigInt(text);
    if (n > max) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${what} is out of range` });
      return z.NEVER;
    }
    return n;
  });

export const orderSchema = z
  .object({
    trader: address,
    token: address,
    tokenId: whole("tokenId"),
    isBuy: z.boolean(),
    price: whole("price"),
    quantity: whole("quantity"),
    timeInForce: z.number().int().min(0).max(2),
    nonce: whole("nonce"),
    expiry: whole("expiry", 2n ** 64n - 1n),
  })
  .strict();

export const signedOrderSchema = z.object({ order: orderSchema, signature: hexSignature }).strict();

export const cancelSchema = z
  .object({
    cancel: z.object({ trader: address, nonce: whole("nonce"), expiry: whole("expiry", 2n ** 64n - 1n) }).strict(),
    signature: hexSignature,
  })
  .strict();

export const withdrawalSchema = z
  .object({
    withdrawal: z
      .object({
        trader: address,
        token: address,
        tokenId: whole("tokenId"),
        amount: whole("amount"),
        nonce: whole("nonce"),
        expiry: whole("expiry", 2n ** 64n - 1n),
      })
      .strict(),
    signature: hexSignature,
  })
  .strict();

/** POST /v1/block-deals: the two signed orders of a block deal, each by its own trader. */
export const blockDealSchema = z.object({ buy: signedOrderSchema, sell: signedOrderSchema }).strict();

/** The optional body of an operator action: why (logged with the action). */
export const operatorBodySchema = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

export type StreamChannel = "trade" | "book";

/** A message a WebSocket client sends on /v1/stream. */
export const streamMessageSchema = z
  .object({
    type: z.literal("subscribe"),
    /** Products to follow (TJEA14, CCER-3); absent = all. */
    products: z
      .array(z.string().regex(/^(TJEA\d{2}|CCER-\d+)$/i, "must be a product name such as TJEA14 or CCER-3"))
      .min(1)
      .max(100)
      .optional(),
    /** Channels to receive; absent = both. */
    channels: z
      .array(z.enum(["trade", "book"]))
      .min(1)
      .optional(),
  })
  .strict();

export const addressParam = address;
export const limitQuery = z.coerce.number().int().min(1).max(1000).default(100);
