// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IClearing
/// @notice Trading accounts at the exchange and delivery-versus-payment settlement of matched
/// trades. Participants deposit allowances, CCER and cash from their registry wallet; the exchange
/// matches their EIP-712 signed orders off chain and settles them here in batches. Every fill is
/// backed by both parties' signed orders: the exchange can never move units or cash without them,
/// never fill an order beyond its signed quantity or outside its limit price, and never settle the
/// same trade twice (trade ids are consecutive and each is processed once).
///
/// Orders are identified on chain by (trader, nonce): a trader signs each order with a fresh nonce.
/// An order filled completely is marked finished (two bits per nonce), one filled in part keeps its
/// filled count, so no order with that nonce can ever fill beyond its own signed quantity or fill
/// again once finished: a further fill is rejected as {RejectReason-Overfilled}. Cancelling an order
/// finishes its nonce too, and a further fill is rejected as {RejectReason-Cancelled}. An order may
/// be for at most 2^32 − 1 tonnes.
interface IClearing {
    /// @notice The EIP-712 order (domain {name: "ETS Clearing", version: "1", chainId, this}).
    /// @dev `timeInForce`: 0 = GTC, 1 = IOC, 2 = FOK (the exchange enforces it; on chain every fill
    /// is checked against quantity, limit price and expiry). `expiry` 0 = none.
    struct Order {
        address trader;
        address token;
        uint256 tokenId;
        bool isBuy;
        uint256 price;
        uint256 quantity;
        uint8 timeInForce;
        uint256 nonce;
        uint64 expiry;
    }

    /// @notice An order with its signature (65-byte EOA signature or ERC-1271 data).
    struct SignedOrder {
        Order order;
        bytes signature;
    }

    /// @notice One matched trade: indices of the buy and sell orders in the batch's order list.
    struct Fill {
        uint64 tradeId;
        uint32 buy;
        uint32 sell;
        uint128 quantity;
        uint128 price;
        bool buyerIsMaker;
    }

    /// @notice An EIP-712 withdrawal request, signed by the trader and executed by the exchange.
    /// @dev Type: `Withdrawal(address trader,address token,uint256 tokenId,uint256 amount,uint256 nonce,uint64 expiry)`.
    struct Withdrawal {
        address trader;
        address token;
        uint256 tokenId;
        uint256 amount;
        uint256 nonce;
        uint64 expiry;
    }

    /// @notice A withdrawal with its signature.
    struct SignedWithdrawal {
        Withdrawal withdrawal;
        bytes signature;
    }

    /// @notice A settlement batch: orders referenced by index from the fills, then signed
    /// withdrawals, then on-chain withdrawal requests the exchange serves.
    struct Batch {
        SignedOrder[] orders;
        Fill[] fills;
        SignedWithdrawal[] withdrawals;
        uint256[] requests;
    }

    /// @notice A withdrawal requested on chain (the escape hatch).
    struct WithdrawalRequest {
        address trader;
        address token;
        uint256 tokenId;
        uint256 amount;
        uint64 requestedAt;
        bool done;
    }

