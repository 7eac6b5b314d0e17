// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAllocation} from "../interfaces/IAllocation.sol";
import {IEmissionsReporting} from "../interfaces/IEmissionsReporting.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title EmissionsReporting
/// @notice Annual emission reports, their verification and the regulator's decision.
contract EmissionsReporting is IEmissionsReporting, AccessManaged {
    uint16 private constant FIRST_YEAR = 2000;
    uint16 private constant LAST_YEAR = 2100;
    uint256 private constant MAX_TEXT = 512;

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    IAllocation private immutable _allocation;

    mapping(uint16 year => Schedule) private _schedules;
    mapping(uint16 year => YearState) private _yearStates;
    mapping(uint64 verifierEntityId => bool) private _accredited;
    mapping(uint64 entityId => mapping(uint16 year => uint64 verifierEntityId)) private _assigned;
    mapping(uint64 entityId => mapping(uint16 year => ReportState)) private _reports;
    mapping(uint64 entityId => mapping(uint16 year => ReportVersion[])) private _versions;
    uint16 private _maxConsecutiveYears;

    constructor(
        address authority,
        IParticipantRegistry registry,
        IAllocation allocation,
        uint16 maxConsecutiveYears_
    ) AccessManaged(authority) {
        if (maxConsecutiveYears_ == 0) revert ReportingInvalidRotation();
        _registry = registry;
        _allocation = allocation;
        _maxConsecutiveYears = maxConsecutiveYears_;
    }

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @inheritdoc IEmissionsReporting
    function openYear(uint16 year, Schedule calldata schedule) external restricted {
        if (year < FIRST_YEAR || year > LAST_YEAR) revert ReportingInvalidYear(year);
        if (_yearStates[year] != YearState.None) revert ReportingYearAlreadyOpen(year);
        if (
            schedule.reportingOpens >= schedule.reportDeadline || schedule.reportDeadline > schedule.surrenderDeadline
        ) {
            revert ReportingInvalidSchedule(
                schedule.reportingOpens,
                schedule.reportDeadline,
                schedule.surrenderDeadline
            );
        }
        _schedules[year] = schedule;
        _yearStates[year] = YearState.Open;
        emit YearOpened(year, schedule.reportingOpens, schedule.reportDeadline, schedule.surrenderDeadline);
    }

    /// @inheritdoc IEmissionsReporting
    function closeYear(uint16 year) external restricted {
        _requireOpen(year);
        _yearStates[year] = YearState.Closed;
        emit YearClosed(year);
    }

    /// @inheritdoc IEmissionsReporting
    function setAccreditation(uint64 verifierEntityId, bool accredited) external restricted {
        if (_registry.entityOf(verifierEntityId).category != IParticipantRegistry.Category.Verifier) {
            revert ReportingNotVerifier(verifierEntityId);
        }
        _accredited[verifierEntityId] = accredited;
        emit VerifierAccreditationSet(verifierEntityId, accredited);
    }

    /// @inheritdoc IEmissionsReporting
    function setMaxConsecutiveYears(uint16 maxYears) external restricted {
        if (maxYears == 0) revert ReportingInvalidRotation();
        _maxConsecutiveYears = maxYears;
        emit VerifierRotationSet(maxYears);
    }

    /// @inheritdoc IEmissionsReporting
    function assignVerifier(uint64 entityId, uint16 year, uint64 verifierEntityId) external restricted {
        _requireOpen(year);
        if (!_allocation.isCovered(year, entityId)) revert ReportingNotCovered(entityId, year);
        if (!_accredited[verifierEntityId]) revert ReportingVerifierNotAccredited(verifierEntityId);
        ReportStatus status = _reports[entityId][year].status;
        if (status != ReportStatus.None && status != ReportStatus.Submitted && status != ReportStatus.Returned) {
            revert ReportingReportLocked(entityId, year, status);
        }
        // The run of consecutive years this assignment would make, before and after `year`.
        uint16 max = _maxConsecutiveYears;
        uint16 consecutive = 0;
        for (uint16 y = year - 1; y >= FIRST_YEAR && consecutive < max; --y) {
            if (_assigned[entityId][y] != verifierEntityId) break;
            ++consecutive;
        }
        for (uint16 y = year + 1; y <= LAST_YEAR && consecutive < max; ++y) {
            if (_assigned[entityId][y] != verifierEntityId) break;
            ++consecutive;
        }
        if (consecutive >= max) revert ReportingVerifierRotationRequired(entityId, verifierEntityId, consecutive, max);
        _assigned[entityId][year] = verifierEntityId;
        emit VerifierAssigned(entityId, year, verifierEntityId);
    }

    /// @inheritdoc IEmissionsReporting
    function submitReport(
        uint16 year,
        uint256 reportedTotal,
        bytes32 contentHash,
        bytes32 documentHash,
        string calldata uri
    ) external {
        uint64 entityId = _activeEntityOf(msg.sender);
        Schedule storage schedule = _requireOpen(year);
        if (block.timestamp < schedule.reportingOpens) revert ReportingYearNotOpen(year);
        if (!_allocation.isCovered(year, entityId)) revert ReportingNotCovered(entityId, year);
        if (contentHash == bytes32(0)) revert ReportingInvalidField("contentHash");
        if (documentHash == bytes32(0)) revert ReportingInvalidField("documentHash");
        if (bytes(uri).length > MAX_TEXT) revert ReportingInvalidField("uri");
        ReportState storage r = _reports[entityId][year];
        if (r.status != ReportStatus.None && r.status != ReportStatus.Submitted && r.status != ReportStatus.Returned) {
            revert ReportingReportLocked(entityId, year, r.status);
        }
        _versions[entityId][year].push(
            ReportVersion({
                reportedTotal: reportedTotal,
                contentHash: contentHash,
                documentHash: documentHash,
                uri: uri,
                submitter: msg.sender,
                submittedAt: uint64(block.timestamp)
            })
        );
        uint32 version = ++r.versions;
        r.status = ReportStatus.Submitted;
        emit ReportSubmitted(
            entityId,
            year,
            version,
            msg.sender,
            reportedTotal,
            contentHash,
            documentHash,
            uri,
            block.timestamp > schedule.reportDeadline
        );
    }

    /// @inheritdoc IEmissionsReporting
    function attest(
        uint64 entityId,
        uint16 year,
        uint256 verifiedTotal,
        bytes32 statementHash,
        Opinion opinion
    ) external {
        uint64 verifier = _activeEntityOf(msg.sender);
        Schedule storage schedule = _requireOpen(year);
        if (_assigned[entityId][year] != verifier || verifier == 0) {
            revert ReportingNotAssignedVerifier(msg.sender, entityId, year);
        }
        if (!_accredited[verifier]) revert ReportingVerifierNotAccredited(verifier);
        ReportState storage r = _reports[entityId][year];
        if (r.status != ReportStatus.Submitted) revert ReportingNothingToAttest(entityId, year, r.status);
        if (opinion == Opinion.None) revert ReportingInvalidOpinion();
        if (statementHash == bytes32(0)) revert ReportingInvalidField("statementHash");
        (r.status, r.verifier, r.attestedAt) = (ReportStatus.Verified, verifier, uint64(block.timestamp));
        (r.opinion, r.verifiedTotal, r.statementHash) = (opinion, verifiedTotal, statementHash);
        emit ReportVerified(
            entityId,
            year,
            verifier,
            r.versions,
            verifiedTotal,
            statementHash,
            opinion,
            block.timestamp > schedule.reportDeadline
        );
    }

    /// @inheritdoc IEmissionsReporting
    function approve(uint64 entityId, uint16 year) external restricted {
        _requireOpen(year);
        ReportState storage r = _reports[entityId][year];
        if (r.obligationSet) revert ReportingAlreadyDecided(entityId, year, r.status);
        if (r.status != ReportStatus.Verified) revert ReportingNotVerified(entityId, year, r.status);
        if (r.opinion == Opinion.Adverse) revert ReportingAdverseOpinion(entityId, year);
        (r.status, r.obligation, r.obligationSet, r.decidedAt) = (
            ReportStatus.Approved,
            r.verifiedTotal,
            true,
            uint64(block.timestamp)
        );
        emit ReportApproved(entityId, year, r.versions, r.verifiedTotal);
    }

    /// @inheritdoc IEmissionsReporting
    function returnReport(uint64 entityId, uint16 year, string calldata reason) external restricted {
        _requireOpen(year);
        _checkText(reason, "reason");
        ReportState storage r = _reports[entityId][year];
        if (r.status != ReportStatus.Submitted && r.status != ReportStatus.Verified) {
            revert ReportingNothingToReturn(entityId, year, r.status);
        }
        (r.status, r.verifier, r.attestedAt) = (ReportStatus.Returned, 0, 0);
        (r.opinion, r.verifiedTotal, r.statementHash) = (Opinion.None, 0, bytes32(0));
        emit ReportReturned(entityId, year, r.versions, reason);
    }

    /// @inheritdoc IEmissionsReporting
    function setEstimate(uint64 entityId, uint16 year, uint256 tonnes, string calldata reason) external restricted {
        Schedule storage schedule = _requireOpen(year);
        if (block.timestamp <= schedule.reportDeadline)
            revert ReportingDeadlineNotPassed(year, schedule.reportDeadline);
        if (!_allocation.isCovered(year, entityId)) revert ReportingNotCovered(entityId, year);
        _checkText(reason, "reason");
        ReportState storage r = _reports[entityId][year];
        if (r.obligationSet) revert ReportingAlreadyDecided(entityId, year, r.status);
        (r.status, r.obligation, r.obligationSet, r.decidedAt) = (
            ReportStatus.Estimated,
            tonnes,
            true,
            uint64(block.timestamp)
        );
        emit ObligationEstimated(entityId, year, tonnes, reason);
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc IEmissionsReporting
    function yearOf(uint16 year) external view returns (Schedule memory schedule, YearState state) {
        return (_schedules[year], _yearStates[year]);
    }

    /// @inheritdoc IEmissionsReporting
    function reportOf(uint64 entityId, uint16 year) external view returns (ReportState memory) {
        return _reports[entityId][year];
    }

    /// @inheritdoc IEmissionsReporting
    function reportVersion(uint64 entityId, uint16 year, uint32 version) external view returns (ReportVersion memory) {
        ReportVersion[] storage versions = _versions[entityId][year];
        if (version == 0 || version > versions.length) return ReportVersion(0, 0, 0, "", address(0), 0);
        return versions[version - 1];
    }

    /// @inheritdoc IEmissionsReporting
    function obligationOf(uint64 entityId, uint16 year) external view returns (bool set, uint256 tonnes) {
        ReportState storage r = _reports[entityId][year];
        return (r.obligationSet, r.obligation);
    }

    /// @inheritdoc IEmissionsReporting
    function assignedVerifier(uint64 entityId, uint16 year) external view returns (uint64) {
        return _assigned[entityId][year];
    }

    /// @inheritdoc IEmissionsReporting
    function isAccredited(uint64 verifierEntityId) external view returns (bool) {
        return _accredited[verifierEntityId];
    }

    /// @inheritdoc IEmissionsReporting
    function maxConsecutiveYears() external view returns (uint16) {
        return _maxConsecutiveYears;
    }

    // ──────────────────────────────────────── private ─────────────────────────────────────────

    function _requireOpen(uint16 year) private view returns (Schedule storage) {
        YearState state = _yearStates[year];
        if (state == YearState.Closed) revert ReportingYearClosed(year);
        if (state != YearState.Open) revert ReportingYearNotOpen(year);
        return _schedules[year];
    }

    function _activeEntityOf(address wallet) private view returns (uint64) {
        IParticipantRegistry.Account memory account = _registry.accountOf(wallet);
        if (account.status != IParticipantRegistry.AccountStatus.Active) revert ReportingAccountNotActive(wallet);
        return account.entityId;
    }

    function _checkText(string calldata text, string memory field) private pure {
        if (bytes(text).length == 0 || bytes(text).length > MAX_TEXT) revert ReportingInvalidField(field);
    }
}
