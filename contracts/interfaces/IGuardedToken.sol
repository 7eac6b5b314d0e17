// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IHoldingToken} from "./IHoldingToken.sol";

/// @title IGuardedToken
/// @notice The transfer safety every registry token shares: only active registered accounts hold
/// and receive; a transfer to an account that is not trusted is held pending for the regulator's
/// delay, during which the sender may cancel it and the registry operator may block it; an optional
/// per-transfer maximum to untrusted accounts; forced transfers by the regulator, through the
/// AccessManager's execution delay.
/// @dev For an ERC-20 token every `id` below is 0.
interface IGuardedToken is IHoldingToken {
    /// @notice The life of a pending transfer.
    enum PendingStatus {
        None,
        Pending,
        Cancelled,
        Blocked,
        Executed
    }

    /// @notice A transfer to an untrusted account, held until `releaseAt`.
    struct PendingTransfer {
        address from;
        address to;
        uint256 id;
        uint256 amount;
        uint64 releaseAt;
        PendingStatus status;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when an amount is zero.
    error TokenZeroAmount();
    /// @notice Thrown when an account that must hold, send or receive has no registry account.
    error TokenAccountNotRegistered(address account);
    /// @notice Thrown when an account that must send or receive is frozen or closed.
    error TokenAccountNotActive(address account, uint8 status);
    /// @notice Thrown when transfers are suspended by the regulator.
    error TokenTransfersSuspended();
    /// @notice Thrown when an account holds fewer units than requested.
    error TokenInsufficientBalance(address account, uint256 id, uint256 balance, uint256 requested);
    /// @notice Thrown when enough units are held but some are locked by pending transfers.
    error TokenBalanceLocked(address account, uint256 id, uint256 available, uint256 locked, uint256 requested);
    /// @notice Thrown when a transfer to an untrusted account exceeds the sender's per-transfer maximum.
    error TokenUntrustedLimitExceeded(address from, uint256 amount, uint256 limit);
    /// @notice Thrown when a direct balance change would skip the transfer-safety route.
    error TokenRouteNotImmediate(address from, address to);
    /// @notice Thrown when a pending transfer id does not exist.
    error TokenUnknownPendingTransfer(uint256 transferId);
    /// @notice Thrown when a pending transfer is no longer pending.
    error TokenPendingTransferClosed(uint256 transferId, PendingStatus status);
    /// @notice Thrown when executing a pending transfer before its release time.
    error TokenPendingTransferNotReleased(uint256 transferId, uint64 releaseAt);
    /// @notice Thrown when someone other than the sender cancels a pending transfer.
    error TokenNotPendingSender(uint256 transferId, address caller);
    /// @notice Thrown when a forced transfer names the same account twice.
    error TokenForcedTransferToSelf(address account);
    /// @notice Thrown when the caller may not move the holder's units.
    error TokenNotAuthorised(address caller, address holder);

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when a transfer to an untrusted account is held.
    /// @param transferId The pending transfer's id.
    /// @param from The sender, whose units are locked until then.
    /// @param to The receiver.
    /// @param id The token id.
    /// @param amount The units held.
    /// @param releaseAt When anyone may execute it (unix seconds).
    event TransferPending(
        uint256 indexed transferId,
        address indexed from,
        address indexed to,
        uint256 id,
        uint256 amount,
        uint64 releaseAt
    );
    /// @notice Emitted when a pending transfer is cancelled by its sender or by key recovery.
    /// @param transferId The pending transfer's id.
    /// @param by Who cancelled it.
    event PendingTransferCancelled(uint256 indexed transferId, address indexed by);
    /// @notice Emitted when the registry operator blocks a pending transfer.
    /// @param transferId The pending transfer's id.
    /// @param by The operator.
    /// @param caseRef The case reference.
    event PendingTransferBlocked(uint256 indexed transferId, address indexed by, string caseRef);
    /// @notice Emitted when a pending transfer is executed after its release time.
    /// @param transferId The pending transfer's id.
    /// @param by Who executed it.
    event PendingTransferExecuted(uint256 indexed transferId, address indexed by);
    /// @notice Emitted after the regulator forces a transfer.
    /// @param from The account debited.
    /// @param to The account credited.
    /// @param id The token id.
    /// @param amount The units moved.
    /// @param caseRef The case reference of the decision.
    event ForcedTransfer(address indexed from, address indexed to, uint256 id, uint256 amount, string caseRef);
    /// @notice Emitted after key recovery moved every unit of a wallet.
    /// @param oldWallet The replaced wallet.
    /// @param newWallet The replacement wallet.
    event HoldingsRecovered(address indexed oldWallet, address indexed newWallet);
    /// @notice Emitted when a holder sets its per-transfer maximum to untrusted accounts.
    /// @param holder The holder.
    /// @param limit The maximum (0 = none).
    /// @param effectiveFrom When it applies: at once when lowered, after the trust delay when raised.
    event UntrustedLimitSet(address indexed holder, uint256 limit, uint64 effectiveFrom);

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @notice Cancels a pending transfer and unlocks its units.
    /// @dev Requirements: caller is the sender; still pending. Emits {PendingTransferCancelled}.
    function cancelPending(uint256 transferId) external;

    /// @notice Blocks a pending transfer and unlocks its units.
    /// @dev Requirements: caller holds REGISTRY_OPERATOR; still pending. Emits {PendingTransferBlocked}.
    function blockPending(uint256 transferId, string calldata caseRef) external;

    /// @notice Executes a pending transfer once its release time has passed.
    /// @dev Requirements: still pending; released; not suspended; both accounts active.
    /// Emits {PendingTransferExecuted} and the token's transfer event.
    function executePending(uint256 transferId) external;

    /// @notice Sets the caller's per-transfer maximum to untrusted accounts (0 = none). Lowering
    /// applies at once; raising (or removing) applies after the trust delay.
    /// @dev Emits {UntrustedLimitSet}.
    function setUntrustedLimit(uint256 limit) external;

    /// @notice Moves units by a decision of the regulator.
    /// @dev Requirements: caller holds ENFORCEMENT (scheduled through the AccessManager's execution
    /// delay); `from` != `to`; `to` active; `from` registered with enough unlocked units.
    /// Emits {ForcedTransfer}.
    function forceTransfer(address from, address to, uint256 id, uint256 amount, string calldata caseRef) external;

    /// @notice A pending transfer.
    function pendingTransfer(uint256 transferId) external view returns (PendingTransfer memory);

    /// @notice The ids of the open pending transfers sent by `account`.
    function pendingTransfersOf(address account) external view returns (uint256[] memory);

    /// @notice How many pending transfers were ever created.
    function pendingTransferCount() external view returns (uint256);

    /// @notice The units of `id` held by `account` but locked by its pending transfers.
    function lockedBalanceOf(address account, uint256 id) external view returns (uint256);

    /// @notice The units of `id` that `account` may spend now.
    function availableBalanceOf(address account, uint256 id) external view returns (uint256);

    /// @notice The per-transfer maximum to untrusted accounts in force for `holder` (0 = none),
    /// and a raised one waiting with the time it applies (0 when none waits).
    function untrustedLimitOf(address holder) external view returns (uint256 limit, uint256 next, uint64 nextFrom);

    /// @notice The token ids in which `account` holds units.
    function heldIds(address account) external view returns (uint256[] memory);
}