    /// @notice Why a fill was not settled (see {TradeRejected}).
    enum RejectReason {
        None,
        BadSignature,
        Expired,
        // Cancelled on chain: cancelOrder, or a nonce below the trader's minimum.
        Cancelled,
        // Beyond the signed quantity, including any fill of an order already filled completely.
        Overfilled,
        PriceOutsideLimit,
        ProductMismatch,
        SameSide,
        InsufficientCash,
        InsufficientUnits,
        AccountNotActive,
        UnknownToken,
        BadOrderIndex,
        ZeroQuantity
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when a token is not one of the tradeable tokens (allowances, CCER, cash).
    error ClearingUnsupportedToken(address token);
    /// @notice Thrown when a deposit or withdrawal amount is zero.
    error ClearingZeroAmount();
    /// @notice Thrown when a trading account holds less than an operation needs.
    error ClearingInsufficientBalance(address trader, address token, uint256 tokenId, uint256 balance, uint256 needed);
    /// @notice Thrown when the depositor has no active registry account.
    error ClearingAccountNotActive(address trader);
    /// @notice Thrown when ERC-1155 units arrive other than through a holder's own deposit.
    error ClearingUnexpectedTransfer(address operator, address from);
    /// @notice Thrown when a cash deposit does not arrive at once in full (the cash token would hold
    /// it pending, e.g. while this contract is not a designated clearing house).
    error ClearingDepositNotReceived(address trader, uint256 amount, uint256 received);
    /// @notice Thrown when a batch's next new trade id is not the one after the last settled.
    error ClearingTradeIdGap(uint64 expected, uint64 got);
    /// @notice Thrown when a signed withdrawal is invalid (bad signature, expired or nonce used).
    error ClearingInvalidWithdrawal(address trader, uint256 nonce);
    /// @notice Thrown when a withdrawal request does not exist or was already executed.
    error ClearingUnknownWithdrawalRequest(uint256 requestId);
    /// @notice Thrown when someone else than the requesting trader uses the escape hatch.
    error ClearingNotRequester(uint256 requestId, address caller);
    /// @notice Thrown when the trader uses the escape hatch before the delay passed.
    error ClearingWithdrawalNotDue(uint256 requestId, uint64 dueAt);
    /// @notice Thrown when a trader cancels an order that is not theirs.
    error ClearingNotOrderOwner(address trader, address caller);
    /// @notice Thrown when a minimum nonce would go down.
    error ClearingNonceNotIncreasing(uint256 current, uint256 requested);
    /// @notice Thrown when a fee or a delay is out of range, or a deposit would take a trading account
    /// beyond 2^128 − 1 fen.
    error ClearingParameterOutOfRange(uint256 value, uint256 max);

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when a trader deposits into its trading account.
    /// @param trader The trader (its registry wallet).
    /// @param token The token contract.
    /// @param tokenId The token id (0 for cash).
    /// @param amount Units or fen.
    event Deposited(address indexed trader, address indexed token, uint256 tokenId, uint256 amount);
    /// @notice Emitted when units or cash go back to the trader's registry wallet.
    /// @param trader The trader.
    /// @param token The token contract.
    /// @param tokenId The token id.
    /// @param amount Units or fen.
    /// @param requestId The on-chain request it served, or 0 for a signed withdrawal.
    /// @param nonce The signed withdrawal's nonce, or 0.
    event Withdrawn(
        address indexed trader,
        address indexed token,
        uint256 tokenId,
        uint256 amount,
        uint256 requestId,
        uint256 nonce
    );
    /// @notice Emitted when a trader asks on chain for a withdrawal (the escape hatch).
    /// @param requestId The request's id.
    /// @param trader The trader.
    /// @param token The token contract.
    /// @param tokenId The token id.
    /// @param amount Units or fen.
    /// @param dueAt When the trader may execute it alone.
    event WithdrawalRequested(
        uint256 indexed requestId,
        address indexed trader,
        address token,
        uint256 tokenId,
        uint256 amount,
        uint64 dueAt
    );
    /// @notice Emitted for every settled trade.
    /// @param tradeId The exchange's trade id.
    /// @param buyer The buying trader.
    /// @param seller The selling trader.
    /// @param token The traded token.
    /// @param tokenId The traded token id (vintage or CCER batch).
    /// @param quantity Tonnes.
    /// @param price Fen per tonne.
    /// @param buyOrderHash EIP-712 hash of the buy order.
    /// @param sellOrderHash EIP-712 hash of the sell order.
    /// @param buyerFee Fen paid by the buyer.
    /// @param sellerFee Fen paid by the seller.
    event TradeSettled(
        uint64 indexed tradeId,
        address indexed buyer,
        address indexed seller,
        address token,
        uint256 tokenId,
        uint256 quantity,
        uint256 price,
        bytes32 buyOrderHash,
        bytes32 sellOrderHash,
        uint256 buyerFee,
        uint256 sellerFee
    );
    /// @notice Emitted for a fill that could not be settled; its trade id is used up.
    /// @param tradeId The exchange's trade id.
    /// @param reason Why.
    event TradeRejected(uint64 indexed tradeId, RejectReason reason);
    /// @notice Emitted when a trader cancels one order (its nonce).
    /// @param trader The trader.
    /// @param nonce The cancelled nonce.
    /// @param orderHash The order's EIP-712 hash.
    event OrderCancelled(address indexed trader, uint256 nonce, bytes32 orderHash);
    /// @notice Emitted when a trader cancels every order with a nonce below `minNonce`.
    /// @param trader The trader.
    /// @param minNonce The new minimum nonce.
    event NoncesCancelled(address indexed trader, uint256 minNonce);
    /// @notice Emitted when the fee schedule changes.
    /// @param makerFeeBps Maker fee in basis points.
    /// @param takerFeeBps Taker fee in basis points.
    /// @param feeRecipient The trading account that collects fees.
    event FeesSet(uint16 makerFeeBps, uint16 takerFeeBps, address feeRecipient);
    /// @notice Emitted when the escape-hatch delay changes.
    /// @param delay Seconds.
    event WithdrawalDelaySet(uint64 delay);

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @notice Deposits fen from the caller's registry wallet (approve this contract first).
    /// @dev Requirements: `amount` > 0; the caller has an active registry account; the fen arrive at
    /// once (this contract is a designated clearing house); the account then holds at most 2^128 − 1
    /// fen. Emits {Deposited}.
    function depositCash(uint256 amount) external;

