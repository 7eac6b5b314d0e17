// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IAllocation
/// @notice Cap and free allocation (总量目标与配额分配). The regulator sets each year's cap and the
/// share kept as the government reserve, records the year's allocation plan by the hash of its
/// published inputs and the hash of its entries (so anyone can recompute it off chain), and issues
/// it: vintage `year` is minted to each covered entity, less any compliance shortfall carried from
/// the year before. The reserve pays for ex-post adjustments, new entrants and reserve sales.
/// Covered entities of a year are the entities of its plan plus new entrants from the reserve.
interface IAllocation {
    /// @notice A year's cap, reserve and what was issued against them.
    struct YearInfo {
        uint256 cap;
        uint16 reserveBps;
        /// @dev floor(cap × reserveBps / 10,000).
        uint256 reserve;
        /// @dev Allowances minted under the plan (after shortfall deductions).
        uint256 freeIssued;
        /// @dev Shortfall carried from earlier years and deducted from this year's plan.
        uint256 deducted;
        /// @dev Reserve units given out: ex-post issuance, new entrants, units held for sales.
        uint256 reserveUsed;
        bytes32 inputsHash;
        bytes32 planHash;
        string planUri;
        uint32 planEntries;
        /// @dev The plan's gross total, before deductions.
        uint256 planTotal;
        uint32 entriesIssued;
        uint256 grossIssued;
        /// @dev Rolling keccak256 over the entries issued so far; equals `planHash` once complete.
        bytes32 runningHash;
        bool planComplete;
    }

    /// @notice One entry of a plan: the entity, the wallet that receives, the gross amount.
    struct Grant {
        uint64 entityId;
        address wallet;
        uint256 amount;
    }

    /// @notice What one entity received for a year.
    struct Entitlement {
        uint256 gross;
        uint256 deducted;
        uint256 fromReserve;
        bool covered;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when a year is outside 2000..2100.
    error AllocationInvalidYear(uint16 year);
    /// @notice Thrown when the reserve share is above 100 % (10,000 basis points).
    error AllocationInvalidReserveShare(uint16 reserveBps);
    /// @notice Thrown when the year has no cap yet.
    error AllocationCapNotSet(uint16 year);
    /// @notice Thrown when a new cap or reserve share would be below what was already issued from it.
    error AllocationCapBelowIssued(uint16 year, uint256 available, uint256 issued);
    /// @notice Thrown when issuing more than the cap minus the reserve allows.
    error AllocationOverCap(uint16 year, uint256 requested, uint256 available);
    /// @notice Thrown when the year already has a plan.
    error AllocationPlanExists(uint16 year);
    /// @notice Thrown when the year has no plan to issue.
    error AllocationNoPlan(uint16 year);
    /// @notice Thrown when a plan has no entries or no hashes.
    error AllocationInvalidPlan();
    /// @notice Thrown when issuing after the plan was completed.
    error AllocationPlanComplete(uint16 year);
    /// @notice Thrown when entries are not in strictly ascending entity order.
    error AllocationPlanOrder(uint64 entityId, uint64 previousEntityId);
    /// @notice Thrown when the issued entries exceed the plan's count or total.
    error AllocationOverPlan(uint16 year, uint256 issued, uint256 planTotal);
    /// @notice Thrown when the completed plan's hash or total differs from what was recorded.
    error AllocationPlanMismatch(uint16 year, bytes32 expectedHash, bytes32 actualHash);
    /// @notice Thrown when the wallet is not an active account of the entity.
    error AllocationWalletNotOfEntity(address wallet, uint64 entityId);
    /// @notice Thrown when the entity is not a covered entity in the registry.
    error AllocationNotCoveredEntity(uint64 entityId);
    /// @notice Thrown when more would be taken from the reserve than remains of it.
    error AllocationReserveExhausted(uint16 year, uint256 requested, uint256 remaining);
    /// @notice Thrown when returning more to the reserve than was set aside for sales.
    error AllocationReserveUnderflow(uint16 year, uint256 returned, uint256 drawn);
    /// @notice Thrown when a claw-back asks for more than the holder can give up.
    error AllocationClawbackExceedsBalance(address wallet, uint16 vintage, uint256 available, uint256 requested);
    /// @notice Thrown when an amount is zero.
    error AllocationZeroAmount();
    /// @notice Thrown when a reason is empty or longer than 256 bytes.
    error AllocationInvalidReason();

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when a year's cap or reserve share is set.
    event CapSet(uint16 indexed year, uint256 cap, uint16 reserveBps, uint256 reserve);
    /// @notice Emitted when a year's allocation plan is recorded.
    event PlanRegistered(
        uint16 indexed year,
        bytes32 inputsHash,
        bytes32 planHash,
        uint32 entries,
        uint256 total,
        string uri
    );
    /// @notice Emitted for each plan entry issued: `gross` − `deducted` allowances were minted.
    event Allocated(
        uint16 indexed year,
        uint64 indexed entityId,
        address indexed wallet,
        uint256 gross,
        uint256 deducted,
        uint256 minted
    );
    /// @notice Emitted when the last plan entry is issued and the plan's hash and total check out.
    event PlanCompleted(uint16 indexed year, bytes32 planHash, uint256 grossIssued, uint256 minted);
    /// @notice Emitted when allowances are issued from the reserve (ex-post adjustment, new entrant).
    event ReserveIssued(
        uint16 indexed year,
        uint64 indexed entityId,
        address indexed wallet,
        uint256 amount,
        bool newEntrant,
        string reason
    );
    /// @notice Emitted when allowances are taken back from a holder and burned.
    event ClawedBack(
        uint16 indexed vintage,
        uint64 indexed entityId,
        address indexed wallet,
        uint256 amount,
        string reason
    );
    /// @notice Emitted when reserve units are set aside for a sale.
    event ReserveDrawn(uint16 indexed year, address indexed by, uint256 amount);
    /// @notice Emitted when unsold reserve units are returned.
    event ReserveReturned(uint16 indexed year, address indexed by, uint256 amount);
    /// @notice Emitted when a compliance shortfall is carried into the entity's next allocation.
    event ShortfallCarried(uint64 indexed entityId, uint16 indexed fromYear, uint256 amount, uint256 outstanding);
    /// @notice Emitted when a carried shortfall is deducted from an allocation.
    event ShortfallDeducted(uint64 indexed entityId, uint16 indexed year, uint256 amount, uint256 outstanding);

