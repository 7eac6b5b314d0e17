import fs from "node:fs";
import { z } from "zod";
import { envInteger } from "../sdk/env";

const integer = envInteger;
/** An optional variable; set to the empty string counts as unset. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/** Shortest operator token accepted (characters). */
export const OPERATOR_TOKEN_MIN_LENGTH = 16;

const envSchema = z.object({
  /** Address the exchange API listens on. Default `127.0.0.1`. */
  ETS_EXCHANGE_HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** Its port. Default `8600`; `0` picks a free port (tests). */
  ETS_EXCHANGE_PORT: integer(0, 65535).default("8600"),
  /** The order journal. Default `<data dir>/exchange/journal.log`. */
  ETS_EXCHANGE_JOURNAL: z.string().trim().min(1).optional(),
  /** Most trades in one settlement batch. Default `500`. */
  ETS_SETTLEMENT_BATCH_SIZE: integer(1, 2000).default("500"),
  /** Longest a trade waits for a fuller batch, in ms. Default `200`. */
  ETS_SETTLEMENT_LATENCY_MS: integer(0, 60_000).default("200"),
  /** Settlement batches in flight at once. Default `4`. */
  ETS_SETTLEMENT_IN_FLIGHT: integer(1, 16).default("4"),
  /** Reference price (fen per tonne) of a product before its first close. Default `3000` (¥30.00). */
  ETS_REFERENCE_PRICE: integer(1, 2_000_000_000).default("3000"),
  /** Continuous-trading price band around the reference, basis points. Default `1000` (±10 %). */
  ETS_PRICE_BAND_BPS: integer(0, 10_000).default("1000"),
  /** Self-trade prevention: `none`, `cancel-taker` or `cancel-maker`. Default `cancel-taker`. */
  ETS_SELF_TRADE_PREVENTION: z.enum(["none", "cancel-taker", "cancel-maker"]).default("cancel-taker"),
  /** Write a snapshot of the exchange's state after this many journal records (and at shutdown). Default `50000`. */
  ETS_SNAPSHOT_EVERY: integer(1, 100_000_000).default("50000"),
  /** Requests per second one trader may send. Default `200`. */
  ETS_RATE_LIMIT_PER_SECOND: integer(1, 100_000).default("200"),
  /**
   * Bearer token of the operator endpoints (`/v1/admin/…`: halt, resume, close the day), at least
   * 16 characters. Default: none, and the operator endpoints answer 503 OPERATOR_DISABLED.
   */
  ETS_OPERATOR_TOKEN: optional(
    z
      .string()
      .trim()
      .min(OPERATOR_TOKEN_MIN_LENGTH, `at least ${OPERATOR_TOKEN_MIN_LENGTH} characters`)
      .regex(/^\S+$/, "no spaces"),
  ),
  /**
   * Instead of ETS_OPERATOR_TOKEN: a file whose first line is the token, readable by its owner only
   * (mode 0600; `npm start` writes `<data dir>/exchange/operator-token`). Default: none.
   */
  ETS_OPERATOR_TOKEN_FILE: optional(z.string().trim().min(1)),
});

export type ExchangeEnv = z.infer<typeof envSchema>;

/** Reads the exchange's configuration from the environment; a bad value names its variable. */
export function readExchangeEnv(env: NodeJS.ProcessEnv = process.env): ExchangeEnv {
  const parsed = envSchema
    .refine((e) => e.ETS_OPERATOR_TOKEN === undefined || e.ETS_OPERATOR_TOKEN_FILE === undefined, {
      message: "set ETS_OPERATOR_TOKEN or ETS_OPERATOR_TOKEN_FILE, not both",
      path: ["ETS_OPERATOR_TOKEN_FILE"],
    })
    .safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid exchange configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/**
 * The operator token: ETS_OPERATOR_TOKEN, or the first line of ETS_OPERATOR_TOKEN_FILE (refused
 * when other users may read the file, or when the token is too short); undefined when neither is
 * set (the operator endpoints are then disabled).
 */
export function readOperatorToken(env: ExchangeEnv): string | undefined {
  if (env.ETS_OPERATOR_TOKEN !== undefined) return env.ETS_OPERATOR_TOKEN;
  const file = env.ETS_OPERATOR_TOKEN_FILE;
  if (file === undefined) return undefined;
  let text: string;
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`ETS_OPERATOR_TOKEN_FILE ${file} cannot be read: ${(err as Error).message}`);
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new Error(
      `ETS_OPERATOR_TOKEN_FILE ${file} may be read by other users (mode 0${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  const token = (text.split(/\r?\n/)[0] ?? "").trim();
  if (token.length < OPERATOR_TOKEN_MIN_LENGTH || /\s/.test(token)) {
    throw new Error(
      `ETS_OPERATOR_TOKEN_FILE ${file}: the first line must be a token of at least ${OPERATOR_TOKEN_MIN_LENGTH} characters without spaces`,
    );
  }
  return token;
}