    /// @notice Settles a batch: every new fill (trade id > last settled) is checked against both
    /// signed orders and the balances, then moves units, cash and fees atomically, or is rejected
    /// with {TradeRejected}; fills already settled are skipped. Then executes the signed withdrawals
    /// and the listed on-chain withdrawal requests (requests already done are skipped).
    /// @dev Requirements: caller holds EXCHANGE; fills in increasing trade-id order without gaps;
    /// each withdrawal valid and covered.
    function settle(Batch calldata batch) external;

    /// @notice Asks on chain for a withdrawal to the caller's registry wallet; the exchange executes
    /// it, or the caller may after the withdrawal delay.
    function requestWithdrawal(address token, uint256 tokenId, uint256 amount) external returns (uint256 requestId);

    /// @notice The escape hatch: the requesting trader executes its own request once the withdrawal
    /// delay has passed without the exchange serving it.
    /// @dev Requirements: caller is the requester; request open and due; the balance covers it.
    function executeWithdrawalRequest(uint256 requestId) external;

    /// @notice Cancels one of the caller's orders (its nonce).
    function cancelOrder(Order calldata order) external;

    /// @notice Cancels every order of the caller with a nonce below `minNonce`.
    function cancelNoncesBelow(uint256 minNonce) external;

    /// @notice Sets maker and taker fees (basis points, each ≤ 100) and their recipient.
    /// @dev Requirements: caller holds REGULATOR.
    function setFees(uint16 makerFeeBps, uint16 takerFeeBps, address feeRecipient) external;

    /// @notice Sets the escape-hatch delay (≤ 30 days).
    /// @dev Requirements: caller holds REGULATOR.
    function setWithdrawalDelay(uint64 delay) external;

    /// @notice A trading-account balance.
    function balanceOf(address trader, address token, uint256 tokenId) external view returns (uint256);

    /// @notice The state of the order with this nonce: units filled while it is filled in part, and
    /// whether it is finished (filled completely, cancelled, or below the trader's minimum nonce).
    function orderState(address trader, uint256 nonce) external view returns (uint256 filled, bool finished);

    /// @notice The trader's minimum valid nonce.
    function minNonceOf(address trader) external view returns (uint256);

    /// @notice The EIP-712 hash of an order.
    function hashOrder(Order calldata order) external view returns (bytes32);

    /// @notice The last trade id processed (settled or rejected).
    function lastTradeId() external view returns (uint64);

    /// @notice An on-chain withdrawal request.
    function withdrawalRequest(uint256 requestId) external view returns (WithdrawalRequest memory);

    /// @notice Whether a signed withdrawal with this nonce was executed.
    function withdrawalNonceUsed(address trader, uint256 nonce) external view returns (bool);
}
