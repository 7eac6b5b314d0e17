import fs from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { exchangeProductName, parseTradedProduct } from "../../sdk/exchange-api";
import { formatAmount } from "../../sdk/transfers";
import { formatYuan } from "../../sdk/units";
import { when, type CommandResult } from "./format";
import type { Action } from "./program";
import type { Session } from "./session";
import { postToExchange, price } from "./trading";

/**
 * `ets exchange halt|resume|close-day`: the exchange operator's endpoints (`/v1/admin/…`),
 * authenticated with the operator token (ETS_OPERATOR_TOKEN or `--token-file`), not a wallet.
 */

interface OperatorOptions {
  tokenFile?: string;
  reason?: string;
}

const whole = z.string().regex(/^\d+$/).transform(BigInt);
const haltSchema = z.object({ product: z.string(), halted: z.boolean() });
const closeDaySchema = z.object({
  day: z.number(),
  bars: z.array(
    z.object({
      product: z.string(),
      open: whole,
      high: whole,
      low: whole,
      close: whole,
      volume: whole,
      turnover: whole,
      trades: z.number(),
      blockVolume: whole,
      previousClose: whole,
    }),
  ),
});

export function registerExchangeAdminCommands(program: Command, action: Action): void {
  const exchange = program
    .command("exchange")
    .description(
      "the exchange operator's controls: halt or resume a product, close the trading day (operator token, not a wallet)",
    );
  const common = (c: Command) =>
    c
      .option(
        "--token-file <file>",
        "file whose first line is the operator token (npm start writes data/exchange/operator-token); default: env ETS_OPERATOR_TOKEN",
      )
      .option("--reason <text>", "why: written to the exchange's log with the action");

  for (const act of ["halt", "resume"] as const) {
    common(
      exchange
        .command(act)
        .description(
          act === "halt"
            ? "halt trading in a product: new orders and block deals are refused with PRODUCT_HALTED; cancels still work"
            : "resume trading in a halted product",
        )
        .argument("<product>", "TJEA14 (or 2014) for allowances, CCER-3 for CCER"),
    ).action(
      action(async (session, [input], o) => {
        const opts = o as OperatorOptions;
        const name = exchangeProductName(parseTradedProduct(input ?? ""));
        const token = operatorToken(session, opts);
        const r = await postToExchange(
          session,
          `/v1/admin/products/${encodeURIComponent(name)}/${act}`,
          reasonBody(opts),
          haltSchema,
          { token },
        );
        return {
          data: r,
          text: [
            r.halted
              ? `${r.product} is HALTED at the exchange: new orders and block deals are refused (PRODUCT_HALTED); cancels still work. Resume with: ets exchange resume ${r.product}`
              : `${r.product} is trading at the exchange.`,
          ],
        };
      }),
    );
  }

  common(
    exchange
      .command("close-day")
      .description(
        "close the trading day of every product: each close (volume-weighted average of the day's continuous trades, or the previous close) becomes the centre of the next day's price band",
      ),
  ).action(
    action(async (session, _args, o) => {
      const opts = o as OperatorOptions;
      const token = operatorToken(session, opts);
      const r = await postToExchange(session, "/v1/admin/close-day", reasonBody(opts), closeDaySchema, { token });
      return closeDayResult(r);
    }),
  );
}

function closeDayResult(r: z.output<typeof closeDaySchema>): CommandResult {
  return {
    data: {
      day: { unix: r.day, iso: new Date(r.day * 1000).toISOString().replace(".000Z", "Z") },
      bars: r.bars.map((b) => ({
        product: b.product,
        open: b.open.toString(),
        high: b.high.toString(),
        low: b.low.toString(),
        close: b.close.toString(),
        closeCny: formatYuan(b.close),
        previousClose: b.previousClose.toString(),
        volume: b.volume.toString(),
        turnover: b.turnover.toString(),
        trades: b.trades,
        blockVolume: b.blockVolume.toString(),
      })),
    },
    text: [
      `Closed the trading day at ${when(r.day)}:`,
      ...(r.bars.length
        ? r.bars.map((b) =>
            b.trades === 0
              ? `  ${b.product}: no continuous trades; the close stays ${price(b.close)}${blockWords(b.blockVolume)}.`
              : `  ${b.product}: close ${price(b.close)} (volume-weighted average of ${b.trades} trade${b.trades === 1 ? "" : "s"}, ${formatAmount("allowance", b.volume)}; open ${price(b.open)}, high ${price(b.high)}, low ${price(b.low)}; previous close ${price(b.previousClose)})${blockWords(b.blockVolume)}.`,
          )
        : ["  no products are traded yet."]),
      "Each close is the centre of the next day's price band.",
    ],
  };
}

function blockWords(volume: bigint): string {
  return volume > 0n ? `; block deals ${formatAmount("allowance", volume)} (not in the close)` : "";
}

function reasonBody(opts: OperatorOptions): Record<string, string> {
  if (opts.reason === undefined) return {};
  const reason = opts.reason.trim();
  if (!reason) throw clientError("MISSING_VALUE", "--reason is empty; say why, or leave it out.");
  return { reason };
}

/**
 * The operator token: the first line of `--token-file`, else ETS_OPERATOR_TOKEN. Never printed.
 * Neither given: OPERATOR_TOKEN_MISSING (the exchange's code for the same condition), before
 * anything is sent.
 */
function operatorToken(session: Session, opts: OperatorOptions): string {
  if (opts.tokenFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(opts.tokenFile, "utf8");
    } catch {
      throw clientError("FILE_UNREADABLE", `The operator token file ${opts.tokenFile} cannot be read.`, {
        file: opts.tokenFile,
      });
    }
    const token = (text.split(/\r?\n/)[0] ?? "").trim();
    if (token) return token;
    throw new DomainError(
      "OPERATOR_TOKEN_MISSING",
      `The operator token file ${opts.tokenFile} is empty.`,
      "unauthorised",
    );
  }
  const token = session.deps.env.ETS_OPERATOR_TOKEN?.trim();
  if (token) return token;
  throw new DomainError(
    "OPERATOR_TOKEN_MISSING",
    "No operator token: set ETS_OPERATOR_TOKEN or give --token-file <file> (npm start writes data/exchange/operator-token).",
    "unauthorised",
  );
}
