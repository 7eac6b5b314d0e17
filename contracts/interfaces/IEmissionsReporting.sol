// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IEmissionsReporting
/// @notice Monitoring, reporting and verification (监测、报告、核查). A covered entity submits its
/// annual report (reported total, the keccak256 of the canonical report JSON, the hash and URI of
/// the signed document) and may resubmit; the accredited verifier the regulator assigned to it for
/// the year attests the verified total with its statement hash and opinion; the regulator approves
/// (the verified total becomes the obligation) or returns it with a reason. With no approved
/// report after the reporting deadline the regulator may set a conservative estimate instead.
/// The compliance contract opens and closes years here.
interface IEmissionsReporting {
    /// @notice The reporting calendar of a compliance year (unix seconds).
    struct Schedule {
        uint64 reportingOpens;
        uint64 reportDeadline;
        uint64 surrenderDeadline;
    }

    /// @notice Where a year stands.
    enum YearState {
        None,
        Open,
        Closed
    }

    /// @notice Where an entity's report for a year stands.
    enum ReportStatus {
        None,
        Submitted,
        Verified,
        Approved,
        Returned,
        Estimated
    }

    /// @notice A verifier's opinion on a report.
    enum Opinion {
        None,
        Positive,
        Qualified,
        Adverse
    }

    /// @notice One submitted version of a report.
    struct ReportVersion {
        uint256 reportedTotal;
        bytes32 contentHash;
        bytes32 documentHash;
        string uri;
        address submitter;
        uint64 submittedAt;
    }

    /// @notice The state of an entity's report for a year.
    struct ReportState {
        ReportStatus status;
        uint32 versions;
        uint64 verifier;
        uint64 attestedAt;
        Opinion opinion;
        uint256 verifiedTotal;
        bytes32 statementHash;
        /// @dev The approved verified total or the regulator's estimate; meaningful when `obligationSet`.
        uint256 obligation;
        bool obligationSet;
        uint64 decidedAt;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when a year is outside 2000..2100.
    error ReportingInvalidYear(uint16 year);
    /// @notice Thrown when a schedule is not ordered opens < report deadline ≤ surrender deadline.
    error ReportingInvalidSchedule(uint64 reportingOpens, uint64 reportDeadline, uint64 surrenderDeadline);
    /// @notice Thrown when opening a year twice.
    error ReportingYearAlreadyOpen(uint16 year);
    /// @notice Thrown when a year is not open for reporting (never opened, or not yet).
    error ReportingYearNotOpen(uint16 year);
    /// @notice Thrown when a year is closed.
    error ReportingYearClosed(uint16 year);
    /// @notice Thrown when the caller is not an active registry account.
    error ReportingAccountNotActive(address account);
    /// @notice Thrown when the entity is not covered in the year.
    error ReportingNotCovered(uint64 entityId, uint16 year);
    /// @notice Thrown when the entity's report can no longer be changed (verified, approved, estimated).
    error ReportingReportLocked(uint64 entityId, uint16 year, ReportStatus status);
    /// @notice Thrown when a required hash is zero or a text is empty or too long.
    error ReportingInvalidField(string field);
    /// @notice Thrown when the entity is not a registered verification body.
    error ReportingNotVerifier(uint64 verifierEntityId);
    /// @notice Thrown when the verifier is not accredited.
    error ReportingVerifierNotAccredited(uint64 verifierEntityId);
    /// @notice Thrown when the same verifier would verify an entity more consecutive years (before and
    /// after this one: `consecutiveYears`) than the maximum allows.
    error ReportingVerifierRotationRequired(
        uint64 entityId,
        uint64 verifierEntityId,
        uint16 consecutiveYears,
        uint16 max
    );
    /// @notice Thrown when the caller's entity is not the verifier assigned to the report.
    error ReportingNotAssignedVerifier(address caller, uint64 entityId, uint16 year);
    /// @notice Thrown when there is no submitted report waiting for attestation.
    error ReportingNothingToAttest(uint64 entityId, uint16 year, ReportStatus status);
    /// @notice Thrown when the opinion is missing.
    error ReportingInvalidOpinion();
    /// @notice Thrown when approving a report that is not verified.
    error ReportingNotVerified(uint64 entityId, uint16 year, ReportStatus status);
    /// @notice Thrown when the report was already approved (or the obligation estimated).
    error ReportingAlreadyDecided(uint64 entityId, uint16 year, ReportStatus status);
    /// @notice Thrown when approving a report with an adverse opinion: it must be returned.
    error ReportingAdverseOpinion(uint64 entityId, uint16 year);
    /// @notice Thrown when returning a report that is neither submitted nor verified.
    error ReportingNothingToReturn(uint64 entityId, uint16 year, ReportStatus status);
    /// @notice Thrown when estimating before the reporting deadline has passed.
    error ReportingDeadlineNotPassed(uint16 year, uint64 reportDeadline);
    /// @notice Thrown when the maximum of consecutive years is zero.
    error ReportingInvalidRotation();

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when a compliance year is opened with its calendar.
    event YearOpened(uint16 indexed year, uint64 reportingOpens, uint64 reportDeadline, uint64 surrenderDeadline);
    /// @notice Emitted when a compliance year is closed.
    event YearClosed(uint16 indexed year);
    /// @notice Emitted when a verification body's accreditation is granted or withdrawn.
    event VerifierAccreditationSet(uint64 indexed verifierEntityId, bool accredited);
    /// @notice Emitted when the maximum consecutive years of one verifier for one entity changes.
    event VerifierRotationSet(uint16 maxConsecutiveYears);
    /// @notice Emitted when a verifier is assigned to an entity's report for a year.
    event VerifierAssigned(uint64 indexed entityId, uint16 indexed year, uint64 indexed verifierEntityId);
    /// @notice Emitted when a report (version) is submitted; `late` when after the reporting deadline.
    event ReportSubmitted(
        uint64 indexed entityId,
        uint16 indexed year,
        uint32 version,
        address submitter,
        uint256 reportedTotal,
        bytes32 contentHash,
        bytes32 documentHash,
        string uri,
        bool late
    );
    /// @notice Emitted when the assigned verifier attests a report; `late` when after the reporting deadline.
    event ReportVerified(
        uint64 indexed entityId,
        uint16 indexed year,
        uint64 indexed verifierEntityId,
        uint32 version,
        uint256 verifiedTotal,
        bytes32 statementHash,
        Opinion opinion,
        bool late
    );
    /// @notice Emitted when the regulator approves a report: the verified total is the obligation.
    event ReportApproved(uint64 indexed entityId, uint16 indexed year, uint32 version, uint256 obligation);
    /// @notice Emitted when the regulator returns a report to the entity.
    event ReportReturned(uint64 indexed entityId, uint16 indexed year, uint32 version, string reason);
    /// @notice Emitted when the regulator sets a conservative estimate as the obligation.
    event ObligationEstimated(uint64 indexed entityId, uint16 indexed year, uint256 obligation, string reason);

