// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IHoldingToken
/// @notice What the registry needs from every token that holds units in registry accounts.
interface IHoldingToken {
    /// @notice Whether `account` holds any units of any token id (pending-locked units included).
    function holdsAnything(address account) external view returns (bool);

    /// @notice Cancels the open pending transfers of `oldWallet` and moves all its units to
    /// `newWallet`.
    /// @dev Requirements: caller holds REGISTRY_CONTRACT (the registry, during key recovery).
    function recoverHoldings(address oldWallet, address newWallet) external;
}
