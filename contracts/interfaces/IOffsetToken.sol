// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardedToken} from "./IGuardedToken.sol";

/// @title IOffsetToken
/// @notice CCER offsets (核证自愿减排量): ERC-1155, token id = issuance batch, 1 unit = 1 t CO2e.
/// Each batch is brought in from the national registry by the offset registrar with the facts that
/// compliance filters on; the same holder rules as allowances apply.
interface IOffsetToken is IGuardedToken {
    /// @notice The facts of one CCER issuance batch.
    struct Batch {
        string projectId;
        string projectType;
        bool hydro;
        string methodology;
        uint64 reductionStart;
        uint64 reductionEnd;
        uint64 serialFirst;
        uint64 serialLast;
        string originRef;
    }

    /// @notice Thrown when the batch's serial range is empty or reversed.
    error OffsetInvalidSerialRange(uint64 serialFirst, uint64 serialLast);
    /// @notice Thrown when the reduction period is empty or reversed.
    error OffsetInvalidReductionPeriod(uint64 start, uint64 end);
    /// @notice Thrown when a required text field (project id, type, methodology, origin) is empty.
    error OffsetMissingField(string field);
    /// @notice Thrown when the same origin-registry batch was imported before.
    error OffsetBatchAlreadyImported(string originRef, uint256 batchId);
    /// @notice Thrown when a batch id was never imported.
    error OffsetUnknownBatch(uint256 batchId);

    /// @notice Emitted when a CCER batch is imported.
    /// @param batchId The token id given to it.
    /// @param to The account credited with every unit of it.
    /// @param amount Units (serialLast − serialFirst + 1).
    /// @param projectId The project's id at the origin registry.
    /// @param projectType The project type.
    /// @param hydro Whether it is a hydropower project.
    /// @param reductionStart Start of the reduction period (unix seconds).
    /// @param reductionEnd End of the reduction period (unix seconds).
    /// @param originRef The batch's reference at the origin registry.
    event OffsetBatchImported(
        uint256 indexed batchId,
        address indexed to,
        uint256 amount,
        string projectId,
        string projectType,
        bool hydro,
        uint64 reductionStart,
        uint64 reductionEnd,
        string originRef
    );

    /// @notice Imports a batch and credits all of it to `to`; returns its new batch id.
    /// @dev Requirements: caller holds OFFSET_REGISTRAR; `to` active; valid serial range and
    /// period; origin reference never imported. Emits {OffsetBatchImported}, {IERC1155-TransferSingle}.
    function importBatch(address to, Batch calldata batch) external returns (uint256 batchId);

    /// @notice Burns CCER (surrender or cancellation).
    /// @dev Requirements: caller holds OFFSET_BURNER; `from` not closed, with enough unlocked units.
    function burn(address from, uint256 batchId, uint256 amount) external;

    /// @notice The facts of a batch.
    function batch(uint256 batchId) external view returns (Batch memory);

    /// @notice How many batches were imported (ids run from 1).
    function batchCount() external view returns (uint256);

    /// @notice Units of a batch ever burned.
    function burned(uint256 batchId) external view returns (uint256);
}
