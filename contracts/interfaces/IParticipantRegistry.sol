// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IParticipantRegistry
/// @notice Account opening for the scheme: which wallet belongs to which registered entity, the
/// entity's category and sector, and each account's status. Every token asks it before any balance
/// changes; key recovery replaces a lost wallet and moves its holdings.
interface IParticipantRegistry {
    /// @notice The kind of participant an entity is.
    enum Category {
        None,
        CoveredEntity,
        Institution,
        Individual,
        Verifier,
        Exchange
    }

    /// @notice The sector of a covered entity; `None` for every other category.
    enum Sector {
        None,
        Steel,
        Chemicals,
        Power,
        Heat,
        Petrochemicals,
        OilGas,
        Buildings
    }

    /// @notice The status of one account (wallet).
    enum AccountStatus {
        None,
        Active,
        Frozen,
        Closed
    }

    /// @notice A registered entity.
    struct Entity {
        Category category;
        Sector sector;
        bytes32 creditCodeHash;
        string name;
    }

    /// @notice A registry account: one wallet of one entity.
    struct Account {
        uint64 entityId;
        AccountStatus status;
        uint64 openedAt;
    }

    // ───────────────────────────────────────── errors ─────────────────────────────────────────

    /// @notice Thrown when an entity id is zero or already registered.
    error RegistryEntityExists(uint64 entityId);
    /// @notice Thrown when an entity id is not registered.
    error RegistryUnknownEntity(uint64 entityId);
    /// @notice Thrown when the category is `None` or out of range.
    error RegistryInvalidCategory(uint8 category);
    /// @notice Thrown when a covered entity has no sector, or another category has one.
    error RegistryInvalidSector(uint8 category, uint8 sector);
    /// @notice Thrown when the entity name is empty or longer than 200 bytes.
    error RegistryInvalidName();
    /// @notice Thrown when the hash of the unified social credit code is zero.
    error RegistryMissingCreditCode();
    /// @notice Thrown when another entity is registered with the same credit code hash.
    error RegistryDuplicateCreditCode(bytes32 creditCodeHash, uint64 existingEntityId);
    /// @notice Thrown when a wallet is the zero address.
    error RegistryZeroAddress();
    /// @notice Thrown when a wallet already has an account (open or closed: wallets are never reused).
    error RegistryAccountExists(address wallet, uint64 entityId);
    /// @notice Thrown when a wallet has no account.
    error RegistryUnknownAccount(address wallet);
    /// @notice Thrown when an account is not in the status the operation requires.
    error RegistryInvalidStatus(address wallet, AccountStatus status);
    /// @notice Thrown when closing an account that still holds units of `token`.
    error RegistryAccountNotEmpty(address wallet, address token);
    /// @notice Thrown when a holding token is listed twice or the list is full.
    error RegistryInvalidHoldingToken(address token);
    /// @notice Thrown when a clearing house is not an active account of an exchange entity.
    error RegistryInvalidClearingHouse(address clearing);

    // ───────────────────────────────────────── events ─────────────────────────────────────────

