// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IReserveSales
/// @notice Sales of allowances from the government reserve (拍卖 / 固定价格出售).
///
/// A sealed-bid, uniform-price **auction** runs in two phases so that no bid can be read before
/// bidding closes: a bidder commits keccak256(abi.encode(auctionId, bidder, price, quantity, salt))
/// and escrows cash (CashToken, fen) covering price × quantity — possibly more, to hide the size of
/// the bid; after bidding closes each bidder reveals. Bids below the reserve price or not covered by
/// their escrow are refused at reveal. At finalisation the bids are ranked by price: the clearing
/// price is the lowest accepted bid; bids above it are filled in full, bids at it pro rata
/// (⌊quantity × left / demand at the price⌋), bids below it not at all. Every bidder then pays the
/// clearing price for what it won and gets the rest of its escrow back. A bid that is not revealed
/// forfeits its escrow to the treasury, as a bid bond: otherwise a bidder could commit several bids
/// and reveal only those that suit it once others' reveals are public. Units not sold (no demand, or the rounding of the pro-rata) go back to the reserve.
///
/// A **fixed-price sale** (market stabilisation) sells up to a quantity at one price, first come
/// first served, with an optional limit per buyer.
interface IReserveSales {
    /// @notice Where an auction stands.
    enum AuctionState {
        None,
        Bidding,
        Finalised
    }

    /// @notice An auction of reserve allowances of one vintage.
    struct Auction {
        uint16 vintage;
        AuctionState state;
        uint64 biddingEnds;
        uint64 revealEnds;
        uint32 bids;
        uint32 revealed;
        uint256 quantity;
        uint256 reservePrice;
        uint256 clearingPrice;
        uint256 sold;
        /// @dev Demand at the clearing price, and the units left for it (the pro-rata ratio).
        uint256 marginalDemand;
        uint256 marginalSupply;
    }

    /// @notice One bid.
    struct Bid {
        address bidder;
        bytes32 commitment;
        uint256 escrow;
        uint256 price;
        uint256 quantity;
        bool revealed;
        bool settled;
    }

    /// @notice A fixed-price sale.
    struct FixedSale {
        uint16 vintage;
        bool closed;
        uint64 opensAt;
        uint64 closesAt;
        uint256 quantity;
        uint256 price;
        uint256 maxPerBuyer;
        uint256 sold;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when an auction or sale has invalid parameters (zero quantity or price, bad times).
    error SalesInvalidParameters();
    /// @notice Thrown when an auction id does not exist.
    error SalesUnknownAuction(uint256 auctionId);
    /// @notice Thrown when a bid id does not exist in the auction.
    error SalesUnknownBid(uint256 auctionId, uint256 bidId);
    /// @notice Thrown when acting outside the phase that allows it (`phase`: 1 bidding, 2 reveal, 3 finalised).
    error SalesWrongPhase(uint256 auctionId, uint8 phase);
    /// @notice Thrown when the caller is not an active registry account.
    error SalesAccountNotActive(address account);
    /// @notice Thrown when a bid comes without escrowed cash, or the cash did not arrive.
    error SalesEscrowMissing(address bidder, uint256 expected, uint256 received);
    /// @notice Thrown when the auction has as many bids as it accepts.
    error SalesTooManyBids(uint256 auctionId, uint256 max);
    /// @notice Thrown when someone other than the bidder reveals a bid.
    error SalesNotBidder(uint256 auctionId, uint256 bidId, address caller);
    /// @notice Thrown when a bid is revealed twice.
    error SalesBidAlreadyRevealed(uint256 auctionId, uint256 bidId);
    /// @notice Thrown when the revealed bid does not match its commitment.
    error SalesCommitmentMismatch(uint256 auctionId, uint256 bidId);
    /// @notice Thrown when a bid's price is below the reserve price.
    error SalesBidBelowReserve(uint256 price, uint256 reservePrice);
    /// @notice Thrown when a bid's price × quantity is more than its escrow.
    error SalesEscrowInsufficient(uint256 required, uint256 escrow);
    /// @notice Thrown when a bid was already settled.
    error SalesBidAlreadySettled(uint256 auctionId, uint256 bidId);
    /// @notice Thrown when a sale id does not exist.
    error SalesUnknownSale(uint256 saleId);
    /// @notice Thrown when buying outside the sale's window or after it closed.
    error SalesSaleNotOpen(uint256 saleId);
    /// @notice Thrown when buying more than is left, or more than the per-buyer limit.
    error SalesQuantityUnavailable(uint256 saleId, uint256 requested, uint256 available);
    /// @notice Thrown when the sale payment did not arrive in full.
    error SalesPaymentMissing(address buyer, uint256 expected, uint256 received);
    /// @notice Thrown when the treasury is not an active registry account.
    error SalesInvalidTreasury();

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when an auction is created.
    event AuctionCreated(
        uint256 indexed auctionId,
        uint16 indexed vintage,
        uint256 quantity,
        uint256 reservePrice,
        uint64 biddingEnds,
        uint64 revealEnds
    );
    /// @notice Emitted when a sealed bid is committed with its escrow.
    event BidCommitted(uint256 indexed auctionId, uint256 indexed bidId, address indexed bidder, uint256 escrow);
    /// @notice Emitted when a bid is revealed.
    event BidRevealed(
        uint256 indexed auctionId,
        uint256 indexed bidId,
        address indexed bidder,
        uint256 price,
        uint256 quantity
    );
    /// @notice Emitted when an auction's clearing price is fixed.
    event AuctionFinalised(
        uint256 indexed auctionId,
        uint256 clearingPrice,
        uint256 sold,
        uint256 unsold,
        uint256 marginalDemand,
        uint256 marginalSupply
    );
    /// @notice Emitted when a bid is settled: `quantity` won at the clearing price, `paid` fen, `refund` fen.
    event BidSettled(
        uint256 indexed auctionId,
        uint256 indexed bidId,
        address indexed bidder,
        uint256 quantity,
        uint256 paid,
        uint256 refund
    );
    /// @notice Emitted when a fixed-price sale is created.
    event FixedSaleCreated(
        uint256 indexed saleId,
        uint16 indexed vintage,
        uint256 quantity,
        uint256 price,
        uint64 opensAt,
        uint64 closesAt,
        uint256 maxPerBuyer
    );
    /// @notice Emitted for each purchase in a fixed-price sale.
    event FixedSalePurchase(uint256 indexed saleId, address indexed buyer, uint256 quantity, uint256 paid);
    /// @notice Emitted when a fixed-price sale closes; the unsold units go back to the reserve.
    event FixedSaleClosed(uint256 indexed saleId, uint256 sold, uint256 unsold);
    /// @notice Emitted when the account receiving sale proceeds changes.
    event TreasurySet(address treasury);

