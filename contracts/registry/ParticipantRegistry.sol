// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IHoldingToken} from "../interfaces/IHoldingToken.sol";

/// @title ParticipantRegistry
/// @notice Entities, their accounts (wallets) and the accounts' status; key recovery.
contract ParticipantRegistry is IParticipantRegistry, AccessManaged {
    uint256 private constant MAX_NAME_BYTES = 200;
    uint256 private constant MAX_HOLDING_TOKENS = 8;

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    mapping(uint64 entityId => Entity) private _entities;
    mapping(uint64 entityId => address[]) private _wallets;
    mapping(bytes32 creditCodeHash => uint64 entityId) private _entityByCreditCode;
    mapping(address wallet => Account) private _accounts;
    mapping(address account => bool) private _clearingHouses;
    address[] private _holdingTokens;
    uint256 private _entityCount;

    constructor(address authority) AccessManaged(authority) {}

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @inheritdoc IParticipantRegistry
    function registerEntity(
        uint64 entityId,
        Category category,
        Sector sector,
        string calldata name,
        bytes32 creditCodeHash,
        address wallet
    ) external restricted {
        if (entityId == 0 || _entities[entityId].category != Category.None) revert RegistryEntityExists(entityId);
        if (category == Category.None) revert RegistryInvalidCategory(uint8(category));
        if ((category == Category.CoveredEntity) != (sector != Sector.None)) {
            revert RegistryInvalidSector(uint8(category), uint8(sector));
        }
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_BYTES) revert RegistryInvalidName();
        if (creditCodeHash == bytes32(0)) revert RegistryMissingCreditCode();
        uint64 holder = _entityByCreditCode[creditCodeHash];
        if (holder != 0) revert RegistryDuplicateCreditCode(creditCodeHash, holder);
        _checkNewWallet(wallet);

        _entities[entityId] = Entity({category: category, sector: sector, creditCodeHash: creditCodeHash, name: name});
        _entityByCreditCode[creditCodeHash] = entityId;
        ++_entityCount;
        emit EntityRegistered(entityId, category, sector, creditCodeHash, name);
        _open(entityId, wallet);
    }

    /// @inheritdoc IParticipantRegistry
    function openAccount(uint64 entityId, address wallet) external restricted {
        if (_entities[entityId].category == Category.None) revert RegistryUnknownEntity(entityId);
        _checkNewWallet(wallet);
        _open(entityId, wallet);
    }

    /// @inheritdoc IParticipantRegistry
    function freeze(address wallet) external restricted {
        Account storage account = _existing(wallet);
        if (account.status != AccountStatus.Active) revert RegistryInvalidStatus(wallet, account.status);
        account.status = AccountStatus.Frozen;
        emit AccountFrozen(wallet);
    }

    /// @inheritdoc IParticipantRegistry
    function unfreeze(address wallet) external restricted {
        Account storage account = _existing(wallet);
        if (account.status != AccountStatus.Frozen) revert RegistryInvalidStatus(wallet, account.status);
        account.status = AccountStatus.Active;
        emit AccountUnfrozen(wallet);
    }

    /// @inheritdoc IParticipantRegistry
    function close(address wallet) external restricted {
        Account storage account = _existing(wallet);
        if (account.status == AccountStatus.Closed) revert RegistryInvalidStatus(wallet, account.status);
        uint256 n = _holdingTokens.length;
        for (uint256 i = 0; i < n; ++i) {
            address token = _holdingTokens[i];
            if (IHoldingToken(token).holdsAnything(wallet)) revert RegistryAccountNotEmpty(wallet, token);
        }
        account.status = AccountStatus.Closed;
        emit AccountClosed(wallet);
        _dropClearingHouse(wallet);
    }

    /// @inheritdoc IParticipantRegistry
    function recover(address oldWallet, address newWallet) external restricted {
        Account storage old = _existing(oldWallet);
        if (old.status == AccountStatus.Closed) revert RegistryInvalidStatus(oldWallet, old.status);
        _checkNewWallet(newWallet);
        uint64 entityId = old.entityId;
        _open(entityId, newWallet);
        old.status = AccountStatus.Closed;
        emit AccountRecovered(oldWallet, newWallet, entityId);
        _dropClearingHouse(oldWallet);
        uint256 n = _holdingTokens.length;
        for (uint256 i = 0; i < n; ++i) {
            IHoldingToken(_holdingTokens[i]).recoverHoldings(oldWallet, newWallet);
        }
    }

    /// @inheritdoc IParticipantRegistry
    function addHoldingToken(address token) external restricted {
        if (token == address(0) || _holdingTokens.length >= MAX_HOLDING_TOKENS) {
            revert RegistryInvalidHoldingToken(token);
        }
        uint256 n = _holdingTokens.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_holdingTokens[i] == token) revert RegistryInvalidHoldingToken(token);
        }
        _holdingTokens.push(token);
        emit HoldingTokenAdded(token);
    }

    /// @inheritdoc IParticipantRegistry
    function setClearingHouse(address clearing, bool enabled) external restricted {
        Account storage account = _accounts[clearing];
        if (
            enabled &&
            (account.status != AccountStatus.Active || _entities[account.entityId].category != Category.Exchange)
        ) revert RegistryInvalidClearingHouse(clearing);
        _clearingHouses[clearing] = enabled;
        emit ClearingHouseSet(clearing, enabled);
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc IParticipantRegistry
    function accountOf(address wallet) external view returns (Account memory) {
        return _accounts[wallet];
    }

    /// @inheritdoc IParticipantRegistry
    function entityOf(uint64 entityId) external view returns (Entity memory) {
        return _entities[entityId];
    }

    /// @inheritdoc IParticipantRegistry
    function walletsOf(uint64 entityId) external view returns (address[] memory) {
        return _wallets[entityId];
    }

    /// @inheritdoc IParticipantRegistry
    function isActive(address wallet) external view returns (bool) {
        return _accounts[wallet].status == AccountStatus.Active;
    }

    /// @inheritdoc IParticipantRegistry
    function sameEntity(address a, address b) external view returns (bool) {
        uint64 entityId = _accounts[a].entityId;
        return entityId != 0 && entityId == _accounts[b].entityId;
    }

    /// @inheritdoc IParticipantRegistry
    function isClearingHouse(address account) external view returns (bool) {
        return _clearingHouses[account];
    }

    /// @inheritdoc IParticipantRegistry
    function holdingTokens() external view returns (address[] memory) {
        return _holdingTokens;
    }

    /// @inheritdoc IParticipantRegistry
    function entityCount() external view returns (uint256) {
        return _entityCount;
    }

    // ──────────────────────────────────────── internal ────────────────────────────────────────

    function _open(uint64 entityId, address wallet) private {
        _accounts[wallet] = Account({
            entityId: entityId,
            status: AccountStatus.Active,
            openedAt: uint64(block.timestamp)
        });
        _wallets[entityId].push(wallet);
        emit AccountOpened(wallet, entityId);
    }

    /// @dev A closed account is no clearing house; the change is announced like any other.
    function _dropClearingHouse(address wallet) private {
        if (_clearingHouses[wallet]) {
            _clearingHouses[wallet] = false;
            emit ClearingHouseSet(wallet, false);
        }
    }

    function _existing(address wallet) private view returns (Account storage account) {
        account = _accounts[wallet];
        if (account.status == AccountStatus.None) revert RegistryUnknownAccount(wallet);
    }

    function _checkNewWallet(address wallet) private view {
        if (wallet == address(0)) revert RegistryZeroAddress();
        Account storage account = _accounts[wallet];
        if (account.status != AccountStatus.None) revert RegistryAccountExists(wallet, account.entityId);
    }
}
