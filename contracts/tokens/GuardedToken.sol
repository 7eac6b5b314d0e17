// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IGuardedToken} from "../interfaces/IGuardedToken.sol";
import {IHoldingToken} from "../interfaces/IHoldingToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";

/// @title GuardedToken
/// @notice Transfer safety shared by the registry's tokens, whatever their standard. A concrete
/// token routes every balance change through its `_update`, which calls {_checkMove} first; the
/// wrappers here set the kind of move so that `_update` applies the right rules and no path skips
/// them.
abstract contract GuardedToken is IGuardedToken, AccessManaged {
    using EnumerableSet for EnumerableSet.UintSet;

    /// @dev What the next balance change is; transient, so it resets at the end of every transaction.
    enum Move {
        Transfer,
        Release,
        Mint,
        Burn,
        Forced,
        Recovery
    }

    struct Limit {
        uint256 current;
        uint256 next;
        uint64 nextFrom;
    }

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry internal immutable _registry;
    ITransferRules internal immutable _rules;

    Move private transient _move;
    uint256 private _pendingCount;
    mapping(uint256 transferId => PendingTransfer) private _pending;
    mapping(address account => EnumerableSet.UintSet) private _openPending;
    mapping(address account => mapping(uint256 id => uint256)) private _locked;
    mapping(address holder => Limit) private _limits;

    constructor(address authority, IParticipantRegistry registry, ITransferRules rules) AccessManaged(authority) {
        _registry = registry;
        _rules = rules;
    }

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @inheritdoc IGuardedToken
    function cancelPending(uint256 transferId) external {
        PendingTransfer storage p = _openTransfer(transferId);
        if (p.from != msg.sender) revert TokenNotPendingSender(transferId, msg.sender);
        _close(transferId, p, PendingStatus.Cancelled);
        emit PendingTransferCancelled(transferId, msg.sender);
    }

    /// @inheritdoc IGuardedToken
    function blockPending(uint256 transferId, string calldata caseRef) external restricted {
        PendingTransfer storage p = _openTransfer(transferId);
        _close(transferId, p, PendingStatus.Blocked);
        emit PendingTransferBlocked(transferId, msg.sender, caseRef);
    }

    /// @inheritdoc IGuardedToken
    function executePending(uint256 transferId) external {
        PendingTransfer storage p = _openTransfer(transferId);
        if (block.timestamp < p.releaseAt) revert TokenPendingTransferNotReleased(transferId, p.releaseAt);
        _close(transferId, p, PendingStatus.Executed);
        _moveAs(Move.Release, p.from, p.to, p.id, p.amount);
        emit PendingTransferExecuted(transferId, msg.sender);
    }

    /// @inheritdoc IGuardedToken
    function setUntrustedLimit(uint256 limit) external {
        Limit storage limits = _limits[msg.sender];
        uint256 current = _limitInForce(limits);
        bool lowers = limit != 0 && (current == 0 || limit <= current);
        if (lowers) {
            _limits[msg.sender] = Limit({current: limit, next: 0, nextFrom: 0});
            emit UntrustedLimitSet(msg.sender, limit, uint64(block.timestamp));
        } else {
            uint64 from = uint64(block.timestamp) + _rules.trustDelay();
            _limits[msg.sender] = Limit({current: current, next: limit, nextFrom: from});
            emit UntrustedLimitSet(msg.sender, limit, from);
        }
    }

    /// @inheritdoc IGuardedToken
    function forceTransfer(
        address from,
        address to,
        uint256 id,
        uint256 amount,
        string calldata caseRef
    ) external restricted {
        if (from == to) revert TokenForcedTransferToSelf(from);
        _moveAs(Move.Forced, from, to, id, amount);
        emit ForcedTransfer(from, to, id, amount, caseRef);
    }

    /// @inheritdoc IHoldingToken
    function recoverHoldings(address oldWallet, address newWallet) external restricted {
        EnumerableSet.UintSet storage open = _openPending[oldWallet];
        while (open.length() > 0) {
            uint256 transferId = open.at(open.length() - 1);
            _close(transferId, _pending[transferId], PendingStatus.Cancelled);
            emit PendingTransferCancelled(transferId, msg.sender);
        }
        uint256[] memory ids = _heldIds(oldWallet);
        for (uint256 i = 0; i < ids.length; ++i) {
            _moveAs(Move.Recovery, oldWallet, newWallet, ids[i], _balance(oldWallet, ids[i]));
        }
        emit HoldingsRecovered(oldWallet, newWallet);
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc IGuardedToken
    function pendingTransfer(uint256 transferId) external view returns (PendingTransfer memory) {
        return _pending[transferId];
    }

    /// @inheritdoc IGuardedToken
    function pendingTransfersOf(address account) external view returns (uint256[] memory) {
        return _openPending[account].values();
    }

    /// @inheritdoc IGuardedToken
    function pendingTransferCount() external view returns (uint256) {
        return _pendingCount;
    }

    /// @inheritdoc IGuardedToken
    function lockedBalanceOf(address account, uint256 id) external view returns (uint256) {
        return _locked[account][id];
    }

    /// @inheritdoc IGuardedToken
    function availableBalanceOf(address account, uint256 id) external view returns (uint256) {
        return _balance(account, id) - _locked[account][id];
    }

    /// @inheritdoc IGuardedToken
    function untrustedLimitOf(address holder) external view returns (uint256 limit, uint256 next, uint64 nextFrom) {
        Limit storage limits = _limits[holder];
        limit = _limitInForce(limits);
        if (limits.nextFrom > block.timestamp) (next, nextFrom) = (limits.next, limits.nextFrom);
    }

    /// @inheritdoc IGuardedToken
    function heldIds(address account) external view returns (uint256[] memory) {
        return _heldIds(account);
    }

    /// @inheritdoc IHoldingToken
    function holdsAnything(address account) external view returns (bool) {
        return _heldIds(account).length > 0;
    }

    // ──────────────────────────────────────── internal ────────────────────────────────────────

    /// @dev The token's raw balance of `id` held by `account`.
    function _balance(address account, uint256 id) internal view virtual returns (uint256);

    /// @dev The ids in which `account` holds units.
    function _heldIds(address account) internal view virtual returns (uint256[] memory);

    /// @dev Reverts unless `id` is a token id that exists.
    function _checkId(uint256 id) internal view virtual;

    /// @dev Changes balances through the token's standard internal mint (`from` = 0), burn (`to` = 0)
    /// or transfer, and so through its `_update`.
    function _rawMove(address from, address to, uint256 id, uint256 amount) internal virtual;

    /// @dev Runs one balance change of the given kind; `_update` checks it against that kind's rules.
    function _moveAs(Move kind, address from, address to, uint256 id, uint256 amount) internal {
        _move = kind;
        _rawMove(from, to, id, amount);
        _move = Move.Transfer;
    }

    /// @dev A holder's transfer: immediate to a trusted account, its own entity's other accounts or
    /// a clearing house; held pending otherwise.
    function _transferOrHold(address from, address to, uint256 id, uint256 amount) internal returns (bool immediate) {
        immediate = _rules.isImmediate(from, to);
        if (immediate) {
            _moveAs(Move.Transfer, from, to, id, amount);
        } else {
            _hold(from, to, id, amount);
        }
    }

    /// @dev Returns the kind of the balance change under way and resets it to an ordinary transfer.
    /// A token's `_update` takes the kind once, before any external call (the ERC-1155 acceptance
    /// hook), so that a receiver contract transferring from inside its hook is checked as an ordinary
    /// transfer and gets none of the privileges of the change that called it (mint, forced, recovery).
    function _takeMove() internal returns (Move move) {
        move = _move;
        _move = Move.Transfer;
    }

    /// @dev Every balance change passes here first (from the token's `_update`), with the kind taken
    /// by {_takeMove}. `spent` is what earlier entries of the same change already take from `from` in
    /// `id` (an ERC-1155 batch may name an id twice): availability is checked for `spent + amount`.
    function _checkMove(Move move, address from, address to, uint256 id, uint256 amount, uint256 spent) internal view {
        if (amount == 0) revert TokenZeroAmount();
        _checkId(id);
        if (from == address(0)) {
            if (move != Move.Mint) revert TokenNotAuthorised(msg.sender, from);
            _requireActive(to);
            return;
        }
        if (to == address(0)) {
            if (move != Move.Burn) revert TokenNotAuthorised(msg.sender, from);
            _requireNotClosed(from);
            _requireAvailable(from, id, spent + amount);
            return;
        }
        if (move == Move.Recovery) {
            _requireActive(to);
            return;
        }
        if (move == Move.Forced) {
            _requireRegistered(from);
            _requireActive(to);
            _requireAvailable(from, id, spent + amount);
            return;
        }
        if (move != Move.Transfer && move != Move.Release) revert TokenNotAuthorised(msg.sender, from);
        if (_rules.suspended()) revert TokenTransfersSuspended();
        _requireActive(from);
        _requireActive(to);
        _requireAvailable(from, id, spent + amount);
        if (move == Move.Transfer && !_rules.isImmediate(from, to)) revert TokenRouteNotImmediate(from, to);
    }

    // ──────────────────────────────────────── private ─────────────────────────────────────────

    function _hold(address from, address to, uint256 id, uint256 amount) internal {
        if (amount == 0) revert TokenZeroAmount();
        _checkId(id);
        if (_rules.suspended()) revert TokenTransfersSuspended();
        _requireActive(from);
        _requireActive(to);
        _requireAvailable(from, id, amount);
        uint256 limit = _limitInForce(_limits[from]);
        if (limit != 0 && amount > limit) revert TokenUntrustedLimitExceeded(from, amount, limit);

        uint256 transferId = ++_pendingCount;
        uint64 releaseAt = uint64(block.timestamp) + _rules.pendingDelay();
        _pending[transferId] = PendingTransfer({
            from: from,
            to: to,
            id: id,
            amount: amount,
            releaseAt: releaseAt,
            status: PendingStatus.Pending
        });
        _locked[from][id] += amount;
        _openPending[from].add(transferId);
        emit TransferPending(transferId, from, to, id, amount, releaseAt);
    }

    function _close(uint256 transferId, PendingTransfer storage p, PendingStatus status) private {
        p.status = status;
        // Cannot underflow: the lock was added when the transfer was created and is removed once.
        unchecked {
            _locked[p.from][p.id] -= p.amount;
        }
        _openPending[p.from].remove(transferId);
    }

    function _openTransfer(uint256 transferId) private view returns (PendingTransfer storage p) {
        p = _pending[transferId];
        if (p.status == PendingStatus.None) revert TokenUnknownPendingTransfer(transferId);
        if (p.status != PendingStatus.Pending) revert TokenPendingTransferClosed(transferId, p.status);
    }

    function _limitInForce(Limit storage limits) private view returns (uint256) {
        return limits.nextFrom != 0 && limits.nextFrom <= block.timestamp ? limits.next : limits.current;
    }

    function _requireAvailable(address account, uint256 id, uint256 amount) private view {
        uint256 balance = _balance(account, id);
        if (balance < amount) revert TokenInsufficientBalance(account, id, balance, amount);
        uint256 locked = _locked[account][id];
        if (balance - locked < amount) revert TokenBalanceLocked(account, id, balance - locked, locked, amount);
    }

    function _requireActive(address account) internal view {
        IParticipantRegistry.AccountStatus status = _registry.accountOf(account).status;
        if (status == IParticipantRegistry.AccountStatus.None) revert TokenAccountNotRegistered(account);
        if (status != IParticipantRegistry.AccountStatus.Active) revert TokenAccountNotActive(account, uint8(status));
    }

    function _requireNotClosed(address account) private view {
        IParticipantRegistry.AccountStatus status = _registry.accountOf(account).status;
        if (status == IParticipantRegistry.AccountStatus.None) revert TokenAccountNotRegistered(account);
        if (status == IParticipantRegistry.AccountStatus.Closed) revert TokenAccountNotActive(account, uint8(status));
    }

    function _requireRegistered(address account) private view {
        if (_registry.accountOf(account).status == IParticipantRegistry.AccountStatus.None) {
            revert TokenAccountNotRegistered(account);
        }
    }
}
