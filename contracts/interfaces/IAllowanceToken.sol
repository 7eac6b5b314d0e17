// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardedToken} from "./IGuardedToken.sol";

/// @title IAllowanceToken
/// @notice Emission allowances (配额): ERC-1155, token id = vintage year, 1 unit = 1 t CO2. Only
/// active registered accounts hold and receive them; minted only by allocation and auction
/// contracts, burned only by surrender, cancellation and claw-back contracts.
interface IAllowanceToken is IGuardedToken {
    /// @notice Thrown when minting a vintage outside 2000..2100.
    error AllowanceInvalidVintage(uint256 vintage);
    /// @notice Thrown when a vintage was never issued.
    error AllowanceUnknownVintage(uint256 vintage);

    /// @notice Mints `amount` allowances of `vintage` to `to`.
    /// @dev Requirements: caller holds ALLOWANCE_MINTER; `to` active; amount > 0; vintage in range.
    /// Emits {IERC1155-TransferSingle}.
    function mint(address to, uint256 vintage, uint256 amount) external;

    /// @notice Burns `amount` allowances of `vintage` from `from`.
    /// @dev Requirements: caller holds ALLOWANCE_BURNER; `from` registered and not closed, with
    /// enough unlocked units. Emits {IERC1155-TransferSingle}.
    function burn(address from, uint256 vintage, uint256 amount) external;

    /// @notice Whether any allowance of `vintage` was ever issued.
    function vintageExists(uint256 vintage) external view returns (bool);

    /// @notice Every vintage ever issued, in order of first issuance.
    function vintages() external view returns (uint256[] memory);

    /// @notice Total allowances of `vintage` ever minted.
    function issued(uint256 vintage) external view returns (uint256);

    /// @notice Total allowances of `vintage` ever burned.
    function burned(uint256 vintage) external view returns (uint256);
}
