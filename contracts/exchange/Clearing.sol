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

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    address private immutable _allowances;
    address private immutable _offsets;
    address private immutable _cash;

    mapping(address trader => mapping(address token => mapping(uint256 id => uint256))) private _balances;
    /// @dev Two bits per (trader, nonce): 0 = never filled, PARTIAL = filled in part (the count is
    /// in `_partialLanes`), FILLED = filled completely, CANCELLED = cancelled. FILLED and CANCELLED
    /// are both finished and differ only in the reason a further fill is rejected with. A trader's
    /// consecutive nonces share a word, so most fills touch a slot that exists already, and a fresh
    /// order needs no look-up of a partial count.
    mapping(address trader => mapping(uint256 word => uint256 bits)) private _orderBits;
    /// @dev Units filled of orders filled in part: 32-bit lanes, eight consecutive nonces to a word
    /// (so a partial fill usually updates a slot that exists already). Read only in state PARTIAL.
    mapping(address trader => mapping(uint256 word => uint256 lanes)) private _partialLanes;
    mapping(address trader => uint256) private _minNonce;
    mapping(address trader => mapping(uint256 nonce => bool)) private _withdrawalNonceUsed;
    mapping(uint256 requestId => WithdrawalRequest) private _requests;
    uint256 private _requestCount;
    uint64 private _lastTradeId;
    uint64 private _withdrawalDelay = 24 hours;
    uint16 private _makerFeeBps;
    uint16 private _takerFeeBps;
    address private _feeRecipient;

    /// @dev Per-order results cached while one batch is settled.
    struct OrderCheck {
        bytes32 hash;
        RejectReason reason;
        bool checked;
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
        _balances[msg.sender][_cash][0] += amount;
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
        OrderCheck[] memory checks = new OrderCheck[](batch.orders.length);
        uint64 last = _lastTradeId;
        uint256 n = batch.fills.length;
        for (uint256 i = 0; i < n; ++i) {
            Fill calldata f = batch.fills[i];
            if (f.tradeId <= last) continue; // settled (or rejected) by an earlier batch
            // Cannot overflow: trade ids are uint64 counters starting at 1.
            unchecked {
                if (f.tradeId != last + 1) revert ClearingTradeIdGap(last + 1, f.tradeId);
            }
            last = f.tradeId;
            RejectReason reason = _settleFill(batch.orders, checks, f);
            if (reason != RejectReason.None) emit TradeRejected(f.tradeId, reason);
        }
        _lastTradeId = last;
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
        uint256 balance = _balances[msg.sender][token][tokenId];
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
        _cancel(msg.sender, order.nonce);
        emit OrderCancelled(msg.sender, order.nonce, _hashOrder(order));
    }

    /// @inheritdoc IClearing
    function cancelNoncesBelow(uint256 minNonce) external {
        uint256 current = _minNonce[msg.sender];
        if (minNonce <= current) revert ClearingNonceNotIncreasing(current, minNonce);
        _minNonce[msg.sender] = minNonce;
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
        return _balances[trader][token][tokenId];
    }

    /// @inheritdoc IClearing
    function orderState(address trader, uint256 nonce) external view returns (uint256 filled, bool finished) {
        uint256 state = _orderState(trader, nonce);
        return (state == PARTIAL ? _partialFilled(trader, nonce) : 0, state >= FILLED || nonce < _minNonce[trader]);
    }

    /// @inheritdoc IClearing
    function minNonceOf(address trader) external view returns (uint256) {
        return _minNonce[trader];
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

    /// @dev One side of a fill: its trader, nonce, signed quantity and what was filled before.
    struct Leg {
        address trader;
        uint256 nonce;
        uint256 quantity;
        uint256 filled;
    }

    function _settleFill(
        SignedOrder[] calldata orders,
        OrderCheck[] memory checks,
        Fill calldata f
    ) private returns (RejectReason) {
        if (f.buy >= orders.length || f.sell >= orders.length) return RejectReason.BadOrderIndex;
        if (f.quantity == 0) return RejectReason.ZeroQuantity;
        Order calldata buy = orders[f.buy].order;
        Order calldata sell = orders[f.sell].order;
        if (!buy.isBuy || sell.isBuy) return RejectReason.SameSide;
        if (buy.token != sell.token || buy.tokenId != sell.tokenId) return RejectReason.ProductMismatch;
        if (buy.token != _allowances && buy.token != _offsets) return RejectReason.UnknownToken;
        if (f.price > buy.price || f.price < sell.price) return RejectReason.PriceOutsideLimit;
        RejectReason reason = _checkOrder(orders, checks, f.buy);
        if (reason == RejectReason.None) reason = _checkOrder(orders, checks, f.sell);
        if (reason != RejectReason.None) return reason;

        // Fill bookkeeping: never more than either order signed for.
        Leg memory b;
        Leg memory s;
        (b, reason) = _leg(buy, f.quantity);
        if (reason != RejectReason.None) return reason;
        (s, reason) = _leg(sell, f.quantity);
        if (reason != RejectReason.None) return reason;
        return _move(f, buy.token, buy.tokenId, b, s, checks[f.buy].hash, checks[f.sell].hash);
    }

    function _leg(Order calldata o, uint256 quantity) private view returns (Leg memory leg, RejectReason reason) {
        uint256 state = _orderState(o.trader, o.nonce);
        leg = Leg({trader: o.trader, nonce: o.nonce, quantity: o.quantity, filled: 0});
        // A finished order takes no further fill: over-filled if it was filled completely, else cancelled.
        if (state >= FILLED) return (leg, state == FILLED ? RejectReason.Overfilled : RejectReason.Cancelled);
        if (state == PARTIAL) leg.filled = _partialFilled(o.trader, o.nonce);
        if (o.quantity > MAX_ORDER_QUANTITY || leg.filled + quantity > o.quantity) reason = RejectReason.Overfilled;
    }

    function _move(
        Fill calldata f,
        address token,
        uint256 tokenId,
        Leg memory b,
        Leg memory s,
        bytes32 buyHash,
        bytes32 sellHash
    ) private returns (RejectReason) {
        uint256 notional = uint256(f.quantity) * f.price;
        uint256 buyerFee = (notional * (f.buyerIsMaker ? _makerFeeBps : _takerFeeBps)) / 10_000;
        uint256 sellerFee = (notional * (f.buyerIsMaker ? _takerFeeBps : _makerFeeBps)) / 10_000;
        uint256 buyerCash = _balances[b.trader][_cash][0];
        if (buyerCash < notional + buyerFee) return RejectReason.InsufficientCash;
        uint256 sellerUnits = _balances[s.trader][token][tokenId];
        if (sellerUnits < f.quantity) return RejectReason.InsufficientUnits;

        _recordFill(b, f.quantity);
        _recordFill(s, f.quantity);
        // Cannot underflow: both balances were checked above.
        unchecked {
            _balances[b.trader][_cash][0] = buyerCash - (notional + buyerFee);
            _balances[s.trader][token][tokenId] = sellerUnits - f.quantity;
        }
        _balances[s.trader][_cash][0] += notional - sellerFee;
        _balances[b.trader][token][tokenId] += f.quantity;
        if (buyerFee + sellerFee != 0) _balances[_feeRecipient][_cash][0] += buyerFee + sellerFee;
        _emitSettled(f, token, tokenId, [b.trader, s.trader], [buyHash, sellHash], [buyerFee, sellerFee]);
        return RejectReason.None;
    }

    function _emitSettled(
        Fill calldata f,
        address token,
        uint256 tokenId,
        address[2] memory traders,
        bytes32[2] memory hashes,
        uint256[2] memory fees_
    ) private {
        emit TradeSettled(
            f.tradeId,
            traders[0],
            traders[1],
            token,
            tokenId,
            f.quantity,
            f.price,
            hashes[0],
            hashes[1],
            fees_[0],
            fees_[1]
        );
    }

    /// @dev Signature, expiry and minimum nonce of one order, checked once per batch.
    function _checkOrder(
        SignedOrder[] calldata orders,
        OrderCheck[] memory checks,
        uint256 index
    ) private view returns (RejectReason) {
        OrderCheck memory c = checks[index];
        if (!c.checked) {
            SignedOrder calldata so = orders[index];
            c.checked = true;
            c.hash = _hashOrder(so.order);
            if (so.order.expiry != 0 && so.order.expiry < block.timestamp) c.reason = RejectReason.Expired;
            else if (so.order.nonce < _minNonce[so.order.trader]) c.reason = RejectReason.Cancelled;
            else if (!_validSignature(so.order.trader, c.hash, so.signature)) {
                c.reason = RejectReason.BadSignature;
            } else if (!_registry.isActive(so.order.trader)) c.reason = RejectReason.AccountNotActive;
        }
        return c.reason;
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
        uint256 balance = _balances[trader][token][tokenId];
        if (balance < amount) revert ClearingInsufficientBalance(trader, token, tokenId, balance, amount);
        // Cannot underflow: checked above.
        unchecked {
            _balances[trader][token][tokenId] = balance - amount;
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
        _balances[from][msg.sender][id] += value;
        emit Deposited(from, msg.sender, id, value);
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
    function _recordFill(Leg memory leg, uint256 quantity) private {
        uint256 filled = leg.filled + quantity;
        if (filled == leg.quantity) {
            _setOrderState(leg.trader, leg.nonce, FILLED);
        } else {
            if (leg.filled == 0) _setOrderState(leg.trader, leg.nonce, PARTIAL);
            uint256 shift = (leg.nonce & 7) * 32;
            uint256 lanes = _partialLanes[leg.trader][leg.nonce >> 3];
            _partialLanes[leg.trader][leg.nonce >> 3] =
                (lanes & ~(uint256(type(uint32).max) << shift)) | (filled << shift);
        }
    }

    function _cancel(address trader, uint256 nonce) private {
        _setOrderState(trader, nonce, CANCELLED);
    }

    function _partialFilled(address trader, uint256 nonce) private view returns (uint256) {
        return (_partialLanes[trader][nonce >> 3] >> ((nonce & 7) * 32)) & type(uint32).max;
    }

    function _orderState(address trader, uint256 nonce) private view returns (uint256) {
        return (_orderBits[trader][nonce >> 7] >> ((nonce & 0x7f) * 2)) & 3;
    }

    function _setOrderState(address trader, uint256 nonce, uint256 state) private {
        uint256 shift = (nonce & 0x7f) * 2;
        uint256 word = _orderBits[trader][nonce >> 7];
        _orderBits[trader][nonce >> 7] = (word & ~(uint256(3) << shift)) | (state << shift);
    }
}
