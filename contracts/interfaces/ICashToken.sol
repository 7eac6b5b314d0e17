// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardedToken} from "./IGuardedToken.sol";

/// @title ICashToken
/// @notice Settlement money held at the exchange's clearing bank: ERC-20 with 2 decimals (1 unit =
/// 1 fen). Minted when the clearing bank attests a deposit, burned when a holder withdraws; the same
/// holder rules and transfer safety as allowances apply (token id 0 in {IGuardedToken}).
interface ICashToken is IGuardedToken {
    /// @notice Thrown when a bank reference is zero or was used before.
    error CashInvalidBankReference(bytes32 bankRef);
    /// @notice Thrown when a payout reference is zero or was used before by the same holder.
    error CashInvalidPayoutReference(address holder, bytes32 payoutRef);

    /// @notice Emitted when the clearing bank attests a deposit.
    /// @param to The account credited.
    /// @param amount Fen.
    /// @param bankRef The bank's reference of the incoming payment.
    event CashDeposited(address indexed to, uint256 amount, bytes32 indexed bankRef);
    /// @notice Emitted when a holder withdraws to its bank account.
    /// @param from The account debited.
    /// @param amount Fen.
    /// @param payoutRef The holder's reference for the payout.
    event CashWithdrawn(address indexed from, uint256 amount, bytes32 indexed payoutRef);

    /// @notice Mints `amount` fen to `to` against an attested deposit.
    /// @dev Requirements: caller holds CLEARING_BANK; `to` active; amount > 0; `bankRef` non-zero
    /// and never used. Emits {CashDeposited}, {IERC20-Transfer}.
    function deposit(address to, uint256 amount, bytes32 bankRef) external;

    /// @notice Burns `amount` fen of the caller's for a payout by the clearing bank.
    /// @dev Requirements: caller active (not frozen) with enough unlocked fen; `payoutRef` non-zero
    /// and never used by the caller. Payout references live apart from bank references, so that no
    /// holder can use up a bank reference before the clearing bank's deposit.
    /// Emits {CashWithdrawn}, {IERC20-Transfer}.
    function withdraw(uint256 amount, bytes32 payoutRef) external;

    /// @notice Whether the clearing bank used `ref` for a deposit.
    function referenceUsed(bytes32 ref) external view returns (bool);

    /// @notice Whether `holder` used `ref` for a withdrawal.
    function payoutReferenceUsed(address holder, bytes32 ref) external view returns (bool);
}
