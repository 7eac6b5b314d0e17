// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAllocation} from "../interfaces/IAllocation.sol";
import {IAllowanceToken} from "../interfaces/IAllowanceToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title Allocation
/// @notice Caps, free allocation plans, the reserve, claw-back and carried shortfalls.
contract Allocation is IAllocation, AccessManaged {
    uint16 private constant FIRST_YEAR = 2000;
    uint16 private constant LAST_YEAR = 2100;
    uint16 private constant BPS = 10_000;
    uint256 private constant MAX_REASON = 256;

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    IAllowanceToken private immutable _allowances;

    mapping(uint16 year => YearInfo) private _years;
    mapping(uint16 year => mapping(uint64 entityId => Entitlement)) private _entitlements;
    mapping(uint16 year => uint64[]) private _covered;
    mapping(uint16 year => uint64) private _lastIssued;
    mapping(uint64 entityId => uint256) private _carried;
    mapping(uint16 vintage => uint256) private _clawedBack;
    mapping(uint16 year => uint256) private _drawn;

    constructor(address authority, IParticipantRegistry registry, IAllowanceToken allowances) AccessManaged(authority) {
        _registry = registry;
        _allowances = allowances;
    }

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @inheritdoc IAllocation
    function setCap(uint16 year, uint256 cap, uint16 reserveBps) external restricted {
        _checkYear(year);
        if (reserveBps > BPS) revert AllocationInvalidReserveShare(reserveBps);
        YearInfo storage y = _years[year];
        uint256 reserve = (cap * reserveBps) / BPS;
        uint256 committed = y.planTotal > y.grossIssued ? y.planTotal : y.grossIssued;
        if (cap - reserve < committed) revert AllocationCapBelowIssued(year, cap - reserve, committed);
        if (reserve < y.reserveUsed) revert AllocationCapBelowIssued(year, reserve, y.reserveUsed);
        (y.cap, y.reserveBps, y.reserve) = (cap, reserveBps, reserve);
        emit CapSet(year, cap, reserveBps, reserve);
    }

    /// @inheritdoc IAllocation
    function registerPlan(
        uint16 year,
        bytes32 inputsHash,
        bytes32 planHash,
        uint32 entries,
        uint256 total,
        string calldata uri
    ) external restricted {
        YearInfo storage y = _capped(year);
        if (y.planEntries != 0) revert AllocationPlanExists(year);
        if (entries == 0 || inputsHash == bytes32(0) || planHash == bytes32(0)) revert AllocationInvalidPlan();
        if (total > y.cap - y.reserve) revert AllocationOverCap(year, total, y.cap - y.reserve);
        (y.inputsHash, y.planHash, y.planEntries, y.planTotal, y.planUri) = (inputsHash, planHash, entries, total, uri);
        emit PlanRegistered(year, inputsHash, planHash, entries, total, uri);
    }

    /// @inheritdoc IAllocation
    function issue(uint16 year, Grant[] calldata grants) external restricted {
        YearInfo storage y = _years[year];
        if (y.planEntries == 0) revert AllocationNoPlan(year);
        if (y.planComplete) revert AllocationPlanComplete(year);
        uint64 previous = _lastIssued[year];
        bytes32 running = y.runningHash;
        for (uint256 i = 0; i < grants.length; ++i) {
            Grant calldata g = grants[i];
            if (g.entityId <= previous) revert AllocationPlanOrder(g.entityId, previous);
            previous = g.entityId;
            _requireCoveredWallet(g.entityId, g.wallet);
            if (y.entriesIssued == y.planEntries || y.grossIssued + g.amount > y.planTotal) {
                revert AllocationOverPlan(year, y.grossIssued + g.amount, y.planTotal);
            }
            running = keccak256(abi.encode(running, g.entityId, g.amount));
            ++y.entriesIssued;
            y.grossIssued += g.amount;

            uint256 deducted = _deductShortfall(year, g.entityId, g.amount);
            uint256 minted = g.amount - deducted;
            Entitlement storage e = _entitlements[year][g.entityId];
            (e.gross, e.deducted) = (g.amount, deducted);
            _cover(year, g.entityId, e);
            y.freeIssued += minted;
            y.deducted += deducted;
            if (minted != 0) _allowances.mint(g.wallet, year, minted);
            emit Allocated(year, g.entityId, g.wallet, g.amount, deducted, minted);
        }
        _lastIssued[year] = previous;
        y.runningHash = running;
        if (y.entriesIssued == y.planEntries) {
            if (running != y.planHash) revert AllocationPlanMismatch(year, y.planHash, running);
            if (y.grossIssued != y.planTotal) revert AllocationOverPlan(year, y.grossIssued, y.planTotal);
            y.planComplete = true;
            emit PlanCompleted(year, running, y.grossIssued, y.freeIssued);
        }
    }

    /// @inheritdoc IAllocation
    function issueFromReserve(
        uint16 year,
        uint64 entityId,
        address wallet,
        uint256 amount,
        string calldata reason
    ) external restricted {
        YearInfo storage y = _capped(year);
        _checkReason(reason);
        if (amount == 0) revert AllocationZeroAmount();
        _requireCoveredWallet(entityId, wallet);
        _takeReserve(y, year, amount);
        Entitlement storage e = _entitlements[year][entityId];
        bool newEntrant = !e.covered;
        _cover(year, entityId, e);
        e.fromReserve += amount;
        _allowances.mint(wallet, year, amount);
        emit ReserveIssued(year, entityId, wallet, amount, newEntrant, reason);
    }

    /// @inheritdoc IAllocation
    function clawback(uint16 vintage, address wallet, uint256 amount, string calldata reason) external restricted {
        _checkReason(reason);
        if (amount == 0) revert AllocationZeroAmount();
        uint256 available = _allowances.availableBalanceOf(wallet, vintage);
        if (amount > available) revert AllocationClawbackExceedsBalance(wallet, vintage, available, amount);
        _clawedBack[vintage] += amount;
        _allowances.burn(wallet, vintage, amount);
        emit ClawedBack(vintage, _registry.accountOf(wallet).entityId, wallet, amount, reason);
    }

    /// @inheritdoc IAllocation
    function drawReserve(uint16 year, uint256 amount) external restricted {
        YearInfo storage y = _capped(year);
        if (amount == 0) revert AllocationZeroAmount();
        _takeReserve(y, year, amount);
        _drawn[year] += amount;
        emit ReserveDrawn(year, msg.sender, amount);
    }

    /// @inheritdoc IAllocation
    function returnReserve(uint16 year, uint256 amount) external restricted {
        uint256 drawn = _drawn[year];
        if (amount > drawn) revert AllocationReserveUnderflow(year, amount, drawn);
        _drawn[year] = drawn - amount;
        _years[year].reserveUsed -= amount;
        emit ReserveReturned(year, msg.sender, amount);
    }

    /// @inheritdoc IAllocation
    function carryShortfall(uint64 entityId, uint16 fromYear, uint256 amount) external restricted {
        if (amount == 0) revert AllocationZeroAmount();
        uint256 outstanding = _carried[entityId] + amount;
        _carried[entityId] = outstanding;
        emit ShortfallCarried(entityId, fromYear, amount, outstanding);
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc IAllocation
    function yearInfo(uint16 year) external view returns (YearInfo memory) {
        return _years[year];
    }

    /// @inheritdoc IAllocation
    function entitlementOf(uint16 year, uint64 entityId) external view returns (Entitlement memory) {
        return _entitlements[year][entityId];
    }

    /// @inheritdoc IAllocation
    function isCovered(uint16 year, uint64 entityId) external view returns (bool) {
        return _entitlements[year][entityId].covered;
    }

    /// @inheritdoc IAllocation
    function coveredCount(uint16 year) external view returns (uint256) {
        return _covered[year].length;
    }

    /// @inheritdoc IAllocation
    function coveredEntityAt(uint16 year, uint256 index) external view returns (uint64) {
        return _covered[year][index];
    }

    /// @inheritdoc IAllocation
    function coveredEntities(uint16 year) external view returns (uint64[] memory) {
        return _covered[year];
    }

    /// @inheritdoc IAllocation
    function carriedShortfall(uint64 entityId) external view returns (uint256) {
        return _carried[entityId];
    }

    /// @inheritdoc IAllocation
    function reserveRemaining(uint16 year) external view returns (uint256) {
        YearInfo storage y = _years[year];
        return y.reserve - y.reserveUsed;
    }

    /// @inheritdoc IAllocation
    function clawedBack(uint16 vintage) external view returns (uint256) {
        return _clawedBack[vintage];
    }

    /// @inheritdoc IAllocation
    function planHashStep(bytes32 previous, uint64 entityId, uint256 amount) external pure returns (bytes32) {
        return keccak256(abi.encode(previous, entityId, amount));
    }

    // ──────────────────────────────────────── private ─────────────────────────────────────────

    function _checkYear(uint16 year) private pure {
        if (year < FIRST_YEAR || year > LAST_YEAR) revert AllocationInvalidYear(year);
    }

    function _capped(uint16 year) private view returns (YearInfo storage y) {
        _checkYear(year);
        y = _years[year];
        if (y.cap == 0) revert AllocationCapNotSet(year);
    }

    function _checkReason(string calldata reason) private pure {
        if (bytes(reason).length == 0 || bytes(reason).length > MAX_REASON) revert AllocationInvalidReason();
    }

    function _takeReserve(YearInfo storage y, uint16 year, uint256 amount) private {
        uint256 remaining = y.reserve - y.reserveUsed;
        if (amount > remaining) revert AllocationReserveExhausted(year, amount, remaining);
        y.reserveUsed += amount;
    }

    function _requireCoveredWallet(uint64 entityId, address wallet) private view {
        IParticipantRegistry.Account memory account = _registry.accountOf(wallet);
        if (account.entityId != entityId || account.status != IParticipantRegistry.AccountStatus.Active) {
            revert AllocationWalletNotOfEntity(wallet, entityId);
        }
        if (_registry.entityOf(entityId).category != IParticipantRegistry.Category.CoveredEntity) {
            revert AllocationNotCoveredEntity(entityId);
        }
    }

    function _cover(uint16 year, uint64 entityId, Entitlement storage e) private {
        if (!e.covered) {
            e.covered = true;
            _covered[year].push(entityId);
        }
    }

    function _deductShortfall(uint16 year, uint64 entityId, uint256 gross) private returns (uint256 deducted) {
        uint256 carried = _carried[entityId];
        if (carried == 0 || gross == 0) return 0;
        deducted = carried < gross ? carried : gross;
        _carried[entityId] = carried - deducted;
        emit ShortfallDeducted(entityId, year, deducted, carried - deducted);
    }
}