    // ──────────────────────────────────────── functions ───────────────────────────────────────

    /// @notice Opens `year` for reporting with its calendar.
    /// @dev Requirements: COMPLIANCE_CONTRACT (called by the compliance contract's `openYear`).
    function openYear(uint16 year, Schedule calldata schedule) external;

    /// @notice Closes `year`: reports, attestations and decisions for it are refused from now on.
    /// @dev Requirements: COMPLIANCE_CONTRACT.
    function closeYear(uint16 year) external;

    /// @notice Grants or withdraws the accreditation of a verification body.
    /// @dev Requirements: REGULATOR; the entity is registered as a verifier.
    function setAccreditation(uint64 verifierEntityId, bool accredited) external;

    /// @notice Sets the maximum number of consecutive years one verifier may verify one entity.
    /// @dev Requirements: REGULATOR; at least 1.
    function setMaxConsecutiveYears(uint16 maxYears) external;

    /// @notice Assigns an accredited verifier to an entity's report for `year`.
    /// @dev Requirements: REGULATOR; year open; entity covered; report not yet attested; rotation rule.
    function assignVerifier(uint64 entityId, uint16 year, uint64 verifierEntityId) external;

    /// @notice Submits (or resubmits) the caller's entity's report for `year`.
    /// @dev Requirements: an active account of a covered entity; year open; not verified, approved or estimated.
    function submitReport(
        uint16 year,
        uint256 reportedTotal,
        bytes32 contentHash,
        bytes32 documentHash,
        string calldata uri
    ) external;

    /// @notice The assigned verifier attests the latest version of a report.
    /// @dev Requirements: an active account of the assigned, accredited verifier; a submitted report.
    function attest(
        uint64 entityId,
        uint16 year,
        uint256 verifiedTotal,
        bytes32 statementHash,
        Opinion opinion
    ) external;

    /// @notice Approves a verified report: its verified total becomes the obligation.
    /// @dev Requirements: REGULATOR; verified, opinion not adverse.
    function approve(uint64 entityId, uint16 year) external;

    /// @notice Returns a submitted or verified report to the entity with a reason.
    /// @dev Requirements: REGULATOR.
    function returnReport(uint64 entityId, uint16 year, string calldata reason) external;

    /// @notice Sets a conservative estimate as the obligation when no report was approved by the deadline.
    /// @dev Requirements: REGULATOR; after the reporting deadline; not approved or estimated.
    function setEstimate(uint64 entityId, uint16 year, uint256 tonnes, string calldata reason) external;

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @notice The calendar and state of `year`.
    function yearOf(uint16 year) external view returns (Schedule memory schedule, YearState state);

    /// @notice The state of an entity's report for `year`.
    function reportOf(uint64 entityId, uint16 year) external view returns (ReportState memory);

    /// @notice Version `version` (from 1) of an entity's report for `year`.
    function reportVersion(uint64 entityId, uint16 year, uint32 version) external view returns (ReportVersion memory);

    /// @notice Whether the obligation is fixed, and its tonnes.
    function obligationOf(uint64 entityId, uint16 year) external view returns (bool set, uint256 tonnes);

    /// @notice The verifier assigned to an entity for `year` (0 if none).
    function assignedVerifier(uint64 entityId, uint16 year) external view returns (uint64);

    /// @notice Whether a verification body is accredited.
    function isAccredited(uint64 verifierEntityId) external view returns (bool);

    /// @notice The maximum number of consecutive years one verifier may verify one entity.
    function maxConsecutiveYears() external view returns (uint16);
}
