// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GuardedERC1155} from "./GuardedERC1155.sol";
import {IOffsetToken} from "../interfaces/IOffsetToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";

/// @title OffsetToken
/// @notice CCER offsets by issuance batch.
contract OffsetToken is IOffsetToken, GuardedERC1155 {
    mapping(uint256 batchId => Batch) private _batches;
    mapping(bytes32 originRefHash => uint256 batchId) private _byOrigin;
    mapping(uint256 batchId => uint256) private _burned;
    uint256 private _batchCount;

    constructor(
        address authority,
        IParticipantRegistry registry,
        ITransferRules rules
    ) GuardedERC1155("", authority, registry, rules) {}

    /// @inheritdoc IOffsetToken
    function importBatch(address to, Batch calldata b) external restricted returns (uint256 batchId) {
        if (bytes(b.projectId).length == 0) revert OffsetMissingField("projectId");
        if (bytes(b.projectType).length == 0) revert OffsetMissingField("projectType");
        if (bytes(b.methodology).length == 0) revert OffsetMissingField("methodology");
        if (bytes(b.originRef).length == 0) revert OffsetMissingField("originRef");
        if (b.serialLast < b.serialFirst) revert OffsetInvalidSerialRange(b.serialFirst, b.serialLast);
        if (b.reductionEnd <= b.reductionStart) revert OffsetInvalidReductionPeriod(b.reductionStart, b.reductionEnd);
        bytes32 originHash = keccak256(bytes(b.originRef));
        uint256 existing = _byOrigin[originHash];
        if (existing != 0) revert OffsetBatchAlreadyImported(b.originRef, existing);

        batchId = ++_batchCount;
        _batches[batchId] = b;
        _byOrigin[originHash] = batchId;
        // Cannot overflow: both ends are uint64 and last >= first.
        uint256 amount;
        unchecked {
            amount = uint256(b.serialLast) - b.serialFirst + 1;
        }
        emit OffsetBatchImported(
            batchId,
            to,
            amount,
            b.projectId,
            b.projectType,
            b.hydro,
            b.reductionStart,
            b.reductionEnd,
            b.originRef
        );
        _moveAs(Move.Mint, address(0), to, batchId, amount);
    }

    /// @inheritdoc IOffsetToken
    function burn(address from, uint256 batchId, uint256 amount) external restricted {
        _burned[batchId] += amount;
        _moveAs(Move.Burn, from, address(0), batchId, amount);
    }

    /// @inheritdoc IOffsetToken
    function batch(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @inheritdoc IOffsetToken
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc IOffsetToken
    function burned(uint256 batchId) external view returns (uint256) {
        return _burned[batchId];
    }

    function _checkId(uint256 id) internal view override {
        if (id == 0 || id > _batchCount) revert OffsetUnknownBatch(id);
    }
}
