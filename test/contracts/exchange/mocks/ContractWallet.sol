// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ContractWallet (test only)
/// @notice A minimal ERC-1271 contract wallet: it accepts as its own signature a 65-byte ECDSA
/// signature of the digest by its owner, makes calls as itself on the owner's behalf (deposits into
/// the Clearing) and accepts ERC-1155 units (payouts from the Clearing).
contract ContractWallet {
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 private constant INVALID = 0xffffffff;
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address public immutable owner;

    error ContractWalletNotOwner(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Makes a call as this wallet; only the owner may. Bubbles up a revert.
    function exec(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert ContractWalletNotOwner(msg.sender);
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    /// @notice ERC-1271: valid when `signature` is the owner's ECDSA signature of `hash`.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return INVALID;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_ORDER) return INVALID;
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC_VALUE : INVALID;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(
        address,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external pure returns (bytes4) {
        return this.onERC1155BatchReceived.selector;
    }
}