    // ──────────────────────────────────────── functions ───────────────────────────────────────

    /// @notice Creates an auction of `quantity` reserve allowances of `vintage`.
    /// @dev Requirements: REGULATOR; now < biddingEnds < revealEnds; the reserve holds the quantity.
    function createAuction(
        uint16 vintage,
        uint256 quantity,
        uint256 reservePrice,
        uint64 biddingEnds,
        uint64 revealEnds
    ) external returns (uint256 auctionId);

    /// @notice Commits a sealed bid and escrows `escrow` fen from the caller (approve first).
    /// @dev Requirements: bidding phase; an active account; escrow > 0 and received in full.
    function commitBid(uint256 auctionId, bytes32 commitment, uint256 escrow) external returns (uint256 bidId);

    /// @notice Reveals a committed bid.
    /// @dev Requirements: reveal phase; the bidder (or, after a key recovery, an active wallet of its
    /// entity); matches the commitment; price ≥ reserve; covered by escrow.
    function revealBid(uint256 auctionId, uint256 bidId, uint256 price, uint256 quantity, bytes32 salt) external;

    /// @notice Fixes the clearing price once the reveal phase is over; anyone may call it.
    function finalise(uint256 auctionId) external;

    /// @notice Settles a bid of a finalised auction: mints what it won, pays the treasury, refunds the
    /// rest; an unrevealed bid's escrow goes to the treasury. Anyone may call it; units and refunds go
    /// to the bidder (after a key recovery, to its entity's active wallet).
    function settleBid(uint256 auctionId, uint256 bidId) external;

    /// @notice Creates a fixed-price sale of `quantity` reserve allowances of `vintage`.
    /// @dev Requirements: REGULATOR; opensAt < closesAt; the reserve holds the quantity.
    function createFixedSale(
        uint16 vintage,
        uint256 quantity,
        uint256 price,
        uint64 opensAt,
        uint64 closesAt,
        uint256 maxPerBuyer
    ) external returns (uint256 saleId);

    /// @notice Buys `quantity` in a fixed-price sale, paying price × quantity fen (approve first).
    function buy(uint256 saleId, uint256 quantity) external;

    /// @notice Closes a fixed-price sale once its window is over and returns what was not sold to the
    /// reserve; anyone may call it.
    function closeFixedSale(uint256 saleId) external;

    /// @notice Sets the account that receives sale proceeds.
    /// @dev Requirements: REGULATOR; an active registry account.
    function setTreasury(address treasury) external;

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @notice An auction.
    function auction(uint256 auctionId) external view returns (Auction memory);

    /// @notice A bid.
    function bid(uint256 auctionId, uint256 bidId) external view returns (Bid memory);

    /// @notice What a revealed bid wins at the auction's clearing price (0 before finalisation).
    function allocationOf(uint256 auctionId, uint256 bidId) external view returns (uint256 quantity, uint256 cost);

    /// @notice How many auctions were created (ids from 1).
    function auctionCount() external view returns (uint256);

    /// @notice A fixed-price sale.
    function fixedSale(uint256 saleId) external view returns (FixedSale memory);

    /// @notice How many fixed-price sales were created (ids from 1).
    function fixedSaleCount() external view returns (uint256);

    /// @notice Units bought by `buyer` in a fixed-price sale.
    function boughtIn(uint256 saleId, address buyer) external view returns (uint256);

    /// @notice The account that receives sale proceeds.
    function treasury() external view returns (address);

    /// @notice The commitment a bidder must send: keccak256(abi.encode(auctionId, bidder, price, quantity, salt)).
    function commitmentOf(
        uint256 auctionId,
        address bidder,
        uint256 price,
        uint256 quantity,
        bytes32 salt
    ) external pure returns (bytes32);
}
