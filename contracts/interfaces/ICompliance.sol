// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IEmissionsReporting} from "./IEmissionsReporting.sol";

/// @title ICompliance
/// @notice Compliance (遵约) and voluntary cancellation (注销). Each covered entity surrenders, for a
/// year, allowances of any vintage up to that year (banking; never a later vintage) and eligible
/// CCER up to the year's offset cap (⌊capBps × obligation / 10,000⌋ across all its calls), until
/// what it surrendered equals its obligation (the approved verified emissions). After the surrender
/// deadline the regulator closes the year: each entity is compliant or in shortfall; a shortfall is
/// carried into the entity's next allocation, flags the entity for some years and records a fine.
/// Any holder may also cancel units voluntarily and receives a numbered certificate.
interface ICompliance {
    /// @notice The offset rules of a compliance year.
    struct OffsetRules {
        /// @dev CCER may cover at most this share of the obligation, in basis points (1,000 = 10 %).
        uint16 capBps;
        /// @dev A batch's reduction period must start at or after this time (unix seconds; 0 = any).
        uint64 earliestReductionStart;
        /// @dev Whether hydropower batches are refused.
        bool excludeHydro;
        /// @dev keccak256 of the project types accepted; empty = every type.
        bytes32[] allowedTypes;
        /// @dev keccak256 of the project types refused.
        bytes32[] excludedTypes;
    }

    /// @notice Why a CCER batch is not eligible.
    enum Ineligibility {
        None,
        UnknownBatch,
        Hydro,
        ReductionTooEarly,
        TypeNotAllowed,
        TypeExcluded
    }

    /// @notice An entity's standing for a year.
    enum Status {
        None,
        Open,
        Compliant,
        Shortfall
    }

    /// @notice An entity's surrenders and result for a year.
    struct Position {
        Status status;
        bool obligationSet;
        uint256 obligation;
        uint256 allowancesSurrendered;
        uint256 offsetsSurrendered;
        uint256 offsetCap;
        uint256 shortfall;
        uint256 fine;
    }

    /// @notice How far the closing of a year has got.
    struct YearClose {
        bool opened;
        bool closed;
        uint32 processed;
        uint32 compliant;
        uint32 inShortfall;
        uint256 totalShortfall;
    }

    /// @notice A voluntary cancellation certificate.
    struct Certificate {
        address holder;
        uint64 entityId;
        uint64 issuedAt;
        uint256 allowances;
        uint256 offsets;
        string beneficiary;
        string purpose;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when the offset cap share is above 100 %.
    error ComplianceInvalidOffsetCap(uint16 capBps);
    /// @notice Thrown when a year was never opened.
    error ComplianceYearNotOpen(uint16 year);
    /// @notice Thrown when a year is already closed.
    error ComplianceYearClosed(uint16 year);
    /// @notice Thrown when the caller's account is not registered (or is closed).
    error ComplianceAccountNotRegistered(address account);
    /// @notice Thrown when the entity is not covered in the year.
    error ComplianceNotCovered(uint64 entityId, uint16 year);
    /// @notice Thrown when surrendering before the obligation is fixed by approval or estimate.
    error ComplianceObligationNotSet(uint64 entityId, uint16 year);
    /// @notice Thrown when surrendering a vintage later than the compliance year (borrowing).
    error ComplianceBorrowingNotAllowed(uint256 vintage, uint16 year);
    /// @notice Thrown when a CCER batch fails the year's eligibility filter.
    error ComplianceOffsetNotEligible(uint256 batchId, Ineligibility reason);
    /// @notice Thrown when CCER would exceed the year's offset cap.
    error ComplianceOffsetCapExceeded(uint64 entityId, uint16 year, uint256 cap, uint256 used, uint256 requested);
    /// @notice Thrown when a surrender would go beyond the obligation.
    error ComplianceSurrenderExceedsObligation(
        uint64 entityId,
        uint16 year,
        uint256 obligation,
        uint256 surrendered,
        uint256 requested
    );
    /// @notice Thrown when lists of ids and amounts differ in length, or nothing is named.
    error ComplianceInvalidItems();
    /// @notice Thrown when an amount is zero.
    error ComplianceZeroAmount();
    /// @notice Thrown when closing a year before its surrender deadline.
    error ComplianceDeadlineNotPassed(uint16 year, uint64 surrenderDeadline);
    /// @notice Thrown when a text is empty or too long.
    error ComplianceInvalidText(string field);
    /// @notice Thrown when the years flagged after a shortfall are more than 100.
    error ComplianceInvalidPenalties(uint16 flagYears);
    /// @notice Thrown when cancelling units while the regulator's emergency suspension is on.
    error ComplianceCancellationSuspended();
    /// @notice Thrown when a voluntary cancellation comes from an account that is not active.
    error ComplianceAccountNotActive(address account);
    /// @notice Thrown when the maximum number of entities per call is zero.
    error ComplianceInvalidBatchSize();

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when a compliance year is opened.
    event ComplianceYearOpened(uint16 indexed year);
    /// @notice Emitted when the offset rules of a year are set.
    event OffsetRulesSet(
        uint16 indexed year,
        uint16 capBps,
        uint64 earliestReductionStart,
        bool excludeHydro,
        bytes32[] allowedTypes,
        bytes32[] excludedTypes
    );
    /// @notice Emitted when the consequences of a shortfall change.
    event PenaltiesSet(uint16 flagYears, uint256 finePerTonne);
    /// @notice Emitted for each vintage surrendered.
    event AllowancesSurrendered(
        uint64 indexed entityId,
        uint16 indexed year,
        address indexed wallet,
        uint256 vintage,
        uint256 amount
    );
    /// @notice Emitted for each CCER batch surrendered.
    event OffsetsSurrendered(
        uint64 indexed entityId,
        uint16 indexed year,
        address indexed wallet,
        uint256 batchId,
        uint256 amount
    );
    /// @notice Emitted when an entity's surrenders reach its obligation.
    event ObligationMet(uint64 indexed entityId, uint16 indexed year, uint256 obligation);
    /// @notice Emitted for each entity when its year is closed.
    event ComplianceResult(
        uint64 indexed entityId,
        uint16 indexed year,
        Status status,
        uint256 obligation,
        uint256 surrendered,
        uint256 shortfall,
        uint256 fine,
        uint16 flaggedUntil
    );
    /// @notice Emitted when every covered entity of a year has its result.
    event ComplianceClosed(uint16 indexed year, uint32 compliant, uint32 inShortfall, uint256 totalShortfall);
    /// @notice Emitted for each vintage or batch cancelled voluntarily (`offset` says which token).
    event UnitsCancelled(
        uint256 indexed certificateId,
        address indexed holder,
        bool offset,
        uint256 id,
        uint256 amount
    );
    /// @notice Emitted once per voluntary cancellation, with its certificate.
    event CancellationCertificate(
        uint256 indexed certificateId,
        address indexed holder,
        uint64 indexed entityId,
        uint256 allowances,
        uint256 offsets,
        string beneficiary,
        string purpose
    );

