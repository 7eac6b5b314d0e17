// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Roles
/// @notice The role ids of the scheme's AccessManager. The same ids live in `sdk/roles.ts`.
/// @dev Role 0 is the AccessManager's own ADMIN_ROLE (held by the regulator's governance wallet).
library Roles {
    /// @notice The carbon trading management centre: rules, suspension, parameters.
    uint64 internal constant REGULATOR = 1;
    /// @notice Opens, freezes, unfreezes and closes registry accounts; blocks pending transfers.
    uint64 internal constant REGISTRY_OPERATOR = 2;
    /// @notice Accredited third-party verification bodies.
    uint64 internal constant VERIFIER = 3;
    /// @notice The exchange operator, which submits settlement batches.
    uint64 internal constant EXCHANGE = 4;
    /// @notice The exchange's clearing bank, which attests cash deposits.
    uint64 internal constant CLEARING_BANK = 5;
    /// @notice Brings CCER batches in from the national registry.
    uint64 internal constant OFFSET_REGISTRAR = 6;
    /// @notice The regulator's forced-transfer power; granted with an execution delay.
    uint64 internal constant ENFORCEMENT = 7;
    /// @notice The regulator's key-recovery power; granted with an execution delay.
    uint64 internal constant RECOVERY = 8;
    /// @notice Contracts that may mint allowances (allocation, auction).
    uint64 internal constant ALLOWANCE_MINTER = 10;
    /// @notice Contracts that may burn allowances (surrender, cancellation, claw-back).
    uint64 internal constant ALLOWANCE_BURNER = 11;
    /// @notice Contracts that may burn CCER (surrender, cancellation).
    uint64 internal constant OFFSET_BURNER = 12;
    /// @notice The participant registry contract, which moves holdings on key recovery.
    uint64 internal constant REGISTRY_CONTRACT = 13;
    /// @notice The compliance contract, which opens and closes reporting years and carries shortfalls.
    uint64 internal constant COMPLIANCE_CONTRACT = 14;
    /// @notice The reserve-sales contract, which sets reserve units aside for auctions and sales.
    uint64 internal constant RESERVE_SALES = 15;
    /// @notice Read-only supervision (auditors of the management centre): granted to no function;
    /// the indexer's explorer answers entity-level data to its holders, as to REGULATOR's.
    uint64 internal constant AUDITOR = 16;
}