    /// @notice Emitted when an entity is registered.
    /// @param entityId The entity's registry id.
    /// @param category The entity's category.
    /// @param sector The sector (covered entities only).
    /// @param creditCodeHash keccak256 of the unified social credit code.
    /// @param name The entity's registered name.
    event EntityRegistered(
        uint64 indexed entityId,
        Category category,
        Sector sector,
        bytes32 creditCodeHash,
        string name
    );
    /// @notice Emitted when an account is opened for an entity.
    /// @param wallet The account's wallet.
    /// @param entityId The owning entity.
    event AccountOpened(address indexed wallet, uint64 indexed entityId);
    /// @notice Emitted when an account is frozen.
    /// @param wallet The account's wallet.
    event AccountFrozen(address indexed wallet);
    /// @notice Emitted when a frozen account is made active again.
    /// @param wallet The account's wallet.
    event AccountUnfrozen(address indexed wallet);
    /// @notice Emitted when an account is closed.
    /// @param wallet The account's wallet.
    event AccountClosed(address indexed wallet);
    /// @notice Emitted when a lost wallet is replaced and its holdings moved.
    /// @param oldWallet The replaced (now closed) wallet.
    /// @param newWallet The replacement wallet.
    /// @param entityId The owning entity.
    event AccountRecovered(address indexed oldWallet, address indexed newWallet, uint64 indexed entityId);
    /// @notice Emitted when a token is listed as holding units that recovery must move.
    /// @param token The token contract.
    event HoldingTokenAdded(address indexed token);
    /// @notice Emitted when an account is designated, or no longer designated, a clearing house.
    /// @param clearing The clearing contract's account.
    /// @param enabled Whether it is a clearing house now.
    event ClearingHouseSet(address indexed clearing, bool enabled);

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @notice Registers an entity and opens its first account.
    /// @dev Requirements: caller holds REGISTRY_OPERATOR; `entityId` new and non-zero; valid
    /// category, sector for covered entities only, a name of 1..200 bytes, a unique non-zero credit
    /// code hash; `wallet` new and non-zero. Emits {EntityRegistered} and {AccountOpened}.
    function registerEntity(
        uint64 entityId,
        Category category,
        Sector sector,
        string calldata name,
        bytes32 creditCodeHash,
        address wallet
    ) external;

    /// @notice Opens another account (wallet) for a registered entity.
    /// @dev Requirements: caller holds REGISTRY_OPERATOR; entity registered; wallet new. Emits {AccountOpened}.
    function openAccount(uint64 entityId, address wallet) external;

    /// @notice Freezes an active account: it can neither send nor receive.
    /// @dev Requirements: caller holds REGISTRY_OPERATOR; account active. Emits {AccountFrozen}.
    function freeze(address wallet) external;

    /// @notice Makes a frozen account active again.
    /// @dev Requirements: caller holds REGISTRY_OPERATOR; account frozen. Emits {AccountUnfrozen}.
    function unfreeze(address wallet) external;

    /// @notice Closes an account for good; a closed account is no longer a clearing house.
    /// @dev Requirements: caller holds REGISTRY_OPERATOR; account active or frozen; no units left in
    /// any holding token. Emits {AccountClosed}, and {ClearingHouseSet} when it was one.
    function close(address wallet) external;

    /// @notice Replaces a lost or stolen wallet: opens `newWallet` for the same entity, closes
    /// `oldWallet`, cancels its pending transfers and moves every holding of every token to it. The
    /// closed wallet stops being a clearing house (the regulator designates the new one).
    /// @dev Requirements: caller holds RECOVERY (granted with an execution delay, so the call is
    /// scheduled on the AccessManager first); old account active or frozen; new wallet never seen.
    /// Emits {AccountOpened}, {AccountRecovered}, and {ClearingHouseSet} when the old wallet was one.
    function recover(address oldWallet, address newWallet) external;

    /// @notice Lists a token whose holdings recovery moves and closing checks.
    /// @dev Requirements: caller holds REGULATOR; at most 8 tokens. Emits {HoldingTokenAdded}.
    function addHoldingToken(address token) external;

    /// @notice Designates an exchange account as a clearing house: transfers to it are immediate.
    /// @dev Requirements: caller holds REGULATOR; the account belongs to an exchange entity.
    /// Emits {ClearingHouseSet}.
    function setClearingHouse(address clearing, bool enabled) external;

    /// @notice The account of a wallet (status `None` when there is none).
    function accountOf(address wallet) external view returns (Account memory);

    /// @notice A registered entity.
    function entityOf(uint64 entityId) external view returns (Entity memory);

    /// @notice Every wallet ever opened for an entity, in opening order.
    function walletsOf(uint64 entityId) external view returns (address[] memory);

    /// @notice Whether a wallet has an active account.
    function isActive(address wallet) external view returns (bool);

    /// @notice Whether two wallets belong to the same registered entity.
    function sameEntity(address a, address b) external view returns (bool);

    /// @notice Whether an account is a designated clearing house.
    function isClearingHouse(address account) external view returns (bool);

    /// @notice The tokens whose holdings recovery moves.
    function holdingTokens() external view returns (address[] memory);

    /// @notice How many entities are registered.
    function entityCount() external view returns (uint256);
}