    // ──────────────────────────────────────── functions ───────────────────────────────────────

    /// @notice Opens `year`: its reporting calendar (kept by the reporting contract) and offset rules.
    /// @dev Requirements: REGULATOR; year not opened before.
    function openYear(uint16 year, IEmissionsReporting.Schedule calldata schedule, OffsetRules calldata rules) external;

    /// @notice Changes the offset rules of an open year (surrenders already made stand).
    /// @dev Requirements: REGULATOR; year open.
    function setOffsetRules(uint16 year, OffsetRules calldata rules) external;

    /// @notice Sets the consequences of a shortfall: years flagged, fine per tonne (fen).
    /// @dev Requirements: REGULATOR; at most 100 years.
    function setPenalties(uint16 flagYears, uint256 finePerTonne) external;

    /// @notice Surrenders, for `year`, allowances (by vintage) and CCER (by batch) from the caller's wallet.
    /// @dev Requirements: the caller's entity covered and its obligation fixed; year open and its close
    /// not begun; vintages ≤
    /// year; batches eligible; CCER within the cap; not beyond the obligation; units held and not
    /// locked by pending transfers. The units are burned.
    function surrender(
        uint16 year,
        uint256[] calldata vintages,
        uint256[] calldata vintageAmounts,
        uint256[] calldata batchIds,
        uint256[] calldata batchAmounts
    ) external;

    /// @notice Closes the next `maxEntities` covered entities of `year`; the year is closed once all are.
    /// @dev Requirements: REGULATOR; after the surrender deadline; each entity's obligation fixed.
    function closeYear(uint16 year, uint256 maxEntities) external;

    /// @notice Cancels units voluntarily and issues the next certificate id.
    /// @dev Requirements: an active holder; no emergency suspension; beneficiary and purpose 1..256 bytes.
    function cancelUnits(
        uint256[] calldata vintages,
        uint256[] calldata vintageAmounts,
        uint256[] calldata batchIds,
        uint256[] calldata batchAmounts,
        string calldata beneficiary,
        string calldata purpose
    ) external returns (uint256 certificateId);

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @notice An entity's position for `year`; `status` is Open until the obligation is met.
    function positionOf(uint64 entityId, uint16 year) external view returns (Position memory);

    /// @notice The offset rules of `year`.
    function offsetRules(uint16 year) external view returns (OffsetRules memory);

    /// @notice Whether a CCER batch may be surrendered for `year`, and why not.
    function offsetEligibility(uint16 year, uint256 batchId) external view returns (Ineligibility);

    /// @notice How far the closing of `year` has got.
    function yearClose(uint16 year) external view returns (YearClose memory);

    /// @notice The last year to which the entity's shortfall flag applies (0 = never flagged).
    function flaggedUntil(uint64 entityId) external view returns (uint16);

    /// @notice Fines recorded as owed by the entity (fen).
    function finesOwed(uint64 entityId) external view returns (uint256);

    /// @notice Years flagged and fine per tonne (fen) applied at close.
    function penalties() external view returns (uint16 flagYears, uint256 finePerTonne);

    /// @notice Allowances of `vintage` surrendered, and cancelled voluntarily.
    function allowanceRetirements(uint256 vintage) external view returns (uint256 surrendered, uint256 cancelled);

    /// @notice CCER of `batchId` surrendered, and cancelled voluntarily.
    function offsetRetirements(uint256 batchId) external view returns (uint256 surrendered, uint256 cancelled);

    /// @notice A cancellation certificate.
    function certificate(uint256 certificateId) external view returns (Certificate memory);

    /// @notice How many certificates were issued (ids run from 1).
    function certificateCount() external view returns (uint256);
}