    // ──────────────────────────────────────── functions ───────────────────────────────────────

    /// @notice Sets the cap of `year` and the share of it kept as the reserve.
    /// @dev Requirements: REGULATOR; the free part and the reserve stay ≥ what was issued from each.
    function setCap(uint16 year, uint256 cap, uint16 reserveBps) external;

    /// @notice Records the allocation plan of `year`: the hash of its inputs, the rolling hash of
    /// its entries (see {planHashStep}), their count and gross total, and where it is published.
    /// @dev Requirements: REGULATOR; cap set; no plan yet; total ≤ cap − reserve.
    function registerPlan(
        uint16 year,
        bytes32 inputsHash,
        bytes32 planHash,
        uint32 entries,
        uint256 total,
        string calldata uri
    ) external;

    /// @notice Issues the next entries of the plan, in ascending entity order, possibly over several
    /// calls. Each entity's carried shortfall is deducted from its gross amount.
    /// @dev Requirements: REGULATOR; each wallet an active account of its covered entity. The call
    /// that issues the last entry reverts unless the rolling hash equals the plan's
    /// (AllocationPlanMismatch) and the total equals the plan's (AllocationOverPlan).
    function issue(uint16 year, Grant[] calldata grants) external;

    /// @notice Issues `amount` of vintage `year` from the reserve: an ex-post adjustment, or the
    /// allocation of a new entrant, which becomes covered for the year.
    /// @dev Requirements: REGULATOR; amount ≤ the reserve left; reason 1..256 bytes.
    function issueFromReserve(
        uint16 year,
        uint64 entityId,
        address wallet,
        uint256 amount,
        string calldata reason
    ) external;

    /// @notice Takes back `amount` allowances of `vintage` from `wallet` (up to its free balance) and burns them.
    /// @dev Requirements: REGULATOR; reason 1..256 bytes.
    function clawback(uint16 vintage, address wallet, uint256 amount, string calldata reason) external;

    /// @notice Sets aside `amount` reserve units of `year` for a sale.
    /// @dev Requirements: RESERVE_SALES (the sales contract).
    function drawReserve(uint16 year, uint256 amount) external;

    /// @notice Returns unsold reserve units of `year`.
    /// @dev Requirements: RESERVE_SALES; at most what was drawn for sales and not returned yet.
    function returnReserve(uint16 year, uint256 amount) external;

    /// @notice Carries a compliance shortfall of `fromYear` into the entity's next allocation.
    /// @dev Requirements: COMPLIANCE_CONTRACT.
    function carryShortfall(uint64 entityId, uint16 fromYear, uint256 amount) external;

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @notice A year's cap, reserve, plan and issuance.
    function yearInfo(uint16 year) external view returns (YearInfo memory);

    /// @notice What `entityId` received for `year`.
    function entitlementOf(uint16 year, uint64 entityId) external view returns (Entitlement memory);

    /// @notice Whether `entityId` is covered in `year` (in the plan, or a new entrant).
    function isCovered(uint16 year, uint64 entityId) external view returns (bool);

    /// @notice How many entities are covered in `year`.
    function coveredCount(uint16 year) external view returns (uint256);

    /// @notice The `index`-th covered entity of `year`, in order of issuance.
    function coveredEntityAt(uint16 year, uint256 index) external view returns (uint64);

    /// @notice Every covered entity of `year`.
    function coveredEntities(uint16 year) external view returns (uint64[] memory);

    /// @notice Shortfall carried and not yet deducted from an allocation.
    function carriedShortfall(uint64 entityId) external view returns (uint256);

    /// @notice Reserve units of `year` not yet given out.
    function reserveRemaining(uint16 year) external view returns (uint256);

    /// @notice Allowances of `vintage` taken back by claw-back.
    function clawedBack(uint16 vintage) external view returns (uint256);

    /// @notice One step of the plan hash: keccak256(abi.encode(previous, entityId, amount)), from bytes32(0).
    function planHashStep(bytes32 previous, uint64 entityId, uint256 amount) external pure returns (bytes32);
}
