// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice The parts of the Clearing that the lens reads.
interface ILensClearing {
    function balanceOf(address trader, address token, uint256 tokenId) external view returns (uint256);
    function orderState(address trader, uint256 nonce) external view returns (uint256 filled, bool finished);
    function lastTradeId() external view returns (uint64);
}

/// @notice ERC-20 and ERC-1155 balance reads.
interface ILensToken {
    function balanceOf(address account) external view returns (uint256);
    function balanceOf(address account, uint256 id) external view returns (uint256);
}

/// @title ClearingLens (test only)
/// @notice Reads a whole trading ledger in two calls, so that a property test can compare it with its
/// model after every step: trading balances of `accounts` in each asset (account-major) and what the
/// Clearing really holds of each asset; the fill state of (trader, nonce) pairs and the last trade id.
contract ClearingLens {
    function balances(
        ILensClearing clearing,
        address[] calldata accounts,
        address[] calldata tokens,
        uint256[] calldata ids,
        address cash
    ) external view returns (uint256[] memory trading, uint256[] memory held) {
        uint256 m = tokens.length;
        trading = new uint256[](accounts.length * m);
        for (uint256 i = 0; i < accounts.length; ++i) {
            for (uint256 j = 0; j < m; ++j) trading[i * m + j] = clearing.balanceOf(accounts[i], tokens[j], ids[j]);
        }
        held = new uint256[](m);
        for (uint256 j = 0; j < m; ++j) {
            held[j] =
                tokens[j] == cash
                    ? ILensToken(cash).balanceOf(address(clearing))
                    : ILensToken(tokens[j]).balanceOf(address(clearing), ids[j]);
        }
    }

    function orders(
        ILensClearing clearing,
        address[] calldata traders,
        uint256[] calldata nonces
    ) external view returns (uint256[] memory filled, bool[] memory finished, uint64 lastTradeId) {
        filled = new uint256[](traders.length);
        finished = new bool[](traders.length);
        for (uint256 k = 0; k < traders.length; ++k)
            (filled[k], finished[k]) = clearing.orderState(traders[k], nonces[k]);
        lastTradeId = clearing.lastTradeId();
    }
}
