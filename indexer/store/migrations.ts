import type { CreateTableBuilder, Kysely, Migration, MigrationProvider } from "kysely";
import { Migrator, sql } from "kysely";

// Migrations are code, listed here in order; a new one is appended, never edited once released.
// Types: `bigint` for every integer (amounts, blocks, ids, flags), `text` for everything else; the
// same DDL runs on SQLite and PostgreSQL.

type Table = CreateTableBuilder<string, never>;
/** Column kinds: `int` / `text` are NOT NULL, `int?` / `text?` nullable. */
type Columns = Record<string, "int" | "int?" | "text" | "text?">;

function columns(t: Table, spec: Columns): Table {
  for (const [name, kind] of Object.entries(spec)) {
    const type = kind.startsWith("int") ? "bigint" : "text";
    t = kind.endsWith("?") ? t.addColumn(name, type) : t.addColumn(name, type, (c) => c.notNull());
  }
  return t;
}

/** A versioned table: its key, `from_block` and `to_block` (see `schema.ts`). */
async function createVersioned(db: Kysely<unknown>, name: string, key: string[], spec: Columns) {
  await columns(db.schema.createTable(name) as Table, { ...spec, from_block: "int", to_block: "int?" })
    .addPrimaryKeyConstraint(`${name}_pk`, [...key, "from_block"] as never[])
    .execute();
  // The current row of a key (`to_block` null) in one probe, however many versions it has; and at
  // most one current row per key. Partial: it holds only current rows.
  await db.schema
    .createIndex(`${name}_current`)
    .on(name)
    .columns(key)
    .unique()
    .where(sql.ref("to_block"), "is", null)
    .execute();
  // Rollback: the versions that ended above a block.
  await db.schema.createIndex(`${name}_to_block`).on(name).column("to_block").execute();
}

/** A table of facts placed by the log that produced each. */
async function createFact(db: Kysely<unknown>, name: string, spec: Columns) {
  await columns(db.schema.createTable(name) as Table, { ...spec, block_number: "int", log_index: "int" })
    .addPrimaryKeyConstraint(`${name}_pk`, ["block_number", "log_index"] as never[])
    .execute();
}

