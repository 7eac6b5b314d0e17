// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title TransferRules
/// @notice Trusted account lists, transfer delays and the emergency suspension.
contract TransferRules is ITransferRules, AccessManaged {
    uint64 private constant MAX_DELAY = 30 days;
    uint64 private constant DEFAULT_DELAY = 26 hours;
    uint256 private constant MAX_TRUSTED = 64;

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    mapping(address holder => mapping(address account => uint64 activeFrom)) private _trustedFrom;
    mapping(address holder => address[]) private _trustedList;
    uint64 private _pendingDelay = DEFAULT_DELAY;
    uint64 private _trustDelay = DEFAULT_DELAY;
    bool private _suspended;

    constructor(address authority, IParticipantRegistry registry) AccessManaged(authority) {
        _registry = registry;
    }

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @inheritdoc ITransferRules
    function addTrusted(address account) external {
        address holder = msg.sender;
        if (!_registry.isActive(holder)) revert RulesHolderNotActive(holder);
        if (account == address(0) || account == holder) revert RulesInvalidTrustedAccount(account);
        if (!_registry.isActive(account)) revert RulesTrustedAccountNotActive(account);
        if (_trustedFrom[holder][account] != 0) revert RulesAlreadyTrusted(holder, account);
        if (_trustedList[holder].length >= MAX_TRUSTED) revert RulesTrustedListFull(holder, MAX_TRUSTED);
        uint64 activeFrom = uint64(block.timestamp) + _trustDelay;
        _trustedFrom[holder][account] = activeFrom;
        _trustedList[holder].push(account);
        emit TrustedAccountAdded(holder, account, activeFrom);
    }

    /// @inheritdoc ITransferRules
    function removeTrusted(address account) external {
        address holder = msg.sender;
        if (_trustedFrom[holder][account] == 0) revert RulesNotTrusted(holder, account);
        delete _trustedFrom[holder][account];
        address[] storage list = _trustedList[holder];
        uint256 n = list.length;
        for (uint256 i = 0; i < n; ++i) {
            if (list[i] == account) {
                list[i] = list[n - 1];
                list.pop();
                break;
            }
        }
        emit TrustedAccountRemoved(holder, account);
    }

    /// @inheritdoc ITransferRules
    function setPendingDelay(uint64 delay) external restricted {
        if (delay > MAX_DELAY) revert RulesDelayOutOfRange(delay, MAX_DELAY);
        _pendingDelay = delay;
        emit PendingDelaySet(delay);
    }

    /// @inheritdoc ITransferRules
    function setTrustDelay(uint64 delay) external restricted {
        if (delay > MAX_DELAY) revert RulesDelayOutOfRange(delay, MAX_DELAY);
        _trustDelay = delay;
        emit TrustDelaySet(delay);
    }

    /// @inheritdoc ITransferRules
    function suspend(string calldata reason) external restricted {
        if (_suspended) revert RulesSuspensionUnchanged(true);
        _suspended = true;
        emit TransfersSuspended(reason);
    }

    /// @inheritdoc ITransferRules
    function resume() external restricted {
        if (!_suspended) revert RulesSuspensionUnchanged(false);
        _suspended = false;
        emit TransfersResumed();
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc ITransferRules
    function isImmediate(address from, address to) external view returns (bool) {
        return
            _registry.isClearingHouse(to) ||
            _registry.isClearingHouse(from) ||
            _registry.sameEntity(from, to) ||
            isTrusted(from, to);
    }

    /// @inheritdoc ITransferRules
    function isTrusted(address holder, address account) public view returns (bool) {
        uint64 activeFrom = _trustedFrom[holder][account];
        return activeFrom != 0 && activeFrom <= block.timestamp;
    }

    /// @inheritdoc ITransferRules
    function trustedAccounts(address holder) external view returns (TrustedAccount[] memory list) {
        address[] storage accounts = _trustedList[holder];
        list = new TrustedAccount[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            list[i] = TrustedAccount({account: accounts[i], activeFrom: _trustedFrom[holder][accounts[i]]});
        }
    }

    /// @inheritdoc ITransferRules
    function pendingDelay() external view returns (uint64) {
        return _pendingDelay;
    }

    /// @inheritdoc ITransferRules
    function trustDelay() external view returns (uint64) {
        return _trustDelay;
    }

    /// @inheritdoc ITransferRules
    function suspended() external view returns (bool) {
        return _suspended;
    }
}
