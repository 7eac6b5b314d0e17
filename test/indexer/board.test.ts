import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Access, AuthState } from "../../indexer/auth/access";
import { createIndexerYoga } from "../../indexer/graphql/yoga";
import { SECTORS } from "../../indexer/indexing/handlers/registry";
import { openStore, type Store } from "../../indexer/store/open";

const YEAR = 2014;
const ENTITIES = 3_000;
const HEAD = 200;

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Version = Record<string, any> & { from_block: number; to_block: number | null };

/** Versions of one key: each value from its block until the next one's. */
function versions(values: [number, Record<string, any>][]): Version[] {
  return values.map(([from, v], i) => ({ ...v, from_block: from, to_block: values[i + 1]?.[0] ?? null }));
}

const inForce = (rows: Version[], block: number) =>
  rows.find((r) => r.from_block <= block && (r.to_block === null || r.to_block > block));

/**
 * The compliance board on a synthetic store of thousands of entities with many versions each: equal
 * at every block to the same figures computed row by row in JS, and one SQL aggregate fast enough.
 */
describe("indexer compliance board on a large store", function () {
  this.timeout(120_000);
  let dir: string;
  let store: Store;
  const entities: Version[][] = [];
  const compliance: Version[][] = [];
  const reports: Version[][] = [];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-board-"));
    store = await openStore({ sqliteFile: path.join(dir, "board.sqlite") });
    const rnd = random(42);
    const pick = (n: number) => Math.floor(rnd() * n);
    for (let i = 0; i < ENTITIES; i++) {
      const id = 10_000 + i;
      const sector = SECTORS[1 + pick(SECTORS.length - 1)]!;
      const registered = 1 + pick(50);
      entities.push(
        versions([
          [
            registered,
            {
              entity_id: id,
              category: "covered_entity",
              sector,
              name: `E${id}`,
              credit_code_hash: "0x",
              registered_block: registered,
            },
          ],
        ]),
      );
      // Covered (most of them) from an allocation block; an obligation once approved or estimated;
      // surrenders in up to three steps; a result at the close (block 150) for some.
      const covered = rnd() < 0.9;
      const position = {
        entity_id: id,
        year: YEAR,
        status: covered ? "open" : "none",
        covered: covered ? 1 : 0,
        closed: 0,
        obligation: null as number | null,
        allowances_surrendered: 0,
        offsets_surrendered: 0,
        shortfall: 0,
        fine: 0,
        flagged_until: 0,
      };
      const cv: [number, Record<string, any>][] = [[registered + 1 + pick(10), { ...position }]];
      const rv: [number, Record<string, any>][] = [];
      let block = cv[0]![0];
      const report = {
        entity_id: id,
        year: YEAR,
        status: "none",
        version: 0,
        reported_total: null as number | null,
        submitter: null,
        content_hash: null,
        submitted_late: 0,
        verifier_entity_id: 3001,
        verified_total: null as number | null,
        opinion: null as string | null,
        statement_hash: null,
        verified_late: 0,
        obligation: null as number | null,
        reason: null as string | null,
      };
      const stage = pick(6); // how far its report got
      if (stage >= 1) rv.push([(block += 1 + pick(5)), { ...report }]);
      if (stage >= 2)
        rv.push([
          (block += 1 + pick(5)),
          { ...report, status: "submitted", version: 1, reported_total: 1000 + pick(5000) },
        ]);
      if (stage >= 3)
        rv.push([
          (block += 1 + pick(5)),
          { ...rv[rv.length - 1]![1], status: "verified", verified_total: 1000 + pick(5000), opinion: "positive" },
        ]);
      if (stage >= 4) {
        const estimated = stage === 5 && rnd() < 0.5;
        const obligation = estimated ? 2000 + pick(3000) : (rv[rv.length - 1]![1].verified_total as number);
        rv.push([
          (block += 1 + pick(5)),
          { ...rv[rv.length - 1]![1], status: estimated ? "estimated" : "approved", obligation },
        ]);
        if (covered) cv.push([block, { ...cv[cv.length - 1]![1], obligation }]);
      }
      if (covered && stage >= 4) {
        for (let s = 0; s < pick(4); s++) {
          const last = cv[cv.length - 1]![1];
          const next: Record<string, any> = {
            ...last,
            allowances_surrendered: last.allowances_surrendered + pick(2000),
            offsets_surrendered: last.offsets_surrendered + pick(200),
          };
          next.status =
            next.allowances_surrendered + next.offsets_surrendered >= next.obligation ? "compliant" : "open";
          cv.push([(block += 1 + pick(8)), next]);
        }
        if (rnd() < 0.5) {
          const last = cv[cv.length - 1]![1];
          const done = last.allowances_surrendered + last.offsets_surrendered;
          const shortfall = Math.max(0, last.obligation - done);
          cv.push([
            150,
            { ...last, closed: 1, status: shortfall ? "shortfall" : "compliant", shortfall, fine: shortfall * 10 },
          ]);
        }
      }
      compliance.push(versions(cv));
      reports.push(versions(rv));
    }
    const insert = async (db: any, table: string, rows: Record<string, any>[]) => {
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto(table)
          .values(rows.slice(i, i + 500))
          .execute();
      }
    };
    await store.db.transaction().execute(async (trx) => {
      await insert(trx, "entities", entities.flat());
      await insert(trx, "compliance", compliance.flat());
      await insert(trx, "reports", reports.flat());
      await trx
        .insertInto("cursor")
        .values({ id: "main", block_number: HEAD, block_hash: "0x", updated_at: 0 })
        .execute();
    });
  });

  after(async function () {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The board at `block` computed entity by entity. */
  function expected(block: number) {
    const rows = new Map<string, any>();
    for (let i = 0; i < ENTITIES; i++) {
      const c = inForce(compliance[i]!, block);
      const e = inForce(entities[i]!, block);
      if (!c || !e || c.covered !== 1) continue;
      const r = inForce(reports[i]!, block);
      const row = rows.get(e.sector) ?? {
        sector: e.sector.toUpperCase(),
        covered: 0,
        compliant: 0,
        inShortfall: 0,
        open: 0,
        notReported: 0,
        reported: 0,
        verified: 0,
        approved: 0,
        estimated: 0,
        obligation: 0,
        outstanding: 0,
        shortfall: 0,
        fines: 0,
      };
      row.covered++;
      if (c.status === "compliant") row.compliant++;
      if (c.status === "shortfall") row.inShortfall++;
      if (c.status === "open") row.open++;
      const rs = r?.status ?? "none";
      if (rs === "none") row.notReported++;
      else if (rs === "submitted" || rs === "returned") row.reported++;
      else row[rs]++;
      const done = c.allowances_surrendered + c.offsets_surrendered;
      row.obligation += c.obligation ?? 0;
      row.outstanding += c.obligation !== null && c.obligation > done ? c.obligation - done : 0;
      row.shortfall += c.shortfall;
      row.fines += c.fine;
      rows.set(e.sector, row);
    }
    return SECTORS.filter((s) => rows.has(s)).map((s) => {
      const r = rows.get(s);
      return {
        ...r,
        obligation: String(r.obligation),
        outstanding: String(r.outstanding),
        shortfall: String(r.shortfall),
        fines: String(r.fines),
      };
    });
  }

  it("equals the figures computed entity by entity, at every block, in one fast aggregate", async function () {
    // This store has no chain behind it: a regulator's session is taken as given (access has its own tests).
    const regulator = {
      authenticate: async (): Promise<AuthState> => ({
        session: { address: "0x" + "11".repeat(20), role: "REGULATOR", expiresAt: Date.now() + 3_600_000 },
        refusal: null,
      }),
    } as unknown as Access;
    const yoga = createIndexerYoga({
      store,
      access: regulator,
      log: pino({ level: "silent" }),
      status: () => ({ head: HEAD, nodeReachable: true, headSeenAt: null, reorgs: 0, confirmations: 0 }),
    });
    const board = async (block?: number) => {
      const started = performance.now();
      const res = await yoga.fetch("http://localhost/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `query($b: BlockInput) { complianceBoard(year: ${YEAR}, block: $b) { sectors { sector covered compliant inShortfall
            open notReported reported verified approved estimated obligation outstanding shortfall fines } total { covered } } }`,
          variables: { b: block === undefined ? null : { number: block } },
        }),
      });
      const body: any = await res.json();
      expect(body.errors, JSON.stringify(body.errors)).to.equal(undefined);
      return { board: body.data.complianceBoard, ms: performance.now() - started };
    };
    let covered = 0;
    for (const block of [5, 20, 40, 60, 80, 149, 150, HEAD]) {
      const { board: b } = await board(block);
      expect(b.sectors, `block ${block}`).to.deep.equal(expected(block));
      covered = b.total.covered;
    }
    expect(covered).to.be.greaterThan(ENTITIES * 0.8);
    const now = await board();
    expect(now.board.sectors).to.deep.equal(expected(HEAD));
    const past = await board(100);
    // One indexed aggregate each: well under a second for thousands of entities, even on a busy machine.
    expect(now.ms, `now: ${now.ms} ms`).to.be.lessThan(1_000);
    expect(past.ms, `past: ${past.ms} ms`).to.be.lessThan(1_000);
  });
});
