import type { ColumnType } from "kysely";

/**
 * Every integer column is BIGINT (SQLite INTEGER, PostgreSQL int8) and is read back as a `bigint` on
 * both databases (better-sqlite3 with safe integers, pg with an int8 parser): amounts in tonnes and
 * fen, block numbers, timestamps, ids, and booleans (0/1). Written as `bigint` or `number`.
 */
export type Int = ColumnType<bigint, bigint | number, bigint | number>;
export type NullableInt = ColumnType<bigint | null, bigint | number | null, bigint | number | null>;

/**
 * The columns of a versioned table: each row is the value of one key from block `from_block`
 * (inclusive) until `to_block` (exclusive); `to_block` is null for the current value. A read at block
 * B is `from_block <= B and (to_block is null or to_block > B)`.
 */
export interface Versioned {
  from_block: Int;
  to_block: NullableInt;
}

/** An append-only fact, placed by the log that produced it. */
export interface Placed {
  block_number: Int;
  log_index: Int;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** The sync cursor: the last block whose rows are all in the database (one row, id = 'main'). */
export interface CursorTable {
  id: string;
  block_number: Int;
  block_hash: string;
  updated_at: Int;
}

export interface BlockTable {
  number: Int;
  hash: string;
  parent_hash: string;
  timestamp: Int;
}

export interface TransactionTable {
  hash: string;
  block_number: Int;
  tx_index: Int;
  from: string;
  to: string | null;
  /** The first four bytes of the call data, `0x` + 8 hex digits, or null for a deployment. */
  selector: string | null;
}

export interface EventTable extends Placed {
  tx_hash: string;
  tx_index: Int;
  /** The contract's name in the manifest (`AllowanceToken`, `Clearing`, …). */
  contract: string;
  address: string;
  name: string;
  /** The decoded arguments as JSON: integers as decimal strings, addresses lower-case. */
  args: string;
}

export interface EntityTable extends Versioned {
  entity_id: Int;
  category: string;
  sector: string;
  name: string;
  credit_code_hash: string;
  registered_block: Int;
}

export interface AccountTable extends Versioned {
  wallet: string;
  entity_id: Int;
  status: string;
  opened_block: Int;
}

export interface HoldingTable extends Versioned {
  account: string;
  token: string;
  token_id: Int;
  balance: Int;
  /** Units locked by the account's open pending transfers. */
  locked: Int;
}

export interface TransferTable extends Versioned {
  /** `<tx hash>:<log index>` of the event that created it. */
  transfer_key: string;
  token: string;
  token_id: Int;
  /** immediate | pending | forced | recovery */
  kind: string;
  /** done (immediate, forced, recovery) | pending | cancelled | blocked | executed */
  status: string;
  from: string;
  to: string;
  amount: Int;
  pending_id: NullableInt;
  release_at: NullableInt;
  case_ref: string | null;
  created_block: Int;
  created_at: Int;
  tx_hash: string;
  closed_block: NullableInt;
}

export interface SupplyTable extends Versioned {
  token: string;
  token_id: Int;
  minted: Int;
  burned: Int;
  surrendered: Int;
  cancelled: Int;
  clawed_back: Int;
  /** Units held by the Clearing contract (in trading accounts). */
  in_trading: Int;
  /** Units locked by open pending transfers. */
  pending: Int;
}

export interface CcerBatchTable extends Placed {
  batch_id: Int;
  to: string;
  amount: Int;
  project_id: string;
  project_type: string;
  hydro: Int;
  reduction_start: Int;
  reduction_end: Int;
  origin_ref: string;
}

export interface CapTable extends Versioned {
  year: Int;
  cap: Int;
  reserve_bps: Int;
  reserve: Int;
}

export interface AllocationTable extends Placed {
  /** plan | reserve | clawback */
  kind: string;
  year: Int;
  entity_id: Int;
  wallet: string;
  gross: Int;
  deducted: Int;
  /** Units minted (plan, reserve) or burned (claw-back). */
  amount: Int;
  new_entrant: Int;
  reason: string | null;
}

export interface ReportTable extends Versioned {
  entity_id: Int;
  year: Int;
  /** submitted | verified | approved | returned | estimated */
  status: string;
  version: Int;
  reported_total: NullableInt;
  submitter: string | null;
  content_hash: string | null;
  submitted_late: Int;
  verifier_entity_id: NullableInt;
  verified_total: NullableInt;
  opinion: string | null;
  statement_hash: string | null;
  verified_late: Int;
  obligation: NullableInt;
  reason: string | null;
}

export interface SurrenderTable extends Placed {
  entity_id: Int;
  year: Int;
  wallet: string;
  /** allowance | offset */
  kind: string;
  token_id: Int;
  amount: Int;
  tx_hash: string;
}

export interface CancellationTable extends Placed {
  certificate_id: Int;
  holder: string;
  /** allowance | offset */
  kind: string;
  token_id: Int;
  amount: Int;
}

export interface CertificateTable extends Placed {
  certificate_id: Int;
  holder: string;
  entity_id: Int;
  allowances: Int;
  offsets: Int;
  beneficiary: string;
  purpose: string;
}

export interface ComplianceTable extends Versioned {
  entity_id: Int;
  year: Int;
  /** As `Compliance.positionOf`: none (not covered) | open | compliant; after the close compliant | shortfall. */
  status: string;
  /** 1 once the entity is covered for the year (allocated, or a new entrant from the reserve). */
  covered: Int;
  /** 1 once the year's close gave this entity its result. */
  closed: Int;
  obligation: NullableInt;
  allowances_surrendered: Int;
  offsets_surrendered: Int;
  shortfall: Int;
  fine: Int;
  flagged_until: Int;
}

export interface TradingBalanceTable extends Versioned {
  trader: string;
  token: string;
  token_id: Int;
  balance: Int;
}

export interface TradeTable extends Placed {
  trade_id: Int;
  buyer: string;
  seller: string;
  token: string;
  token_id: Int;
  quantity: Int;
  price: Int;
  buy_order_hash: string;
  sell_order_hash: string;
  buyer_fee: Int;
  seller_fee: Int;
  tx_hash: string;
  timestamp: Int;
}

/**
 * A surveillance alert. Placed like a fact by the log that raised it (reconciliation: the block it
 * checked, log index −1); several rules may fire on one log, and one rule once per `subject` (the
 * account, entity, trade or verifier it is about).
 */
export interface AlertTable extends Placed {
  /** `wash_trade`, `concentration`, `price_spike`, `large_trade`, `recently_trusted`, `late_report`, `reconciliation_mismatch`, … */
  rule: string;
  subject: string;
  /** `info`, `warning` or `critical`. */
  severity: string;
  entity_id: NullableInt;
  account: string | null;
  token: string | null;
  token_id: NullableInt;
  tx_hash: string | null;
  /** Unix seconds of the block. */
  timestamp: Int;
  /** One sentence a supervisor understands. */
  message: string;
  /** The figures behind it, as JSON (amounts as decimal strings). */
  details: string;
}

/**
 * One trading day of one product (migration 0005): open, high, low, last price, volume, notional and
 * trade count of the day's trades, maintained trade by trade at ingest; `close` is the VWAP of the
 * day (notional ÷ volume in fen, rounded half up).
 */
export interface MarketDayTable extends Versioned {
  token: string;
  token_id: Int;
  /** `YYYY-MM-DD` in the exchange's time zone (`ETS_MARKET_UTC_OFFSET_MINUTES`). */
  day: string;
  open: Int;
  high: Int;
  low: Int;
  /** The VWAP of the day's trades (DOMAIN.md), fen rounded half up. */
  close: Int;
  last: Int;
  /** Tonnes. */
  volume: Int;
  /** Fen: Σ quantity × price. */
  notional: Int;
  trade_count: Int;
  /** The close of the product's previous trading day (null for its first). */
  prev_close: NullableInt;
  first_trade_id: Int;
  last_trade_id: Int;
}

/** The latest figures of a product (migration 0005). */
export interface MarketProductTable extends Versioned {
  token: string;
  token_id: Int;
  /** The product's latest trading day. */
  day: string;
  last_price: Int;
  last_trade_id: Int;
  last_timestamp: Int;
  /** The close of the trading day before `day` (null when `day` is the first). */
  prev_close: NullableInt;
}

/** The last trade from one seller to one buyer in a product, for the round-trip rule (migration 0005). */
export interface TradePairTable extends Versioned {
  token: string;
  token_id: Int;
  seller: string;
  buyer: string;
  trade_id: Int;
  timestamp: Int;
}

/** A trusted account a holder added on TransferRules (migration 0005). */
export interface TrustedAccountTable extends Versioned {
  holder: string;
  account: string;
  /** Block time of the `TrustedAccountAdded`. */
  added_at: Int;
  active_from: Int;
  /** 1 after `TrustedAccountRemoved`. */
  removed: Int;
}

/** A compliance year's reporting calendar (migration 0005). */
export interface ReportCalendarTable extends Versioned {
  year: Int;
  reporting_opens: Int;
  report_deadline: Int;
  surrender_deadline: Int;
  /** 1 once the first block after the deadline was indexed and missing reports were raised. */
  deadline_checked: Int;
}

/** One verifier attestation (`ReportVerified`) and what the regulator did with it (migration 0005). */
export interface AttestationTable extends Versioned {
  entity_id: Int;
  year: Int;
  /** The report version attested. */
  version: Int;
  verifier_entity_id: Int;
  reported_total: Int;
  verified_total: Int;
  opinion: string;
  late: Int;
  /** pending | approved | returned */
  outcome: string;
  attested_block: Int;
}

/** Small keyed state of the supervision rules (migration 0005): which accounts are above the concentration threshold. */
export interface RuleFlagTable extends Versioned {
  flag: string;
  value: string;
}

/** A sealed-bid auction of reserve allowances (ReserveSales), with its outcome once finalised. */
export interface AuctionTable extends Versioned {
  auction_id: Int;
  vintage: Int;
  quantity: Int;
  reserve_price: Int;
  /** Unix seconds. */
  bidding_ends: Int;
  reveal_ends: Int;
  /** bidding | finalised */
  state: string;
  /** Bids committed, revealed, and settled (a settled bid not revealed forfeited its escrow). */
  bids: Int;
  revealed: Int;
  settled: Int;
  forfeited: Int;
  /** Cash escrowed by every bid (fen). */
  escrow: Int;
  clearing_price: NullableInt;
  sold: NullableInt;
  unsold: NullableInt;
  marginal_demand: NullableInt;
  marginal_supply: NullableInt;
  /** Fen paid to the treasury (won units and forfeited escrow) and refunded, by the bids settled so far. */
  paid: Int;
  refunded: Int;
  created_block: Int;
  created_at: Int;
  finalised_block: NullableInt;
}

/** One bid of an auction: committed, then revealed, then settled. */
export interface AuctionBidTable extends Versioned {
  auction_id: Int;
  bid_id: Int;
  bidder: string;
  escrow: Int;
  price: NullableInt;
  quantity: NullableInt;
  revealed: Int;
  settled: Int;
  /** 1 when settled without being revealed: the escrow went to the treasury. */
  forfeited: Int;
  /** What settlement gave: units won, fen paid, fen refunded, and to which wallet. */
  won: NullableInt;
  paid: NullableInt;
  refund: NullableInt;
  payee: string | null;
  committed_block: Int;
  revealed_block: NullableInt;
  settled_block: NullableInt;
}

/** A fixed-price sale of reserve allowances. */
export interface FixedSaleTable extends Versioned {
  sale_id: Int;
  vintage: Int;
  quantity: Int;
  price: Int;
  opens_at: Int;
  closes_at: Int;
  /** 0: no limit. */
  max_per_buyer: Int;
  sold: Int;
  purchases: Int;
  /** Fen paid by the purchases. */
  paid: Int;
  closed: Int;
  unsold: NullableInt;
  created_block: Int;
  closed_block: NullableInt;
}

/** A purchase in a fixed-price sale. */
export interface FixedSalePurchaseTable extends Placed {
  sale_id: Int;
  buyer: string;
  quantity: Int;
  paid: Int;
  tx_hash: string;
  timestamp: Int;
}

/** Settings read back by handlers (the Clearing fee recipient), versioned like state. */
export interface SettingTable extends Versioned {
  key: string;
  value: string;
}

/** A login nonce (`POST /auth/nonce`): single use, until `expires_at` (unix seconds). Not derived. */
export interface AuthNonceTable {
  nonce: string;
  created_at: Int;
  expires_at: Int;
  /** When a login consumed it; null while unused. */
  used_at: NullableInt;
}

/** A session of a REGULATOR or AUDITOR wallet: only the sha256 of its token is kept. Not derived. */
export interface SessionTable {
  /** sha256 of the bearer token, hex. */
  token_hash: string;
  /** The wallet, lower-case hex. */
  address: string;
  /** `REGULATOR` or `AUDITOR` as last checked on chain; null once the wallet holds neither. */
  role: string | null;
  created_at: Int;
  expires_at: Int;
  /** When the role was last asked on chain (unix seconds). */
  checked_at: Int;
  /** When it was logged out; null while open. */
  ended_at: NullableInt;
}

/** A reconciliation run: the store compared with the chain at one block. Not derived. */
export interface ReconciliationTable {
  id: string;
  block_number: Int;
  started_at: Int;
  finished_at: Int;
  /** JSON: how many figures of each kind were compared. */
  checked: string;
  differences: Int;
  /** JSON: the differences found. */
  report: string;
}

export interface Database {
  meta: MetaTable;
  cursor: CursorTable;
  blocks: BlockTable;
  transactions: TransactionTable;
  events: EventTable;
  entities: EntityTable;
  accounts: AccountTable;
  holdings: HoldingTable;
  transfers: TransferTable;
  supply: SupplyTable;
  ccer_batches: CcerBatchTable;
  caps: CapTable;
  allocations: AllocationTable;
  reports: ReportTable;
  surrenders: SurrenderTable;
  cancellations: CancellationTable;
  certificates: CertificateTable;
  compliance: ComplianceTable;
  trading_balances: TradingBalanceTable;
  trades: TradeTable;
  settings: SettingTable;
  alerts: AlertTable;
  auth_nonces: AuthNonceTable;
  sessions: SessionTable;
  reconciliations: ReconciliationTable;
  market_days: MarketDayTable;
  market_products: MarketProductTable;
  trade_pairs: TradePairTable;
  trusted_accounts: TrustedAccountTable;
  report_calendar: ReportCalendarTable;
  attestations: AttestationTable;
  rule_flags: RuleFlagTable;
  auctions: AuctionTable;
  auction_bids: AuctionBidTable;
  fixed_sales: FixedSaleTable;
  fixed_sale_purchases: FixedSalePurchaseTable;
}

/** Derived tables whose rows are versions of a keyed state, with the columns of their key. */
export const VERSIONED_TABLES = {
  entities: ["entity_id"],
  accounts: ["wallet"],
  holdings: ["account", "token", "token_id"],
  transfers: ["transfer_key"],
  supply: ["token", "token_id"],
  caps: ["year"],
  reports: ["entity_id", "year"],
  compliance: ["entity_id", "year"],
  trading_balances: ["trader", "token", "token_id"],
  settings: ["key"],
  market_days: ["token", "token_id", "day"],
  market_products: ["token", "token_id"],
  trade_pairs: ["token", "token_id", "seller", "buyer"],
  trusted_accounts: ["holder", "account"],
  report_calendar: ["year"],
  attestations: ["entity_id", "year", "version"],
  rule_flags: ["flag"],
  auctions: ["auction_id"],
  auction_bids: ["auction_id", "bid_id"],
  fixed_sales: ["sale_id"],
} as const satisfies { [T in keyof Database]?: readonly (keyof Database[T] & string)[] };

/** Derived tables of append-only facts, each placed by `block_number`. */
export const FACT_TABLES = [
  "ccer_batches",
  "allocations",
  "surrenders",
  "cancellations",
  "certificates",
  "trades",
  "alerts",
  "fixed_sale_purchases",
] as const satisfies readonly (keyof Database)[];

export type VersionedTableName = keyof typeof VERSIONED_TABLES;
export type FactTableName = (typeof FACT_TABLES)[number];
