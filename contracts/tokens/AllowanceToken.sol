// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GuardedERC1155} from "./GuardedERC1155.sol";
import {IAllowanceToken} from "../interfaces/IAllowanceToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";

/// @title AllowanceToken
/// @notice Emission allowances by vintage year (products TJEA13, TJEA14, …).
contract AllowanceToken is IAllowanceToken, GuardedERC1155 {
    uint256 private constant FIRST_VINTAGE = 2000;
    uint256 private constant LAST_VINTAGE = 2100;

    mapping(uint256 vintage => uint256) private _issued;
    mapping(uint256 vintage => uint256) private _burned;
    uint256[] private _vintages;

    constructor(
        address authority,
        IParticipantRegistry registry,
        ITransferRules rules
    ) GuardedERC1155("", authority, registry, rules) {}

    /// @inheritdoc IAllowanceToken
    function mint(address to, uint256 vintage, uint256 amount) external restricted {
        if (vintage < FIRST_VINTAGE || vintage > LAST_VINTAGE) revert AllowanceInvalidVintage(vintage);
        if (_issued[vintage] == 0 && amount != 0) _vintages.push(vintage);
        _issued[vintage] += amount;
        _moveAs(Move.Mint, address(0), to, vintage, amount);
    }

    /// @inheritdoc IAllowanceToken
    function burn(address from, uint256 vintage, uint256 amount) external restricted {
        _burned[vintage] += amount;
        _moveAs(Move.Burn, from, address(0), vintage, amount);
    }

    /// @inheritdoc IAllowanceToken
    function vintageExists(uint256 vintage) public view returns (bool) {
        return _issued[vintage] != 0;
    }

    /// @inheritdoc IAllowanceToken
    function vintages() external view returns (uint256[] memory) {
        return _vintages;
    }

    /// @inheritdoc IAllowanceToken
    function issued(uint256 vintage) external view returns (uint256) {
        return _issued[vintage];
    }

    /// @inheritdoc IAllowanceToken
    function burned(uint256 vintage) external view returns (uint256) {
        return _burned[vintage];
    }

    function _checkId(uint256 id) internal view override {
        if (!vintageExists(id)) revert AllowanceUnknownVintage(id);
    }
}
