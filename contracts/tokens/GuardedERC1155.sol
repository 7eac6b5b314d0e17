// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC1155Supply} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Supply.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {GuardedToken} from "./GuardedToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";

/// @title GuardedERC1155
/// @notice An ERC-1155 whose every balance change passes the registry's transfer safety, and which
/// knows the ids each account holds (so that key recovery can move them all).
abstract contract GuardedERC1155 is ERC1155Supply, GuardedToken {
    using EnumerableSet for EnumerableSet.UintSet;

    mapping(address account => EnumerableSet.UintSet) private _held;

    constructor(
        string memory uri_,
        address authority,
        IParticipantRegistry registry,
        ITransferRules rules
    ) ERC1155(uri_) GuardedToken(authority, registry, rules) {}

    // ──────────────────────────────────────── external ────────────────────────────────────────

    /// @notice Transfers `value` units of `id`: at once to a trusted account, the sender's own other
    /// accounts or a clearing house; otherwise held pending (see {IGuardedToken-TransferPending}).
    function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes memory data) public override {
        _requireAuthorised(from);
        if (_rules.isImmediate(from, to)) {
            _safeTransferFrom(from, to, id, value, data);
        } else {
            _hold(from, to, id, value);
        }
    }

    /// @notice Batch form of {safeTransferFrom}; every id follows the same route. An id named twice is
    /// checked for the sum of its entries; on the pending route each entry becomes its own pending transfer.
    function safeBatchTransferFrom(
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values,
        bytes memory data
    ) public override {
        _requireAuthorised(from);
        if (_rules.isImmediate(from, to)) {
            _safeBatchTransferFrom(from, to, ids, values, data);
        } else {
            if (ids.length != values.length) revert ERC1155InvalidArrayLength(ids.length, values.length);
            for (uint256 i = 0; i < ids.length; ++i) _hold(from, to, ids[i], values[i]);
        }
    }

    // ──────────────────────────────────────── internal ────────────────────────────────────────

    /// @dev The single balance-change hook: transfer safety first (an id named twice in a batch is
    /// checked for the sum of its entries), then the standard update, then the held-id bookkeeping.
    /// The kind of move is taken before the standard update, whose acceptance hook calls the receiver.
    function _update(
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values
    ) internal virtual override {
        uint256 n = ids.length;
        if (n != values.length) revert ERC1155InvalidArrayLength(n, values.length);
        Move move = _takeMove();
        for (uint256 i = 0; i < n; ++i) _checkMove(move, from, to, ids[i], values[i], _takenBefore(ids, values, i));
        super._update(from, to, ids, values);
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = ids[i];
            if (from != address(0) && balanceOf(from, id) == 0) _held[from].remove(id);
            if (to != address(0)) _held[to].add(id);
        }
    }

    function _rawMove(address from, address to, uint256 id, uint256 amount) internal override {
        if (from == address(0)) _mint(to, id, amount, "");
        else if (to == address(0)) _burn(from, id, amount);
        else _safeTransferFrom(from, to, id, amount, "");
    }

    function _balance(address account, uint256 id) internal view override returns (uint256) {
        return balanceOf(account, id);
    }

    function _heldIds(address account) internal view override returns (uint256[] memory) {
        return _held[account].values();
    }

    /// @dev What the entries of a batch before `i` take of the same id.
    function _takenBefore(
        uint256[] memory ids,
        uint256[] memory values,
        uint256 i
    ) private pure returns (uint256 taken) {
        uint256 id = ids[i];
        for (uint256 j = 0; j < i; ++j) {
            if (ids[j] == id) taken += values[j];
        }
    }

    function _requireAuthorised(address from) private view {
        if (from != msg.sender && !isApprovedForAll(from, msg.sender)) revert TokenNotAuthorised(msg.sender, from);
    }
}