const m0001: Migration = {
  async up(db) {
    await db.schema
      .createTable("meta")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("value", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("cursor")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("block_number", "bigint", (c) => c.notNull())
      .addColumn("block_hash", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("blocks")
      .addColumn("number", "bigint", (c) => c.primaryKey())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("parent_hash", "text", (c) => c.notNull())
      .addColumn("timestamp", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("transactions")
      .addColumn("hash", "text", (c) => c.primaryKey())
      .addColumn("block_number", "bigint", (c) => c.notNull())
      .addColumn("tx_index", "bigint", (c) => c.notNull())
      .addColumn("from", "text", (c) => c.notNull())
      .addColumn("to", "text")
      .addColumn("selector", "text")
      .execute();
    await db.schema.createIndex("transactions_block").on("transactions").column("block_number").execute();
    await db.schema
      .createTable("events")
      .addColumn("block_number", "bigint", (c) => c.notNull())
      .addColumn("log_index", "bigint", (c) => c.notNull())
      .addColumn("tx_hash", "text", (c) => c.notNull())
      .addColumn("tx_index", "bigint", (c) => c.notNull())
      .addColumn("contract", "text", (c) => c.notNull())
      .addColumn("address", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("args", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("events_pk", ["block_number", "log_index"])
      .execute();
    await db.schema.createIndex("events_contract_name").on("events").columns(["contract", "name"]).execute();
    await db.schema.createIndex("events_tx").on("events").column("tx_hash").execute();

    await createVersioned(db, "entities", ["entity_id"], {
      entity_id: "int",
      category: "text",
      sector: "text",
      name: "text",
      credit_code_hash: "text",
      registered_block: "int",
    });
    await createVersioned(db, "accounts", ["wallet"], {
      wallet: "text",
      entity_id: "int",
      status: "text",
      opened_block: "int",
    });
    await db.schema.createIndex("accounts_entity").on("accounts").columns(["entity_id", "to_block"]).execute();
    await createVersioned(db, "holdings", ["account", "token", "token_id"], {
      account: "text",
      token: "text",
      token_id: "int",
      balance: "int",
      locked: "int",
    });
    await createVersioned(db, "transfers", ["transfer_key"], {
      transfer_key: "text",
      token: "text",
      token_id: "int",
      kind: "text",
      status: "text",
      from: "text",
      to: "text",
      amount: "int",
      pending_id: "int?",
      release_at: "int?",
      case_ref: "text?",
      created_block: "int",
      created_at: "int",
      tx_hash: "text",
      closed_block: "int?",
    });
    await db.schema.createIndex("transfers_from").on("transfers").columns(["from", "created_block"]).execute();
    await db.schema.createIndex("transfers_to").on("transfers").columns(["to", "created_block"]).execute();
    await db.schema
      .createIndex("transfers_created")
      .on("transfers")
      .columns(["created_block", "transfer_key"])
      .execute();
    await db.schema.createIndex("transfers_pending").on("transfers").columns(["token", "pending_id"]).execute();
    await createVersioned(db, "supply", ["token", "token_id"], {
      token: "text",
      token_id: "int",
      minted: "int",
      burned: "int",
      surrendered: "int",
      cancelled: "int",
      clawed_back: "int",
      in_trading: "int",
      pending: "int",
    });
    await createVersioned(db, "caps", ["year"], { year: "int", cap: "int", reserve_bps: "int", reserve: "int" });
    await createVersioned(db, "reports", ["entity_id", "year"], {
      entity_id: "int",
      year: "int",
      status: "text",
      version: "int",
      reported_total: "int?",
      submitter: "text?",
      content_hash: "text?",
      submitted_late: "int",
      verifier_entity_id: "int?",
      verified_total: "int?",
      opinion: "text?",
      statement_hash: "text?",
      verified_late: "int",
      obligation: "int?",
      reason: "text?",
    });
    await createVersioned(db, "compliance", ["entity_id", "year"], {
      entity_id: "int",
      year: "int",
      status: "text",
      covered: "int",
      closed: "int",
      obligation: "int?",
      allowances_surrendered: "int",
      offsets_surrendered: "int",
      shortfall: "int",
      fine: "int",
      flagged_until: "int",
    });
    await db.schema.createIndex("compliance_year").on("compliance").columns(["year", "to_block"]).execute();
    await createVersioned(db, "trading_balances", ["trader", "token", "token_id"], {
      trader: "text",
      token: "text",
      token_id: "int",
      balance: "int",
    });
    await createVersioned(db, "settings", ["key"], { key: "text", value: "text" });

    await createFact(db, "ccer_batches", {
      batch_id: "int",
      to: "text",
      amount: "int",
      project_id: "text",
      project_type: "text",
      hydro: "int",
      reduction_start: "int",
      reduction_end: "int",
      origin_ref: "text",
    });
    await createFact(db, "allocations", {
      kind: "text",
      year: "int",
      entity_id: "int",
      wallet: "text",
      gross: "int",
      deducted: "int",
      amount: "int",
      new_entrant: "int",
      reason: "text?",
    });
    await db.schema.createIndex("allocations_entity").on("allocations").columns(["entity_id", "year"]).execute();
    await createFact(db, "surrenders", {
      entity_id: "int",
      year: "int",
      wallet: "text",
      kind: "text",
      token_id: "int",
      amount: "int",
      tx_hash: "text",
    });
    await db.schema.createIndex("surrenders_entity").on("surrenders").columns(["entity_id", "year"]).execute();
    await createFact(db, "cancellations", {
      certificate_id: "int",
      holder: "text",
      kind: "text",
      token_id: "int",
      amount: "int",
    });
    await createFact(db, "certificates", {
      certificate_id: "int",
      holder: "text",
      entity_id: "int",
      allowances: "int",
      offsets: "int",
      beneficiary: "text",
      purpose: "text",
    });
    await createFact(db, "trades", {
      trade_id: "int",
      buyer: "text",
      seller: "text",
      token: "text",
      token_id: "int",
      quantity: "int",
      price: "int",
      buy_order_hash: "text",
      sell_order_hash: "text",
      buyer_fee: "int",
      seller_fee: "int",
      tx_hash: "text",
      timestamp: "int",
    });
    await db.schema.createIndex("trades_id").on("trades").column("trade_id").unique().execute();
  },
};

/** Surveillance alerts: raised by the rules at ingest (derived) and by reconciliation. */
const m0002: Migration = {
  async up(db) {
    await columns(db.schema.createTable("alerts") as Table, {
      block_number: "int",
      log_index: "int",
      rule: "text",
      subject: "text",
      severity: "text",
      entity_id: "int?",
      account: "text?",
      token: "text?",
      token_id: "int?",
      tx_hash: "text?",
      timestamp: "int",
      message: "text",
      details: "text",
    })
      .addPrimaryKeyConstraint("alerts_pk", ["block_number", "log_index", "rule", "subject"] as never[])
      .execute();
    await db.schema.createIndex("alerts_rule").on("alerts").columns(["rule", "block_number"]).execute();
    await db.schema.createIndex("alerts_entity").on("alerts").columns(["entity_id", "block_number"]).execute();
  },
};

/**
 * Access and reconciliation: login nonces, sessions, reconciliation runs. Not derived from the
 * chain's events: rollbacks and rebuilds leave them alone (they are in neither VERSIONED_TABLES nor
 * FACT_TABLES).
 */
const m0004: Migration = {
  async up(db) {
    await columns(db.schema.createTable("auth_nonces") as Table, {
      nonce: "text",
      created_at: "int",
      expires_at: "int",
      used_at: "int?",
    })
      .addPrimaryKeyConstraint("auth_nonces_pk", ["nonce"] as never[])
      .execute();
    await db.schema.createIndex("auth_nonces_expires").on("auth_nonces").column("expires_at").execute();
    await columns(db.schema.createTable("sessions") as Table, {
      token_hash: "text",
      address: "text",
      role: "text?",
      created_at: "int",
      expires_at: "int",
      checked_at: "int",
      ended_at: "int?",
    })
      .addPrimaryKeyConstraint("sessions_pk", ["token_hash"] as never[])
      .execute();
    await db.schema.createIndex("sessions_expires").on("sessions").column("expires_at").execute();
    await columns(db.schema.createTable("reconciliations") as Table, {
      id: "text",
      block_number: "int",
      started_at: "int",
      finished_at: "int",
      checked: "text",
      differences: "int",
      report: "text",
    })
      .addPrimaryKeyConstraint("reconciliations_pk", ["id"] as never[])
      .execute();
    await db.schema.createIndex("reconciliations_block").on("reconciliations").column("block_number").execute();
  },
};

/**
 * Market data (daily bars per product, each product's latest figures), the state of the supervision
 * rules (seller→buyer pairs, trusted accounts, reporting calendars, attestations, flags) and the
 * indexes of the trades and alerts lists.
 */
const m0005: Migration = {
  async up(db) {
    await createVersioned(db, "market_days", ["token", "token_id", "day"], {
      token: "text",
      token_id: "int",
      day: "text",
      open: "int",
      high: "int",
      low: "int",
      close: "int",
      last: "int",
      volume: "int",
      notional: "int",
      trade_count: "int",
      prev_close: "int?",
      first_trade_id: "int",
      last_trade_id: "int",
    });
    await createVersioned(db, "market_products", ["token", "token_id"], {
      token: "text",
      token_id: "int",
      day: "text",
      last_price: "int",
      last_trade_id: "int",
      last_timestamp: "int",
      prev_close: "int?",
    });
    await createVersioned(db, "trade_pairs", ["token", "token_id", "seller", "buyer"], {
      token: "text",
      token_id: "int",
      seller: "text",
      buyer: "text",
      trade_id: "int",
      timestamp: "int",
    });
    await createVersioned(db, "trusted_accounts", ["holder", "account"], {
      holder: "text",
      account: "text",
      added_at: "int",
      active_from: "int",
      removed: "int",
    });
    await createVersioned(db, "report_calendar", ["year"], {
      year: "int",
      reporting_opens: "int",
      report_deadline: "int",
      surrender_deadline: "int",
      deadline_checked: "int",
    });
    await createVersioned(db, "attestations", ["entity_id", "year", "version"], {
      entity_id: "int",
      year: "int",
      version: "int",
      verifier_entity_id: "int",
      reported_total: "int",
      verified_total: "int",
      opinion: "text",
      late: "int",
      outcome: "text",
      attested_block: "int",
    });
    await createVersioned(db, "rule_flags", ["flag"], { flag: "text", value: "text" });
    // The trades list: by product, by either side, by time.
    await db.schema.createIndex("trades_product").on("trades").columns(["token", "token_id", "block_number"]).execute();
    await db.schema.createIndex("trades_buyer").on("trades").columns(["buyer", "block_number"]).execute();
    await db.schema.createIndex("trades_seller").on("trades").columns(["seller", "block_number"]).execute();
    await db.schema.createIndex("trades_time").on("trades").column("timestamp").execute();
    await db.schema.createIndex("alerts_account").on("alerts").columns(["account", "block_number"]).execute();
  },
};

/**
 * The transfers of one account in one index range each side, newest first, and their count from the
 * index alone: `(from, to_block, created_block, transfer_key)` and `(to, to_block, created_block,
 * transfer_key, from)`; blocks by time.
 */
const m0006: Migration = {
  async up(db) {
    await db.schema.dropIndex("transfers_from").execute();
    await db.schema.dropIndex("transfers_to").execute();
    await db.schema
      .createIndex("transfers_from")
      .on("transfers")
      .columns(["from", "to_block", "created_block", "transfer_key"])
      .execute();
    await db.schema
      .createIndex("transfers_to")
      .on("transfers")
      .columns(["to", "to_block", "created_block", "transfer_key", "from"])
      .execute();
    // Times to blocks (the trades of a day or of a time range).
    await db.schema.createIndex("blocks_timestamp").on("blocks").columns(["timestamp", "number"]).execute();
  },
};

/**
 * Lighter bulk loads. The events table is read only in chain order (its primary key), to rebuild
 * the derived tables: its indexes by transaction and by name served no query. A version's
 * `to_block` index serves only a rollback (the versions that ended above a block): it now holds
 * only ended versions, not every current one. Likewise the pending-transfer index holds only pending
 * transfers.
 */
const m0007: Migration = {
  async up(db) {
    await db.schema.dropIndex("events_tx").execute();
    await db.schema.dropIndex("events_contract_name").execute();
    // The versioned tables as of this migration.
    const versioned = [
      "entities",
      "accounts",
      "holdings",
      "transfers",
      "supply",
      "caps",
      "reports",
      "compliance",
      "trading_balances",
      "settings",
      "market_days",
      "market_products",
      "trade_pairs",
      "trusted_accounts",
      "report_calendar",
      "attestations",
      "rule_flags",
      "auctions",
      "auction_bids",
      "fixed_sales",
    ];
    for (const table of versioned) {
      await db.schema.dropIndex(`${table}_to_block`).execute();
      await db.schema
        .createIndex(`${table}_to_block`)
        .on(table)
        .column("to_block")
        .where(sql.ref("to_block"), "is not", null)
        .execute();
    }
    await db.schema.dropIndex("transfers_pending").execute();
    await db.schema
      .createIndex("transfers_pending")
      .on("transfers")
      .columns(["token", "pending_id"])
      .where(sql.ref("pending_id"), "is not", null)
      .execute();
  },
};

/**
 * Reserve sales (auctions with their bids, fixed-price sales with their purchases), and the indexes
 * of the registry and compliance reads: reports by year and by verifier, certificates, cancellations
 * and CCER batches by id, facts by entity.
 */
const m0003: Migration = {
  async up(db) {
    await createVersioned(db, "auctions", ["auction_id"], {
      auction_id: "int",
      vintage: "int",
      quantity: "int",
      reserve_price: "int",
      bidding_ends: "int",
      reveal_ends: "int",
      state: "text",
      bids: "int",
      revealed: "int",
      settled: "int",
      forfeited: "int",
      escrow: "int",
      clearing_price: "int?",
      sold: "int?",
      unsold: "int?",
      marginal_demand: "int?",
      marginal_supply: "int?",
      paid: "int",
      refunded: "int",
      created_block: "int",
      created_at: "int",
      finalised_block: "int?",
    });
    await createVersioned(db, "auction_bids", ["auction_id", "bid_id"], {
      auction_id: "int",
      bid_id: "int",
      bidder: "text",
      escrow: "int",
      price: "int?",
      quantity: "int?",
      revealed: "int",
      settled: "int",
      forfeited: "int",
      won: "int?",
      paid: "int?",
      refund: "int?",
      payee: "text?",
      committed_block: "int",
      revealed_block: "int?",
      settled_block: "int?",
    });
    await db.schema.createIndex("auction_bids_bidder").on("auction_bids").columns(["bidder", "to_block"]).execute();
    await createVersioned(db, "fixed_sales", ["sale_id"], {
      sale_id: "int",
      vintage: "int",
      quantity: "int",
      price: "int",
      opens_at: "int",
      closes_at: "int",
      max_per_buyer: "int",
      sold: "int",
      purchases: "int",
      paid: "int",
      closed: "int",
      unsold: "int?",
      created_block: "int",
      closed_block: "int?",
    });
    await createFact(db, "fixed_sale_purchases", {
      sale_id: "int",
      buyer: "text",
      quantity: "int",
      paid: "int",
      tx_hash: "text",
      timestamp: "int",
    });
    await db.schema
      .createIndex("fixed_sale_purchases_sale")
      .on("fixed_sale_purchases")
      .columns(["sale_id", "block_number", "log_index"])
      .execute();
    // Reads at a block of one year's reports (the compliance board), and a verifier's attestations.
    await db.schema.createIndex("reports_year").on("reports").columns(["year", "to_block"]).execute();
    await db.schema.createIndex("reports_verifier").on("reports").columns(["verifier_entity_id", "to_block"]).execute();
    await db.schema.createIndex("certificates_id").on("certificates").column("certificate_id").execute();
    await db.schema.createIndex("certificates_entity").on("certificates").column("entity_id").execute();
    await db.schema.createIndex("cancellations_certificate").on("cancellations").column("certificate_id").execute();
    await db.schema.createIndex("ccer_batches_id").on("ccer_batches").column("batch_id").execute();
  },
};

export const MIGRATIONS: Record<string, Migration> = {
  "0001_initial": m0001,
  "0002_alerts": m0002,
  "0003_reserve_and_reads": m0003,
  "0004_access": m0004,
  "0005_market": m0005,
  "0006_transfer_indexes": m0006,
  "0007_events_unindexed": m0007,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
