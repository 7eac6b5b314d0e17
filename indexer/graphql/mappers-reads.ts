import type { Selectable } from "kysely";
import type {
  AllocationTable,
  AuctionBidTable,
  AuctionTable,
  CancellationTable,
  CcerBatchTable,
  CertificateTable,
  FixedSalePurchaseTable,
  FixedSaleTable,
  ReportTable,
  SurrenderTable,
} from "../store/schema";
import { productOf, upper } from "./mappers";

// Rows of the reserve-sales and registry-read tables → API objects (as `mappers.ts`: camelCase,
// BigInt fields stay bigint, Int fields become numbers).

const num = (v: bigint) => Number(v);
const numOrNull = (v: bigint | null) => (v === null ? null : Number(v));
const flag = (v: bigint) => v === 1n;

/** The columns a fact list adds: the block's time. */
export interface Timed {
  block_timestamp: bigint | null;
}

const placeId = (r: { block_number: bigint; log_index: bigint }) => `${r.block_number}:${r.log_index}`;
const unitKind = (kind: string) => (kind === "offset" ? "CCER" : "ALLOWANCE");
const unitToken = (kind: string) => (kind === "offset" ? "OffsetToken" : "AllowanceToken");

export function auction(r: Selectable<AuctionTable>) {
  const finalised = r.state === "finalised";
  return {
    id: r.auction_id,
    vintage: num(r.vintage),
    product: productOf("AllowanceToken", r.vintage),
    quantity: r.quantity,
    reservePrice: r.reserve_price,
    biddingEnds: num(r.bidding_ends),
    revealEnds: num(r.reveal_ends),
    state: upper(r.state),
    bidsCommitted: num(r.bids),
    bidsRevealed: num(r.revealed),
    bidsForfeited: finalised ? num(r.bids - r.revealed) : 0,
    bidsSettled: num(r.settled),
    escrow: r.escrow,
    clearingPrice: r.clearing_price,
    sold: r.sold,
    unsold: r.unsold,
    marginalDemand: r.marginal_demand,
    marginalSupply: r.marginal_supply,
    paid: r.paid,
    refunded: r.refunded,
    createdBlock: num(r.created_block),
    createdAt: num(r.created_at),
    finalisedBlock: numOrNull(r.finalised_block),
  };
}

export function auctionBid(r: Selectable<AuctionBidTable> & { entity_id: bigint | null }) {
  return {
    auctionId: r.auction_id,
    bidId: r.bid_id,
    bidder: r.bidder,
    bidderEntityId: r.entity_id,
    escrow: r.escrow,
    price: r.price,
    quantity: r.quantity,
    revealed: flag(r.revealed),
    settled: flag(r.settled),
    forfeited: flag(r.forfeited),
    won: r.won,
    paid: r.paid,
    refund: r.refund,
    payee: r.payee,
    committedBlock: num(r.committed_block),
    revealedBlock: numOrNull(r.revealed_block),
    settledBlock: numOrNull(r.settled_block),
  };
}

export function fixedSale(r: Selectable<FixedSaleTable>) {
  return {
    id: r.sale_id,
    vintage: num(r.vintage),
    product: productOf("AllowanceToken", r.vintage),
    quantity: r.quantity,
    price: r.price,
    opensAt: num(r.opens_at),
    closesAt: num(r.closes_at),
    maxPerBuyer: r.max_per_buyer,
    sold: r.sold,
    unsold: r.unsold,
    purchaseCount: num(r.purchases),
    paid: r.paid,
    closed: flag(r.closed),
    createdBlock: num(r.created_block),
    closedBlock: numOrNull(r.closed_block),
  };
}

export function purchase(r: Selectable<FixedSalePurchaseTable> & { entity_id: bigint | null }) {
  return {
    saleId: r.sale_id,
    buyer: r.buyer,
    buyerEntityId: r.entity_id,
    quantity: r.quantity,
    paid: r.paid,
    block: num(r.block_number),
    timestamp: num(r.timestamp),
    txHash: r.tx_hash,
  };
}

export function surrender(r: Selectable<SurrenderTable> & Timed) {
  return {
    id: placeId(r),
    entityId: r.entity_id,
    year: num(r.year),
    wallet: r.wallet,
    kind: unitKind(r.kind),
    tokenId: r.token_id,
    product: productOf(unitToken(r.kind), r.token_id),
    amount: r.amount,
    block: num(r.block_number),
    timestamp: num(r.block_timestamp ?? 0n),
    txHash: r.tx_hash,
  };
}

export function cancellation(r: Selectable<CancellationTable> & Timed) {
  return {
    id: placeId(r),
    certificateId: r.certificate_id,
    holder: r.holder,
    kind: unitKind(r.kind),
    tokenId: r.token_id,
    product: productOf(unitToken(r.kind), r.token_id),
    amount: r.amount,
    block: num(r.block_number),
    timestamp: num(r.block_timestamp ?? 0n),
  };
}

export function certificate(r: Selectable<CertificateTable> & Timed) {
  return {
    id: r.certificate_id,
    holder: r.holder,
    entityId: r.entity_id,
    allowances: r.allowances,
    offsets: r.offsets,
    beneficiary: r.beneficiary,
    purpose: r.purpose,
    block: num(r.block_number),
    timestamp: num(r.block_timestamp ?? 0n),
  };
}

export function allocation(r: Selectable<AllocationTable> & Timed) {
  return {
    id: placeId(r),
    kind: upper(r.kind),
    year: num(r.year),
    entityId: r.entity_id,
    wallet: r.wallet,
    gross: r.gross,
    deducted: r.deducted,
    amount: r.amount,
    newEntrant: flag(r.new_entrant),
    reason: r.reason,
    block: num(r.block_number),
    timestamp: num(r.block_timestamp ?? 0n),
  };
}

export function ccerBatch(r: Selectable<CcerBatchTable> & Timed) {
  return {
    id: r.batch_id,
    product: productOf("OffsetToken", r.batch_id),
    to: r.to,
    amount: r.amount,
    projectId: r.project_id,
    projectType: r.project_type,
    hydro: flag(r.hydro),
    reductionStart: num(r.reduction_start),
    reductionEnd: num(r.reduction_end),
    originRef: r.origin_ref,
    block: num(r.block_number),
    timestamp: num(r.block_timestamp ?? 0n),
  };
}

function reportFields(r: Selectable<ReportTable>) {
  return {
    status: upper(r.status),
    version: num(r.version),
    reportedTotal: r.reported_total,
    verifierEntityId: r.verifier_entity_id,
    verifiedTotal: r.verified_total,
    opinion: r.opinion === null ? null : upper(r.opinion),
    submittedLate: flag(r.submitted_late),
    verifiedLate: flag(r.verified_late),
    obligation: r.obligation,
    reason: r.reason,
  };
}

export function report(r: Selectable<ReportTable> & { verifier_name: string | null }) {
  return {
    ...reportFields(r),
    entityId: r.entity_id,
    year: num(r.year),
    submitter: r.submitter,
    contentHash: r.content_hash,
    statementHash: r.statement_hash,
    verifierName: r.verifier_name,
    sinceBlock: num(r.from_block),
  };
}

export function reportVersion(r: Selectable<ReportTable>) {
  return { ...reportFields(r), fromBlock: num(r.from_block), toBlock: numOrNull(r.to_block) };
}
