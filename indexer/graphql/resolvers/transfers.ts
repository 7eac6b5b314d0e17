import type { SelectQueryBuilder } from "kysely";
import type { Database } from "../../store/schema";
import { address, bigintArg, decodeCursor, encodeCursor, first as firstArg } from "../args";
import * as map from "../mappers";
import type { GraphQLContext } from "./context";
import { countOf, toConnection } from "./lists";

interface TransferWhere {
  account?: string;
  from?: string;
  to?: string;
  token?: string;
  tokenId?: bigint;
  kind?: string;
  kind_in?: string[];
  status?: string;
  status_in?: string[];
  createdBlock_gt?: number;
  createdBlock_lt?: number;
}

type TransferQuery = SelectQueryBuilder<Database, "transfers", object>;

const nonEmpty = (list: string[]) => (list.length ? list.map(map.lower) : ["-"]);

export const transferResolvers = {
  Query: {
    transfers: async (
      _: unknown,
      args: {
        where?: TransferWhere | null;
        first?: number | null;
        after?: string | null;
        orderDirection?: "asc" | "desc";
      },
      ctx: GraphQLContext,
    ) => {
      const n = firstArg(args.first);
      const dir = args.orderDirection ?? "desc";
      const w = args.where ?? {};
      const account = w.account ? address(w.account, "where.account") : undefined;
      const after = decodeCursor("transfers", args.after);
      const filtered = (q: TransferQuery) => {
        q = q.where("to_block", "is", null);
        if (w.from) q = q.where("from", "=", address(w.from, "where.from"));
        if (w.to) q = q.where("to", "=", address(w.to, "where.to"));
        if (w.token) q = q.where("token", "=", map.CONTRACT_OF_TOKEN[w.token] ?? w.token);
        if (w.tokenId !== undefined && w.tokenId !== null) q = q.where("token_id", "=", w.tokenId);
        if (w.kind) q = q.where("kind", "=", map.lower(w.kind));
        if (w.kind_in) q = q.where("kind", "in", nonEmpty(w.kind_in));
        if (w.status) q = q.where("status", "=", map.lower(w.status));
        if (w.status_in) q = q.where("status", "in", nonEmpty(w.status_in));
        if (w.createdBlock_gt !== undefined && w.createdBlock_gt !== null)
          q = q.where("created_block", ">", BigInt(w.createdBlock_gt));
        if (w.createdBlock_lt !== undefined && w.createdBlock_lt !== null)
          q = q.where("created_block", "<", BigInt(w.createdBlock_lt));
        return q;
      };
      const paged = (q: TransferQuery) => {
        if (!after) return q;
        const block = bigintArg(after[0], "cursor");
        const key = String(after[1]);
        const op = dir === "asc" ? ">" : "<";
        return q.where((eb) =>
          eb.or([
            eb("created_block", op, block),
            eb.and([eb("created_block", "=", block), eb("transfer_key", op, key)]),
          ]),
        );
      };
      const db = ctx.store.db;
      // Either side of one account: two index ranges (sent; received from others), merged.
      const sides = account
        ? [
            (q: TransferQuery) => q.where("from", "=", account),
            (q: TransferQuery) => q.where("to", "=", account).where("from", "<>", account),
          ]
        : [(q: TransferQuery) => q];
      // Each side in its account index's own order (the leading columns are fixed by the filter, so
      // the order is the same): PostgreSQL then reads that index rather than scanning the newest
      // transfers of everyone for the account's.
      const leading: ("from" | "to")[] = ["from", "to"];
      const count = async () => {
        let total = 0;
        for (const side of sides) total += await countOf(side(filtered(db.selectFrom("transfers"))))();
        return total;
      };
      const page = sides.map((side, i) =>
        paged(side(filtered(db.selectFrom("transfers"))))
          .selectAll()
          .$if(account !== undefined, (q) => q.orderBy(leading[i]!, dir).orderBy("to_block", dir))
          .orderBy("created_block", dir)
          .orderBy("transfer_key", dir)
          .limit(n + 1),
      );
      const rows =
        page.length === 1
          ? await page[0]!.execute()
          : await db
              .selectFrom(page[0]!.as("sent"))
              .selectAll()
              .unionAll(db.selectFrom(page[1]!.as("received")).selectAll())
              .orderBy("created_block", dir)
              .orderBy("transfer_key", dir)
              .limit(n + 1)
              .execute();
      return toConnection(
        rows,
        n,
        (r) => encodeCursor("transfers", [r.created_block.toString(), r.transfer_key]),
        (page) => page.map(map.transfer),
        count,
      );
    },
  },
};
