// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IClearing} from "../interfaces/IClearing.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title Clearing
/// @notice Trading accounts and batched delivery-versus-payment settlement (see {IClearing}).
contract Clearing is IClearing, IERC1155Receiver, AccessManaged, EIP712 {
    bytes32 private constant ORDER_TYPEHASH = keccak256(
        "Order(address trader,address token,uint256 tokenId,bool isBuy,uint256 price,uint256 quantity,uint8 timeInForce,uint256 nonce,uint64 expiry)"
    );
    bytes32 private constant WITHDRAWAL_TYPEHASH = keccak256(
        "Withdrawal(address trader,address token,uint256 tokenId,uint256 amount,uint256 nonce,uint64 expiry)"
    );
    uint256 private constant PARTIAL = 1;
    uint256 private constant FILLED = 2;
    uint256 private constant CANCELLED = 3;
    /// @dev Largest order quantity: a partial fill count must fit its 32-bit lane.
    uint256 private constant MAX_ORDER_QUANTITY = type(uint32).max;
    uint16 private constant MAX_FEE_BPS = 100;
    uint64 private constant MAX_DELAY = 30 days;
    /// @dev Most fen a trading account holds: its cash shares a slot with its minimum nonce.
    uint256 private constant MAX_CASH = type(uint128).max;
    /// @dev {CashAccount.minNonce} when the minimum nonce is in `_largeMinNonce`.
    uint128 private constant LARGE_MIN_NONCE = type(uint128).max;

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    address private immutable _allowances;
    address private immutable _offsets;
    address private immutable _cash;

    /// @dev Cash (fen) and the minimum valid nonce of each trading account, in one slot: every fill
    /// reads the cash of both traders and the minimum nonce of both orders.
    mapping(address trader => CashAccount) private _cashAccounts;
    /// @dev Minimum nonces too large for {CashAccount}, which then holds `LARGE_MIN_NONCE`.
    mapping(address trader => uint256) private _largeMinNonce;
    /// @dev Allowances and CCER in trading accounts.
    mapping(address trader => mapping(address token => mapping(uint256 id => uint256))) private _units;
    /// @dev Two bits per (trader, nonce): 0 = never filled, PARTIAL = filled in part (the count is
    /// in `_partialLanes`), FILLED = filled completely, CANCELLED = cancelled. FILLED and CANCELLED
    /// are both finished and differ only in the reason a further fill is rejected with. A trader's
    /// consecutive nonces share a word, so most fills touch a slot that exists already, and a fresh
    /// order needs no look-up of a partial count.
    mapping(address trader => mapping(uint256 word => Word)) private _orderBits;
    /// @dev Units filled of orders filled in part: 32-bit lanes, eight consecutive nonces to a word
    /// (so a partial fill usually updates a slot that exists already). Read only in state PARTIAL.
    mapping(address trader => mapping(uint256 word => Word)) private _partialLanes;
    mapping(address trader => mapping(uint256 nonce => bool)) private _withdrawalNonceUsed;
    mapping(uint256 requestId => WithdrawalRequest) private _requests;
    uint256 private _requestCount;
    uint64 private _lastTradeId;
    uint64 private _withdrawalDelay = 24 hours;
    uint16 private _makerFeeBps;
    uint16 private _takerFeeBps;
    address private _feeRecipient;

    /// @dev A trading account's cash and minimum nonce (see `_cashAccounts`).
    struct CashAccount {
        uint128 cash;
        uint128 minNonce;
    }

    /// @dev A slot of packed per-nonce data (a struct, so that a function can hand on where it is).
    struct Word {
        uint256 bits;
    }

    /// @dev What one batch remembers while it is settled (memory, gone with the call).
    struct BatchContext {
        // EIP-712 hash of each order of the batch (by index), zero until the order is first used.
        bytes32[] hashes;
        // The result of each order's checks (expiry, minimum nonce, signature, registry status).
        RejectReason[] reasons;
        // Registry status of every trader met, open addressing on the address with twice as many
        // slots as the batch has orders: a trader is asked once per batch, not once per order.
        address[] traders;
        bool[] active;
        // The fee schedule, read once.
        uint256 makerFeeBps;
        uint256 takerFeeBps;
        address feeRecipient;
    }

    constructor(
        address authority,
        IParticipantRegistry registry,
        address allowances,
        address offsets,
        address cash
    ) AccessManaged(authority) EIP712("ETS Clearing", "1") {
        _registry = registry;
        _allowances = allowances;
        _offsets = offsets;
        _cash = cash;
    }

    // ──────────────────────────────────────── deposits ────────────────────────────────────────

    /// @inheritdoc IClearing
    function depositCash(uint256 amount) external {
        if (amount == 0) revert ClearingZeroAmount();
        if (!_registry.isActive(msg.sender)) revert ClearingAccountNotActive(msg.sender);
        // The cash token delivers at once only while this contract is a designated clearing house;
        // otherwise it would hold the fen as a pending transfer the depositor could still cancel.
        // Only fen that arrived are credited.
        uint256 held = IERC20(_cash).balanceOf(address(this));
        // slither-disable-next-line unchecked-transfer
        IERC20(_cash).transferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(_cash).balanceOf(address(this)) - held;
        if (received != amount) revert ClearingDepositNotReceived(msg.sender, amount, received);
        CashAccount storage account = _cashAccounts[msg.sender];
        uint256 cash = account.cash + amount;
        if (cash > MAX_CASH) revert ClearingParameterOutOfRange(cash, MAX_CASH);
        account.cash = uint128(cash);
        emit Deposited(msg.sender, _cash, 0, amount);
    }

    /// @notice Credits allowances or CCER sent here by their holder (a deposit).
    function onERC1155Received(
        address operator,
        address from,
        uint256 id,
        uint256 value,
        bytes calldata
    ) external returns (bytes4) {
        _creditUnits(operator, from, id, value);
        return this.onERC1155Received.selector;
    }

    /// @notice Batch form of {onERC1155Received}.
    function onERC1155BatchReceived(
        address operator,
        address from,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata
    ) external returns (bytes4) {
        for (uint256 i = 0; i < ids.length; ++i) _creditUnits(operator, from, ids[i], values[i]);
        return this.onERC1155BatchReceived.selector;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    // ─────────────────────────────────────── settlement ───────────────────────────────────────

    /// @inheritdoc IClearing
    function settle(Batch calldata batch) external restricted {
        uint256 n = batch.fills.length;
        if (n != 0) {
            uint256 orderCount = batch.orders.length;
            BatchContext memory ctx = BatchContext({
                hashes: new bytes32[](orderCount),
                reasons: new RejectReason[](orderCount),
                traders: new address[](2 * orderCount),
                active: new bool[](2 * orderCount),
                makerFeeBps: _makerFeeBps,
                takerFeeBps: _takerFeeBps,
                feeRecipient: _feeRecipient
            });
            uint64 last = _lastTradeId;
            for (uint256 i = 0; i < n; ++i) {
                Fill calldata f = batch.fills[i];
                uint64 tradeId = f.tradeId;
                if (tradeId <= last) continue; // settled (or rejected) by an earlier batch
                // Cannot overflow: trade ids are uint64 counters starting at 1.
                unchecked {
                    if (tradeId != last + 1) revert ClearingTradeIdGap(last + 1, tradeId);
                }
                last = tradeId;
                RejectReason reason = _settleFill(ctx, batch.orders, f);
                if (reason != RejectReason.None) emit TradeRejected(tradeId, reason);
            }
            _lastTradeId = last;
        }
        for (uint256 i = 0; i < batch.withdrawals.length; ++i) _executeSigned(batch.withdrawals[i]);
        for (uint256 i = 0; i < batch.requests.length; ++i) {
            uint256 requestId = batch.requests[i];
            if (!_requests[requestId].done) _executeRequest(requestId);
        }
    }

    // ─────────────────────────────────────── withdrawals ──────────────────────────────────────

    /// @inheritdoc IClearing
    function requestWithdrawal(address token, uint256 tokenId, uint256 amount) external returns (uint256 requestId) {
        _checkToken(token, tokenId);
        if (amount == 0) revert ClearingZeroAmount();
        uint256 balance = _balanceOf(msg.sender, token, tokenId);
        if (balance < amount) revert ClearingInsufficientBalance(msg.sender, token, tokenId, balance, amount);
        requestId = ++_requestCount;
        _requests[requestId] = WithdrawalRequest({
            trader: msg.sender,
            token: token,
            tokenId: tokenId,
            amount: amount,
            requestedAt: uint64(block.timestamp),
            done: false
        });
        emit WithdrawalRequested(
            requestId,
            msg.sender,
            token,
            tokenId,
            amount,
            uint64(block.timestamp) + _withdrawalDelay
        );
    }

    /// @inheritdoc IClearing
    function executeWithdrawalRequest(uint256 requestId) external {
        WithdrawalRequest storage r = _requests[requestId];
        if (r.trader == address(0) || r.done) revert ClearingUnknownWithdrawalRequest(requestId);
        if (r.trader != msg.sender) revert ClearingNotRequester(requestId, msg.sender);
        uint64 dueAt = r.requestedAt + _withdrawalDelay;
        if (block.timestamp < dueAt) revert ClearingWithdrawalNotDue(requestId, dueAt);
        _executeRequest(requestId);
    }

    // ────────────────────────────────────── cancellation ──────────────────────────────────────

    /// @inheritdoc IClearing
    function cancelOrder(Order calldata order) external {
        if (order.trader != msg.sender) revert ClearingNotOrderOwner(order.trader, msg.sender);
        _setOrderState(_orderBits[msg.sender][order.nonce >> 7], order.nonce, CANCELLED);
        emit OrderCancelled(msg.sender, order.nonce, _hashOrder(order));
    }

    /// @inheritdoc IClearing
    function cancelNoncesBelow(uint256 minNonce) external {
        CashAccount storage account = _cashAccounts[msg.sender];
        uint256 current = _minNonceOf(account, msg.sender);
        if (minNonce <= current) revert ClearingNonceNotIncreasing(current, minNonce);
        if (minNonce < LARGE_MIN_NONCE) {
            account.minNonce = uint128(minNonce);
        } else {
            account.minNonce = LARGE_MIN_NONCE;
            _largeMinNonce[msg.sender] = minNonce;
        }
        emit NoncesCancelled(msg.sender, minNonce);
    }

    // ─────────────────────────────────────── parameters ───────────────────────────────────────

    /// @inheritdoc IClearing
    function setFees(uint16 makerFeeBps, uint16 takerFeeBps, address feeRecipient) external restricted {
        if (makerFeeBps > MAX_FEE_BPS) revert ClearingParameterOutOfRange(makerFeeBps, MAX_FEE_BPS);
        if (takerFeeBps > MAX_FEE_BPS) revert ClearingParameterOutOfRange(takerFeeBps, MAX_FEE_BPS);
        if ((makerFeeBps != 0 || takerFeeBps != 0) && feeRecipient == address(0)) {
            revert ClearingAccountNotActive(feeRecipient);
        }
        _makerFeeBps = makerFeeBps;
        _takerFeeBps = takerFeeBps;
        _feeRecipient = feeRecipient;
        emit FeesSet(makerFeeBps, takerFeeBps, feeRecipient);
    }

    /// @inheritdoc IClearing
    function setWithdrawalDelay(uint64 delay) external restricted {
        if (delay > MAX_DELAY) revert ClearingParameterOutOfRange(delay, MAX_DELAY);
        _withdrawalDelay = delay;
        emit WithdrawalDelaySet(delay);
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc IClearing
    function balanceOf(address trader, address token, uint256 tokenId) external view returns (uint256) {
        return _balanceOf(trader, token, tokenId);
    }

    /// @inheritdoc IClearing
    function orderState(address trader, uint256 nonce) external view returns (uint256 filled, bool finished) {
        uint256 state = _orderState(trader, nonce);
        return (
            state == PARTIAL ? _partialFilled(trader, nonce) : 0,
            state >= FILLED || nonce < _minNonceOf(_cashAccounts[trader], trader)
        );
    }

    /// @inheritdoc IClearing
    function minNonceOf(address trader) external view returns (uint256) {
        return _minNonceOf(_cashAccounts[trader], trader);
    }

    /// @inheritdoc IClearing
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashOrder(order);
    }

    /// @inheritdoc IClearing
    function lastTradeId() external view returns (uint64) {
        return _lastTradeId;
    }

    /// @inheritdoc IClearing
    function withdrawalRequest(uint256 requestId) external view returns (WithdrawalRequest memory) {
        return _requests[requestId];
    }

    /// @inheritdoc IClearing
    function withdrawalNonceUsed(address trader, uint256 nonce) external view returns (bool) {
        return _withdrawalNonceUsed[trader][nonce];
    }

    /// @notice The fee schedule: maker and taker basis points and the recipient.
    function fees() external view returns (uint16 makerFeeBps, uint16 takerFeeBps, address feeRecipient) {
        return (_makerFeeBps, _takerFeeBps, _feeRecipient);
    }

    /// @notice The escape-hatch delay in seconds.
    function withdrawalDelay() external view returns (uint64) {
        return _withdrawalDelay;
    }

    // ──────────────────────────────────────── internal ────────────────────────────────────────

    /// @dev Checks one fill against both signed orders and the balances; settles it or says why not.
    function _settleFill(
        BatchContext memory ctx,
        SignedOrder[] calldata orders,
        Fill calldata f
    ) private returns (RejectReason reason) {
        (uint256 buyIndex, uint256 sellIndex, uint256 quantity, uint256 price) = (f.buy, f.sell, f.quantity, f.price);
        if (buyIndex >= orders.length || sellIndex >= orders.length) return RejectReason.BadOrderIndex;
        if (quantity == 0) return RejectReason.ZeroQuantity;
        Order calldata buy = orders[buyIndex].order;
        Order calldata sell = orders[sellIndex].order;
        reason = _matchReason(buy, sell, price);
        if (reason == RejectReason.None) reason = _checkOrder(ctx, orders, buyIndex);
        if (reason == RejectReason.None) reason = _checkOrder(ctx, orders, sellIndex);
        if (reason != RejectReason.None) return reason;

        // Fill bookkeeping: never more than either order signed for.
        (uint256 buyFilled, RejectReason buyReason, Word storage buyStates) = _filledBefore(buy, quantity);
        if (buyReason != RejectReason.None) return buyReason;
        (uint256 sellFilled, RejectReason sellReason, Word storage sellStates) = _filledBefore(sell, quantity);
        if (sellReason != RejectReason.None) return sellReason;

        // Delivery versus payment, once both balances are known to cover it.
        address buyer = buy.trader;
        address seller = sell.trader;
        address token = buy.token;
        uint256 tokenId = buy.tokenId;
        uint256 buyerFee;
        uint256 sellerFee;
        (reason, buyerFee, sellerFee) = _exchange(ctx, buyer, seller, token, tokenId, quantity, price, f.buyerIsMaker);
        if (reason != RejectReason.None) return reason;
        _recordFill(buy, buyStates, buyFilled, quantity);
        _recordFill(sell, sellStates, sellFilled, quantity);
        emit TradeSettled(
            f.tradeId,
            buyer,
            seller,
            token,
            tokenId,
            quantity,
            price,
            ctx.hashes[buyIndex],
            ctx.hashes[sellIndex],
            buyerFee,
            sellerFee
        );
    }

    /// @dev Whether a buy and a sell order can trade with each other at `price`.
    function _matchReason(Order calldata buy, Order calldata sell, uint256 price) private view returns (RejectReason) {
        if (!buy.isBuy || sell.isBuy) return RejectReason.SameSide;
        address token = buy.token;
        if (token != sell.token || buy.tokenId != sell.tokenId) return RejectReason.ProductMismatch;
        if (token != _allowances && token != _offsets) return RejectReason.UnknownToken;
        if (price > buy.price || price < sell.price) return RejectReason.PriceOutsideLimit;
        return RejectReason.None;
    }

    /// @dev Moves units from the seller to the buyer, cash from the buyer to the seller and fees to
    /// the fee recipient, if both balances cover them: the maker rate for the side that made the market.
    function _exchange(
        BatchContext memory ctx,
        address buyer,
        address seller,
        address token,
        uint256 tokenId,
        uint256 quantity,
        uint256 price,
        bool buyerIsMaker
    ) private returns (RejectReason, uint256 buyerFee, uint256 sellerFee) {
        uint256 notional = quantity * price;
        (uint256 buyerBps, uint256 sellerBps) = buyerIsMaker
            ? (ctx.makerFeeBps, ctx.takerFeeBps)
            : (ctx.takerFeeBps, ctx.makerFeeBps);
        // Cannot overflow: a fill's quantity is within its orders' 32-bit quantity and its price is
        // 128-bit, so the notional is below 2^160; a fee rate is at most 100 bps.
        unchecked {
            (buyerFee, sellerFee) = ((notional * buyerBps) / 10_000, (notional * sellerBps) / 10_000);
        }
        CashAccount storage buyerAccount = _cashAccounts[buyer];
        uint256 buyerCash = buyerAccount.cash;
        if (buyerCash < notional + buyerFee) return (RejectReason.InsufficientCash, 0, 0);
        uint256 sellerUnits = _units[seller][token][tokenId];
        if (sellerUnits < quantity) return (RejectReason.InsufficientUnits, 0, 0);
        // Cannot underflow: both balances were checked above. The casts to 128 bits are exact: the
        // notional and both fees are below the buyer's 128-bit cash.
        unchecked {
            buyerAccount.cash = uint128(buyerCash - (notional + buyerFee));
            _units[seller][token][tokenId] = sellerUnits - quantity;
        }
        _cashAccounts[seller].cash += uint128(notional - sellerFee);
        _units[buyer][token][tokenId] += quantity;
        if (buyerFee + sellerFee != 0) _cashAccounts[ctx.feeRecipient].cash += uint128(buyerFee + sellerFee);
        return (RejectReason.None, buyerFee, sellerFee);
    }

    /// @dev What an order filled before, or why it can take no fill of `quantity`; and where its
    /// state is, for {_recordFill}.
    function _filledBefore(
        Order calldata o,
        uint256 quantity
    ) private view returns (uint256 filled, RejectReason, Word storage states) {
        (address trader, uint256 nonce) = (o.trader, o.nonce);
        states = _orderBits[trader][nonce >> 7];
        uint256 state = (states.bits >> ((nonce & 0x7f) * 2)) & 3;
        // A finished order takes no further fill: over-filled if it was filled completely, else cancelled.
        if (state >= FILLED) return (0, state == FILLED ? RejectReason.Overfilled : RejectReason.Cancelled, states);
        if (state == PARTIAL) filled = _partialFilled(trader, nonce);
        // Cannot overflow: a partial count is 32-bit and `quantity` 128-bit.
        unchecked {
            if (o.quantity > MAX_ORDER_QUANTITY || filled + quantity > o.quantity) {
                return (0, RejectReason.Overfilled, states);
            }
        }
        return (filled, RejectReason.None, states);
    }

    /// @dev Expiry, minimum nonce, signature and registry status of one order, checked once per batch.
    function _checkOrder(
        BatchContext memory ctx,
        SignedOrder[] calldata orders,
        uint256 index
    ) private view returns (RejectReason reason) {
        if (ctx.hashes[index] != 0) return ctx.reasons[index];
        SignedOrder calldata so = orders[index];
        bytes32 hash = _hashOrder(so.order);
        address trader = so.order.trader;
        if (so.order.expiry != 0 && so.order.expiry < block.timestamp) reason = RejectReason.Expired;
        else if (so.order.nonce < _minNonceOf(_cashAccounts[trader], trader)) reason = RejectReason.Cancelled;
        else if (!_validSignature(trader, hash, so.signature)) reason = RejectReason.BadSignature;
        else if (!_isActive(ctx, trader)) reason = RejectReason.AccountNotActive;
        ctx.hashes[index] = hash;
        ctx.reasons[index] = reason;
    }

    /// @dev Whether the registry account of `trader` is active, asked once per batch.
    function _isActive(BatchContext memory ctx, address trader) private view returns (bool active) {
        uint256 size = ctx.traders.length;
        uint256 at = uint160(trader) % size;
        for (address seen = ctx.traders[at]; seen != address(0); seen = ctx.traders[at]) {
            if (seen == trader) return ctx.active[at];
            at = at + 1 == size ? 0 : at + 1;
        }
        active = _registry.isActive(trader);
        ctx.traders[at] = trader;
        ctx.active[at] = active;
    }

    /// @dev An EOA signature first (no code look-up for the common case), then ERC-1271.
    function _validSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return signer.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(signer, digest, signature);
    }

    function _executeSigned(SignedWithdrawal calldata sw) private {
        Withdrawal calldata w = sw.withdrawal;
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(WITHDRAWAL_TYPEHASH, w.trader, w.token, w.tokenId, w.amount, w.nonce, w.expiry))
        );
        if (
            _withdrawalNonceUsed[w.trader][w.nonce] ||
            (w.expiry != 0 && w.expiry < block.timestamp) ||
            !_validSignature(w.trader, digest, sw.signature)
        ) revert ClearingInvalidWithdrawal(w.trader, w.nonce);
        _withdrawalNonceUsed[w.trader][w.nonce] = true;
        _payOut(w.trader, w.token, w.tokenId, w.amount, 0, w.nonce);
    }

    function _executeRequest(uint256 requestId) private {
        WithdrawalRequest storage r = _requests[requestId];
        if (r.trader == address(0)) revert ClearingUnknownWithdrawalRequest(requestId);
        r.done = true;
        _payOut(r.trader, r.token, r.tokenId, r.amount, requestId, 0);
    }

    function _payOut(
        address trader,
        address token,
        uint256 tokenId,
        uint256 amount,
        uint256 requestId,
        uint256 nonce
    ) private {
        _checkToken(token, tokenId);
        if (amount == 0) revert ClearingZeroAmount();
        if (!_registry.isActive(trader)) revert ClearingAccountNotActive(trader);
        uint256 balance = _balanceOf(trader, token, tokenId);
        if (balance < amount) revert ClearingInsufficientBalance(trader, token, tokenId, balance, amount);
        // Cannot underflow: checked above.
        unchecked {
            if (token == _cash) _cashAccounts[trader].cash = uint128(balance - amount);
            else _units[trader][token][tokenId] = balance - amount;
        }
        emit Withdrawn(trader, token, tokenId, amount, requestId, nonce);
        if (token == _cash) {
            // slither-disable-next-line unchecked-transfer
            IERC20(_cash).transfer(trader, amount);
        } else {
            IERC1155(token).safeTransferFrom(address(this), trader, tokenId, amount, "");
        }
    }

    function _creditUnits(address operator, address from, uint256 id, uint256 value) private {
        if (msg.sender != _allowances && msg.sender != _offsets) revert ClearingUnsupportedToken(msg.sender);
        if (operator != from) revert ClearingUnexpectedTransfer(operator, from);
        if (!_registry.isActive(from)) revert ClearingAccountNotActive(from);
        _units[from][msg.sender][id] += value;
        emit Deposited(from, msg.sender, id, value);
    }

    function _balanceOf(address trader, address token, uint256 tokenId) private view returns (uint256) {
        if (token != _cash) return _units[trader][token][tokenId];
        return tokenId == 0 ? _cashAccounts[trader].cash : 0;
    }

    function _minNonceOf(CashAccount storage account, address trader) private view returns (uint256) {
        uint128 minNonce = account.minNonce;
        return minNonce == LARGE_MIN_NONCE ? _largeMinNonce[trader] : minNonce;
    }

    function _checkToken(address token, uint256 tokenId) private view {
        if (token == _cash ? tokenId != 0 : token != _allowances && token != _offsets) {
            revert ClearingUnsupportedToken(token);
        }
    }

    function _hashOrder(Order calldata o) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        ORDER_TYPEHASH,
                        o.trader,
                        o.token,
                        o.tokenId,
                        o.isBuy,
                        o.price,
                        o.quantity,
                        o.timeInForce,
                        o.nonce,
                        o.expiry
                    )
                )
            );
    }

    /// @dev Books a fill: an order that is now complete becomes FILLED (its stale partial count is
    /// never read again); one still open keeps its count.
    function _recordFill(Order calldata o, Word storage states, uint256 filledBefore, uint256 quantity) private {
        uint256 nonce = o.nonce;
        // Cannot overflow: checked against the order's 32-bit quantity by {_filledBefore}.
        uint256 filled;
        unchecked {
            filled = filledBefore + quantity;
        }
        if (filled == o.quantity) {
            _setOrderState(states, nonce, FILLED);
        } else {
            if (filledBefore == 0) _setOrderState(states, nonce, PARTIAL);
            Word storage lanes = _partialLanes[o.trader][nonce >> 3];
            uint256 shift = (nonce & 7) * 32;
            lanes.bits = (lanes.bits & ~(uint256(type(uint32).max) << shift)) | (filled << shift);
        }
    }

    function _partialFilled(address trader, uint256 nonce) private view returns (uint256) {
        return (_partialLanes[trader][nonce >> 3].bits >> ((nonce & 7) * 32)) & type(uint32).max;
    }

    function _orderState(address trader, uint256 nonce) private view returns (uint256) {
        return (_orderBits[trader][nonce >> 7].bits >> ((nonce & 0x7f) * 2)) & 3;
    }

    /// @dev Sets the state of `nonce` in its word (read afresh: the other side of a fill may have changed it).
    function _setOrderState(Word storage states, uint256 nonce, uint256 state) private {
        uint256 shift = (nonce & 0x7f) * 2;
        states.bits = (states.bits & ~(uint256(3) << shift)) | (state << shift);
    }
}
