// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAllocation} from "../interfaces/IAllocation.sol";
import {IAllowanceToken} from "../interfaces/IAllowanceToken.sol";
import {ICompliance} from "../interfaces/ICompliance.sol";
import {IEmissionsReporting} from "../interfaces/IEmissionsReporting.sol";
import {IOffsetToken} from "../interfaces/IOffsetToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";

/// @title Compliance
/// @notice Surrender against the verified obligation, year close, and voluntary cancellation.
contract Compliance is ICompliance, AccessManaged {
    uint16 private constant BPS = 10_000;
    uint256 private constant MAX_TEXT = 256;
    uint256 private constant MAX_TYPES = 32;
    uint16 private constant MAX_FLAG_YEARS = 100;

    struct Surrendered {
        uint256 allowances;
        uint256 offsets;
        Status closedStatus;
        uint256 shortfall;
        uint256 fine;
    }

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    IAllowanceToken private immutable _allowances;
    IOffsetToken private immutable _offsets;
    IAllocation private immutable _allocation;
    IEmissionsReporting private immutable _reporting;
    ITransferRules private immutable _transferRules;

    mapping(uint16 year => OffsetRules) private _rules;
    mapping(uint16 year => YearClose) private _close;
    mapping(uint64 entityId => mapping(uint16 year => Surrendered)) private _surrendered;
    mapping(uint64 entityId => uint16) private _flaggedUntil;
    mapping(uint64 entityId => uint256) private _finesOwed;
    mapping(uint256 vintage => uint256[2]) private _allowanceRetired;
    mapping(uint256 batchId => uint256[2]) private _offsetRetired;
    mapping(uint256 certificateId => Certificate) private _certificates;
    uint256 private _certificateCount;
    uint16 private _flagYears;
    uint256 private _finePerTonne;

    constructor(
        address authority,
        IParticipantRegistry registry,
        IAllowanceToken allowances,
        IOffsetToken offsets,
        IAllocation allocation,
        IEmissionsReporting reporting,
        ITransferRules rules_,
        uint16 flagYears_,
        uint256 finePerTonne_
    ) AccessManaged(authority) {
        (_registry, _allowances, _offsets, _allocation, _reporting) = (
            registry,
            allowances,
            offsets,
            allocation,
            reporting
        );
        if (flagYears_ > MAX_FLAG_YEARS) revert ComplianceInvalidPenalties(flagYears_);
        _transferRules = rules_;
        (_flagYears, _finePerTonne) = (flagYears_, finePerTonne_);
    }

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @inheritdoc ICompliance
    function openYear(
        uint16 year,
        IEmissionsReporting.Schedule calldata schedule,
        OffsetRules calldata rules
    ) external restricted {
        _reporting.openYear(year, schedule);
        _close[year].opened = true;
        emit ComplianceYearOpened(year);
        _setRules(year, rules);
    }

    /// @inheritdoc ICompliance
    function setOffsetRules(uint16 year, OffsetRules calldata rules) external restricted {
        _requireOpen(year);
        _setRules(year, rules);
    }

    /// @inheritdoc ICompliance
    function setPenalties(uint16 flagYears, uint256 finePerTonne) external restricted {
        if (flagYears > MAX_FLAG_YEARS) revert ComplianceInvalidPenalties(flagYears);
        (_flagYears, _finePerTonne) = (flagYears, finePerTonne);
        emit PenaltiesSet(flagYears, finePerTonne);
    }

    /// @inheritdoc ICompliance
    function surrender(
        uint16 year,
        uint256[] calldata vintages,
        uint256[] calldata vintageAmounts,
        uint256[] calldata batchIds,
        uint256[] calldata batchAmounts
    ) external {
        _checkItems(vintages, vintageAmounts, batchIds, batchAmounts);
        // Once the close has begun, results are being made final: no surrender changes them.
        if (_requireOpen(year).processed != 0) revert ComplianceYearClosed(year);
        uint64 entityId = _holderEntity(msg.sender);
        if (!_allocation.isCovered(year, entityId)) revert ComplianceNotCovered(entityId, year);
        (bool set, uint256 obligation) = _reporting.obligationOf(entityId, year);
        if (!set) revert ComplianceObligationNotSet(entityId, year);
        Surrendered storage s = _surrendered[entityId][year];
        uint256 before = s.allowances + s.offsets;

        uint256 allowances = _allowancesFor(year, vintages, vintageAmounts);
        uint256 offsets = _offsetsFor(year, batchIds, batchAmounts);
        if (offsets != 0) {
            uint256 cap = (obligation * _rules[year].capBps) / BPS;
            if (s.offsets + offsets > cap) {
                revert ComplianceOffsetCapExceeded(entityId, year, cap, s.offsets, offsets);
            }
        }
        if (before + allowances + offsets > obligation) {
            revert ComplianceSurrenderExceedsObligation(entityId, year, obligation, before, allowances + offsets);
        }
        s.allowances += allowances;
        s.offsets += offsets;

        for (uint256 i = 0; i < vintages.length; ++i) {
            _allowanceRetired[vintages[i]][0] += vintageAmounts[i];
            _allowances.burn(msg.sender, vintages[i], vintageAmounts[i]);
            emit AllowancesSurrendered(entityId, year, msg.sender, vintages[i], vintageAmounts[i]);
        }
        for (uint256 i = 0; i < batchIds.length; ++i) {
            _offsetRetired[batchIds[i]][0] += batchAmounts[i];
            _offsets.burn(msg.sender, batchIds[i], batchAmounts[i]);
            emit OffsetsSurrendered(entityId, year, msg.sender, batchIds[i], batchAmounts[i]);
        }
        if (before < obligation && before + allowances + offsets == obligation) {
            emit ObligationMet(entityId, year, obligation);
        }
    }

    /// @inheritdoc ICompliance
    function closeYear(uint16 year, uint256 maxEntities) external restricted {
        if (maxEntities == 0) revert ComplianceInvalidBatchSize();
        YearClose storage c = _requireOpen(year);
        (IEmissionsReporting.Schedule memory schedule, ) = _reporting.yearOf(year);
        if (block.timestamp < schedule.surrenderDeadline) {
            revert ComplianceDeadlineNotPassed(year, schedule.surrenderDeadline);
        }
        uint256 count = _allocation.coveredCount(year);
        uint256 end = count - c.processed <= maxEntities ? count : c.processed + maxEntities;
        for (uint256 i = c.processed; i < end; ++i) {
            _closeEntity(c, _allocation.coveredEntityAt(year, i), year);
        }
        c.processed = uint32(end);
        if (end == count) {
            c.closed = true;
            _reporting.closeYear(year);
            emit ComplianceClosed(year, c.compliant, c.inShortfall, c.totalShortfall);
        }
    }

    /// @inheritdoc ICompliance
    function cancelUnits(
        uint256[] calldata vintages,
        uint256[] calldata vintageAmounts,
        uint256[] calldata batchIds,
        uint256[] calldata batchAmounts,
        string calldata beneficiary,
        string calldata purpose
    ) external returns (uint256 certificateId) {
        _checkItems(vintages, vintageAmounts, batchIds, batchAmounts);
        _checkText(beneficiary, "beneficiary");
        _checkText(purpose, "purpose");
        if (_transferRules.suspended()) revert ComplianceCancellationSuspended();
        IParticipantRegistry.Account memory account = _registry.accountOf(msg.sender);
        if (account.status != IParticipantRegistry.AccountStatus.Active) revert ComplianceAccountNotActive(msg.sender);
        uint64 entityId = account.entityId;
        certificateId = ++_certificateCount;
        Certificate storage cert = _certificates[certificateId];
        (cert.holder, cert.entityId, cert.issuedAt, cert.beneficiary, cert.purpose) = (
            msg.sender,
            entityId,
            uint64(block.timestamp),
            beneficiary,
            purpose
        );
        cert.allowances = _cancel(certificateId, false, vintages, vintageAmounts);
        cert.offsets = _cancel(certificateId, true, batchIds, batchAmounts);
        emit CancellationCertificate(
            certificateId,
            msg.sender,
            entityId,
            cert.allowances,
            cert.offsets,
            beneficiary,
            purpose
        );
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc ICompliance
    function positionOf(uint64 entityId, uint16 year) external view returns (Position memory p) {
        Surrendered storage s = _surrendered[entityId][year];
        (p.obligationSet, p.obligation) = _reporting.obligationOf(entityId, year);
        (p.allowancesSurrendered, p.offsetsSurrendered, p.shortfall, p.fine) = (
            s.allowances,
            s.offsets,
            s.shortfall,
            s.fine
        );
        p.offsetCap = (p.obligation * _rules[year].capBps) / BPS;
        if (s.closedStatus != Status.None) p.status = s.closedStatus;
        else if (!_allocation.isCovered(year, entityId)) p.status = Status.None;
        else if (p.obligationSet && s.allowances + s.offsets >= p.obligation) p.status = Status.Compliant;
        else p.status = Status.Open;
    }

    /// @inheritdoc ICompliance
    function offsetRules(uint16 year) external view returns (OffsetRules memory) {
        return _rules[year];
    }

    /// @inheritdoc ICompliance
    function offsetEligibility(uint16 year, uint256 batchId) external view returns (Ineligibility) {
        return _eligibility(year, batchId);
    }

    /// @inheritdoc ICompliance
    function yearClose(uint16 year) external view returns (YearClose memory) {
        return _close[year];
    }

    /// @inheritdoc ICompliance
    function flaggedUntil(uint64 entityId) external view returns (uint16) {
        return _flaggedUntil[entityId];
    }

    /// @inheritdoc ICompliance
    function finesOwed(uint64 entityId) external view returns (uint256) {
        return _finesOwed[entityId];
    }

    /// @inheritdoc ICompliance
    function penalties() external view returns (uint16 flagYears, uint256 finePerTonne) {
        return (_flagYears, _finePerTonne);
    }

    /// @inheritdoc ICompliance
    function allowanceRetirements(uint256 vintage) external view returns (uint256 surrendered, uint256 cancelled) {
        uint256[2] storage r = _allowanceRetired[vintage];
        return (r[0], r[1]);
    }

    /// @inheritdoc ICompliance
    function offsetRetirements(uint256 batchId) external view returns (uint256 surrendered, uint256 cancelled) {
        uint256[2] storage r = _offsetRetired[batchId];
        return (r[0], r[1]);
    }

    /// @inheritdoc ICompliance
    function certificate(uint256 certificateId) external view returns (Certificate memory) {
        return _certificates[certificateId];
    }

    /// @inheritdoc ICompliance
    function certificateCount() external view returns (uint256) {
        return _certificateCount;
    }

    // ──────────────────────────────────────── private ─────────────────────────────────────────

    function _requireOpen(uint16 year) private view returns (YearClose storage c) {
        c = _close[year];
        if (!c.opened) revert ComplianceYearNotOpen(year);
        if (c.closed) revert ComplianceYearClosed(year);
    }

    function _setRules(uint16 year, OffsetRules calldata rules) private {
        if (rules.capBps > BPS) revert ComplianceInvalidOffsetCap(rules.capBps);
        if (rules.allowedTypes.length > MAX_TYPES || rules.excludedTypes.length > MAX_TYPES) {
            revert ComplianceInvalidText("projectTypes");
        }
        _rules[year] = rules;
        emit OffsetRulesSet(
            year,
            rules.capBps,
            rules.earliestReductionStart,
            rules.excludeHydro,
            rules.allowedTypes,
            rules.excludedTypes
        );
    }

    function _closeEntity(YearClose storage c, uint64 entityId, uint16 year) private {
        (bool set, uint256 obligation) = _reporting.obligationOf(entityId, year);
        if (!set) revert ComplianceObligationNotSet(entityId, year);
        Surrendered storage s = _surrendered[entityId][year];
        uint256 surrendered = s.allowances + s.offsets;
        uint16 flagged = _flaggedUntil[entityId];
        if (surrendered >= obligation) {
            s.closedStatus = Status.Compliant;
            ++c.compliant;
        } else {
            uint256 shortfall = obligation - surrendered;
            uint256 fine = shortfall * _finePerTonne;
            (s.closedStatus, s.shortfall, s.fine) = (Status.Shortfall, shortfall, fine);
            ++c.inShortfall;
            c.totalShortfall += shortfall;
            _finesOwed[entityId] += fine;
            if (_flagYears != 0 && year + _flagYears > flagged) {
                flagged = year + _flagYears;
                _flaggedUntil[entityId] = flagged;
            }
            _allocation.carryShortfall(entityId, year, shortfall);
        }
        emit ComplianceResult(entityId, year, s.closedStatus, obligation, surrendered, s.shortfall, s.fine, flagged);
    }

    /// @dev The allowances a surrender names, all of vintages up to `year` (banking, no borrowing).
    function _allowancesFor(
        uint16 year,
        uint256[] calldata vintages,
        uint256[] calldata amounts
    ) private pure returns (uint256 total) {
        for (uint256 i = 0; i < vintages.length; ++i) {
            if (vintages[i] > year) revert ComplianceBorrowingNotAllowed(vintages[i], year);
            total += amounts[i];
        }
    }

    /// @dev The CCER a surrender names, all of batches eligible under the year's rules.
    function _offsetsFor(
        uint16 year,
        uint256[] calldata batchIds,
        uint256[] calldata amounts
    ) private view returns (uint256 total) {
        for (uint256 i = 0; i < batchIds.length; ++i) {
            Ineligibility why = _eligibility(year, batchIds[i]);
            if (why != Ineligibility.None) revert ComplianceOffsetNotEligible(batchIds[i], why);
            total += amounts[i];
        }
    }

    /// @dev Burns units for a voluntary cancellation; returns how many.
    function _cancel(
        uint256 certificateId,
        bool offset,
        uint256[] calldata ids,
        uint256[] calldata amounts
    ) private returns (uint256 total) {
        for (uint256 i = 0; i < ids.length; ++i) {
            total += amounts[i];
            if (offset) {
                _offsetRetired[ids[i]][1] += amounts[i];
                _offsets.burn(msg.sender, ids[i], amounts[i]);
            } else {
                _allowanceRetired[ids[i]][1] += amounts[i];
                _allowances.burn(msg.sender, ids[i], amounts[i]);
            }
            emit UnitsCancelled(certificateId, msg.sender, offset, ids[i], amounts[i]);
        }
    }

    function _eligibility(uint16 year, uint256 batchId) private view returns (Ineligibility) {
        if (batchId == 0 || batchId > _offsets.batchCount()) return Ineligibility.UnknownBatch;
        OffsetRules storage rules = _rules[year];
        IOffsetToken.Batch memory b = _offsets.batch(batchId);
        if (rules.excludeHydro && b.hydro) return Ineligibility.Hydro;
        if (b.reductionStart < rules.earliestReductionStart) return Ineligibility.ReductionTooEarly;
        bytes32 kind = keccak256(bytes(b.projectType));
        uint256 allowed = rules.allowedTypes.length;
        if (allowed != 0) {
            bool found = false;
            for (uint256 i = 0; i < allowed && !found; ++i) found = rules.allowedTypes[i] == kind;
            if (!found) return Ineligibility.TypeNotAllowed;
        }
        for (uint256 i = 0; i < rules.excludedTypes.length; ++i) {
            if (rules.excludedTypes[i] == kind) return Ineligibility.TypeExcluded;
        }
        return Ineligibility.None;
    }

    function _holderEntity(address wallet) private view returns (uint64) {
        IParticipantRegistry.Account memory account = _registry.accountOf(wallet);
        if (
            account.status == IParticipantRegistry.AccountStatus.None ||
            account.status == IParticipantRegistry.AccountStatus.Closed
        ) revert ComplianceAccountNotRegistered(wallet);
        return account.entityId;
    }

    function _checkItems(
        uint256[] calldata vintages,
        uint256[] calldata vintageAmounts,
        uint256[] calldata batchIds,
        uint256[] calldata batchAmounts
    ) private pure {
        if (
            vintages.length != vintageAmounts.length ||
            batchIds.length != batchAmounts.length ||
            vintages.length + batchIds.length == 0
        ) revert ComplianceInvalidItems();
        for (uint256 i = 0; i < vintageAmounts.length; ++i) if (vintageAmounts[i] == 0) revert ComplianceZeroAmount();
        for (uint256 i = 0; i < batchAmounts.length; ++i) if (batchAmounts[i] == 0) revert ComplianceZeroAmount();
    }

    function _checkText(string calldata text, string memory field) private pure {
        if (bytes(text).length == 0 || bytes(text).length > MAX_TEXT) revert ComplianceInvalidText(field);
    }
}
