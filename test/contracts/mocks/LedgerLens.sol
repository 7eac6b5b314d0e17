// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice The parts of a registry token that the lens reads (IGuardedToken, ERC1155Supply, counters).
interface ILensToken {
    struct PendingTransfer {
        address from;
        address to;
        uint256 id;
        uint256 amount;
        uint64 releaseAt;
        uint8 status;
    }

    function balanceOf(address account, uint256 id) external view returns (uint256);
    function lockedBalanceOf(address account, uint256 id) external view returns (uint256);
    function totalSupply(uint256 id) external view returns (uint256);
    function issued(uint256 id) external view returns (uint256);
    function burned(uint256 id) external view returns (uint256);
    function pendingTransferCount() external view returns (uint256);
    function pendingTransfer(uint256 transferId) external view returns (PendingTransfer memory);
}

/// @notice The part of the participant registry that the lens reads.
interface ILensRegistry {
    struct Account {
        uint64 entityId;
        uint8 status;
        uint64 openedAt;
    }

    function accountOf(address wallet) external view returns (Account memory);
}

/// @title LedgerLens (test only)
/// @notice Reads a whole allowance ledger in one call, so that a property test can compare it with its
/// model after every step: balances and locks per account and id (account-major), account statuses,
/// supply counters per id, and every pending transfer ever created.
contract LedgerLens {
    struct Ledger {
        uint256[] balances;
        uint256[] locked;
        uint8[] statuses;
        uint256[] totalSupply;
        uint256[] issued;
        uint256[] burned;
        ILensToken.PendingTransfer[] pending;
    }

    /// @notice Balances and locks of `accounts` in `ids` (account-major), and the accounts' statuses.
    function accounts(
        ILensToken token,
        ILensRegistry registry,
        address[] calldata wallets,
        uint256[] calldata ids
    ) external view returns (uint256[] memory balances, uint256[] memory locked, uint8[] memory statuses) {
        uint256 n = wallets.length;
        uint256 m = ids.length;
        balances = new uint256[](n * m);
        locked = new uint256[](n * m);
        statuses = new uint8[](n);
        for (uint256 i = 0; i < n; ++i) {
            statuses[i] = registry.accountOf(wallets[i]).status;
            for (uint256 j = 0; j < m; ++j) {
                balances[i * m + j] = token.balanceOf(wallets[i], ids[j]);
                locked[i * m + j] = token.lockedBalanceOf(wallets[i], ids[j]);
            }
        }
    }

    /// @notice The whole ledger of `accounts` in `ids`, with the supply counters and every pending transfer.
    function read(
        ILensToken token,
        ILensRegistry registry,
        address[] calldata accounts,
        uint256[] calldata ids
    ) external view returns (Ledger memory l) {
        uint256 n = accounts.length;
        uint256 m = ids.length;
        l.balances = new uint256[](n * m);
        l.locked = new uint256[](n * m);
        l.statuses = new uint8[](n);
        for (uint256 i = 0; i < n; ++i) {
            l.statuses[i] = registry.accountOf(accounts[i]).status;
            for (uint256 j = 0; j < m; ++j) {
                l.balances[i * m + j] = token.balanceOf(accounts[i], ids[j]);
                l.locked[i * m + j] = token.lockedBalanceOf(accounts[i], ids[j]);
            }
        }
        l.totalSupply = new uint256[](m);
        l.issued = new uint256[](m);
        l.burned = new uint256[](m);
        for (uint256 j = 0; j < m; ++j) {
            l.totalSupply[j] = token.totalSupply(ids[j]);
            l.issued[j] = token.issued(ids[j]);
            l.burned[j] = token.burned(ids[j]);
        }
        uint256 count = token.pendingTransferCount();
        l.pending = new ILensToken.PendingTransfer[](count);
        for (uint256 k = 0; k < count; ++k) l.pending[k] = token.pendingTransfer(k + 1);
    }
}
