// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITransferRules
/// @notice The transfer-safety rules shared by every token: each holder's trusted account list,
/// the delay before a transfer to an untrusted account is released, the delay before a newly
/// trusted account counts, and the regulator's emergency suspension.
interface ITransferRules {
    /// @notice One entry of a holder's trusted account list.
    struct TrustedAccount {
        address account;
        uint64 activeFrom;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when a holder without an active account edits a trusted list.
    error RulesHolderNotActive(address holder);
    /// @notice Thrown when the account to trust is the zero address or the holder itself.
    error RulesInvalidTrustedAccount(address account);
    /// @notice Thrown when the account to trust has no active registry account.
    error RulesTrustedAccountNotActive(address account);
    /// @notice Thrown when the account is on the list already.
    error RulesAlreadyTrusted(address holder, address account);
    /// @notice Thrown when the account is not on the list.
    error RulesNotTrusted(address holder, address account);
    /// @notice Thrown when a holder's list would grow beyond its maximum size.
    error RulesTrustedListFull(address holder, uint256 max);
    /// @notice Thrown when a delay is outside the allowed range.
    error RulesDelayOutOfRange(uint64 delay, uint64 max);
    /// @notice Thrown when suspending while suspended, or resuming while not.
    error RulesSuspensionUnchanged(bool suspended);

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when a holder adds an account to its trusted list.
    /// @param holder The holder whose list changed.
    /// @param account The trusted account.
    /// @param activeFrom When transfers to it start to be immediate (unix seconds).
    event TrustedAccountAdded(address indexed holder, address indexed account, uint64 activeFrom);
    /// @notice Emitted when a holder removes an account from its trusted list.
    /// @param holder The holder whose list changed.
    /// @param account The removed account.
    event TrustedAccountRemoved(address indexed holder, address indexed account);
    /// @notice Emitted when the regulator sets the hold period of transfers to untrusted accounts.
    /// @param delay The new delay in seconds.
    event PendingDelaySet(uint64 delay);
    /// @notice Emitted when the regulator sets the delay before a newly trusted account counts.
    /// @param delay The new delay in seconds.
    event TrustDelaySet(uint64 delay);
    /// @notice Emitted when the regulator suspends all transfers but allocation and surrender.
    /// @param reason Why.
    event TransfersSuspended(string reason);
    /// @notice Emitted when the regulator lifts the suspension.
    event TransfersResumed();

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @notice Adds `account` to the caller's trusted list; it counts from now + trust delay.
    /// @dev Requirements: caller and `account` have active accounts; not already listed; at most
    /// 64 entries. Emits {TrustedAccountAdded}.
    function addTrusted(address account) external;

    /// @notice Removes `account` from the caller's trusted list, at once.
    /// @dev Requirements: listed. Emits {TrustedAccountRemoved}.
    function removeTrusted(address account) external;

    /// @notice Sets how long a transfer to an untrusted account is held.
    /// @dev Requirements: caller holds REGULATOR; at most 30 days. Emits {PendingDelaySet}.
    function setPendingDelay(uint64 delay) external;

    /// @notice Sets how long a newly trusted account waits before it counts.
    /// @dev Requirements: caller holds REGULATOR; at most 30 days. Emits {TrustDelaySet}.
    function setTrustDelay(uint64 delay) external;

    /// @notice Suspends every transfer but allocation and surrender.
    /// @dev Requirements: caller holds REGULATOR; not suspended. Emits {TransfersSuspended}.
    function suspend(string calldata reason) external;

    /// @notice Lifts the suspension.
    /// @dev Requirements: caller holds REGULATOR; suspended. Emits {TransfersResumed}.
    function resume() external;

    /// @notice Whether a transfer from `from` to `to` is immediate: either side is a clearing house
    /// (deposits into a trading account, and payouts, which a clearing contract makes only to the
    /// owner's own registry wallet), `to` is an account of the same entity, or `to` is on `from`'s
    /// trusted list with its delay passed.
    function isImmediate(address from, address to) external view returns (bool);

    /// @notice Whether `account` is on `holder`'s trusted list and its delay has passed.
    function isTrusted(address holder, address account) external view returns (bool);

    /// @notice The caller-visible trusted list of `holder`, with each entry's start time.
    function trustedAccounts(address holder) external view returns (TrustedAccount[] memory);

    /// @notice The hold period of transfers to untrusted accounts, in seconds (default 26 h).
    function pendingDelay() external view returns (uint64);

    /// @notice The delay before a newly trusted account counts, in seconds (default 26 h).
    function trustDelay() external view returns (uint64);

    /// @notice Whether transfers are suspended.
    function suspended() external view returns (bool);
}
