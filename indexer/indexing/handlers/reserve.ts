import type { Values } from "../../store/versioned";
import { big, str, type HandlerContext, type Handlers } from "../context";

// ReserveSales: auctions (created, bids committed / revealed, finalised, bids settled) and
// fixed-price sales (created, purchases, closed). The units minted and the cash moved are counted
// by the token handlers from the tokens' own events; these tables keep what the sales say.

type Auction = Values<"auctions">;
type Bid = Values<"auction_bids">;
type Sale = Values<"fixed_sales">;

const TREASURY = "sales.treasury";

async function auction(ctx: HandlerContext, change: (a: Auction) => void) {
  const { state, event } = ctx;
  const id = big(event.args, "auctionId");
  const cur = await state.get("auctions", { auction_id: id });
  if (!cur) throw new Error(`ReserveSales auction ${id} changes before it was created (block ${event.blockNumber})`);
  const next = { ...cur };
  change(next);
  await state.put("auctions", next, event.blockNumber);
}

async function bid(ctx: HandlerContext, change: (b: Bid) => void) {
  const { state, event } = ctx;
  const key = { auction_id: big(event.args, "auctionId"), bid_id: big(event.args, "bidId") };
  const cur = await state.get("auction_bids", key);
  if (!cur) throw new Error(`ReserveSales bid ${key.auction_id}/${key.bid_id} changes before it was committed`);
  const next = { ...cur };
  change(next);
  await state.put("auction_bids", next, event.blockNumber);
}

async function sale(ctx: HandlerContext, change: (s: Sale) => void) {
  const { state, event } = ctx;
  const id = big(event.args, "saleId");
  const cur = await state.get("fixed_sales", { sale_id: id });
  if (!cur) throw new Error(`ReserveSales fixed sale ${id} changes before it was created`);
  const next = { ...cur };
  change(next);
  await state.put("fixed_sales", next, event.blockNumber);
}

export const reserveHandlers: Handlers = {
  "ReserveSales:AuctionCreated": async ({ state, event }) => {
    const a = event.args;
    await state.put(
      "auctions",
      {
        auction_id: big(a, "auctionId"),
        vintage: big(a, "vintage"),
        quantity: big(a, "quantity"),
        reserve_price: big(a, "reservePrice"),
        bidding_ends: big(a, "biddingEnds"),
        reveal_ends: big(a, "revealEnds"),
        state: "bidding",
        bids: 0n,
        revealed: 0n,
        settled: 0n,
        forfeited: 0n,
        escrow: 0n,
        clearing_price: null,
        sold: null,
        unsold: null,
        marginal_demand: null,
        marginal_supply: null,
        paid: 0n,
        refunded: 0n,
        created_block: event.blockNumber,
        created_at: event.timestamp,
        finalised_block: null,
      },
      event.blockNumber,
    );
  },
  "ReserveSales:BidCommitted": async (ctx) => {
    const { state, event } = ctx;
    const a = event.args;
    const escrow = big(a, "escrow");
    await auction(ctx, (x) => {
      x.bids += 1n;
      x.escrow += escrow;
    });
    await state.put(
      "auction_bids",
      {
        auction_id: big(a, "auctionId"),
        bid_id: big(a, "bidId"),
        bidder: str(a, "bidder"),
        escrow,
        price: null,
        quantity: null,
        revealed: 0n,
        settled: 0n,
        forfeited: 0n,
        won: null,
        paid: null,
        refund: null,
        payee: null,
        committed_block: event.blockNumber,
        revealed_block: null,
        settled_block: null,
      },
      event.blockNumber,
    );
  },
  "ReserveSales:BidRevealed": async (ctx) => {
    const a = ctx.event.args;
    await auction(ctx, (x) => void (x.revealed += 1n));
    await bid(ctx, (b) =>
      Object.assign(b, {
        price: big(a, "price"),
        quantity: big(a, "quantity"),
        revealed: 1n,
        revealed_block: ctx.event.blockNumber,
      }),
    );
  },
  "ReserveSales:AuctionFinalised": (ctx) => {
    const a = ctx.event.args;
    return auction(ctx, (x) =>
      Object.assign(x, {
        state: "finalised",
        clearing_price: big(a, "clearingPrice"),
        sold: big(a, "sold"),
        unsold: big(a, "unsold"),
        marginal_demand: big(a, "marginalDemand"),
        marginal_supply: big(a, "marginalSupply"),
        finalised_block: ctx.event.blockNumber,
      }),
    );
  },
  "ReserveSales:BidSettled": async (ctx) => {
    const a = ctx.event.args;
    const paid = big(a, "paid");
    const refund = big(a, "refund");
    let forfeited = false;
    await bid(ctx, (b) => {
      forfeited = b.revealed === 0n;
      Object.assign(b, {
        settled: 1n,
        forfeited: forfeited ? 1n : 0n,
        won: big(a, "quantity"),
        paid,
        refund,
        payee: str(a, "bidder"),
        settled_block: ctx.event.blockNumber,
      });
    });
    await auction(ctx, (x) => {
      x.settled += 1n;
      if (forfeited) x.forfeited += 1n;
      x.paid += paid;
      x.refunded += refund;
    });
  },
  "ReserveSales:FixedSaleCreated": async ({ state, event }) => {
    const a = event.args;
    await state.put(
      "fixed_sales",
      {
        sale_id: big(a, "saleId"),
        vintage: big(a, "vintage"),
        quantity: big(a, "quantity"),
        price: big(a, "price"),
        opens_at: big(a, "opensAt"),
        closes_at: big(a, "closesAt"),
        max_per_buyer: big(a, "maxPerBuyer"),
        sold: 0n,
        purchases: 0n,
        paid: 0n,
        closed: 0n,
        unsold: null,
        created_block: event.blockNumber,
        closed_block: null,
      },
      event.blockNumber,
    );
  },
  "ReserveSales:FixedSalePurchase": async (ctx) => {
    const { state, event } = ctx;
    const a = event.args;
    const quantity = big(a, "quantity");
    const paid = big(a, "paid");
    await sale(ctx, (s) => {
      s.sold += quantity;
      s.purchases += 1n;
      s.paid += paid;
    });
    state.insert("fixed_sale_purchases", {
      block_number: event.blockNumber,
      log_index: event.logIndex,
      sale_id: big(a, "saleId"),
      buyer: str(a, "buyer"),
      quantity,
      paid,
      tx_hash: event.txHash,
      timestamp: event.timestamp,
    });
  },
  "ReserveSales:FixedSaleClosed": (ctx) => {
    const a = ctx.event.args;
    return sale(ctx, (s) =>
      Object.assign(s, {
        closed: 1n,
        sold: big(a, "sold"),
        unsold: big(a, "unsold"),
        closed_block: ctx.event.blockNumber,
      }),
    );
  },
  "ReserveSales:TreasurySet": async ({ state, event }) => {
    await state.put("settings", { key: TREASURY, value: str(event.args, "treasury") }, event.blockNumber);
  },
};
