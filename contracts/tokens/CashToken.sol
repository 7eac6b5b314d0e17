// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {GuardedToken} from "./GuardedToken.sol";
import {ICashToken} from "../interfaces/ICashToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferRules} from "../interfaces/ITransferRules.sol";

/// @title CashToken
/// @notice CNY settlement money in fen.
contract CashToken is ICashToken, ERC20, GuardedToken {
    mapping(bytes32 bankRef => bool) private _usedBankRefs;
    mapping(address holder => mapping(bytes32 payoutRef => bool)) private _usedPayoutRefs;

    constructor(
        address authority,
        IParticipantRegistry registry,
        ITransferRules rules
    ) ERC20("ETS Settlement CNY", "eCNY") GuardedToken(authority, registry, rules) {}

    /// @notice Cash is kept in fen.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    /// @inheritdoc ICashToken
    function deposit(address to, uint256 amount, bytes32 bankRef) external restricted {
        if (bankRef == bytes32(0) || _usedBankRefs[bankRef]) revert CashInvalidBankReference(bankRef);
        _usedBankRefs[bankRef] = true;
        _moveAs(Move.Mint, address(0), to, 0, amount);
        emit CashDeposited(to, amount, bankRef);
    }

    /// @inheritdoc ICashToken
    function withdraw(uint256 amount, bytes32 payoutRef) external {
        // A frozen account keeps its cash but cannot take it out of the scheme.
        _requireActive(msg.sender);
        if (payoutRef == bytes32(0) || _usedPayoutRefs[msg.sender][payoutRef]) {
            revert CashInvalidPayoutReference(msg.sender, payoutRef);
        }
        _usedPayoutRefs[msg.sender][payoutRef] = true;
        _moveAs(Move.Burn, msg.sender, address(0), 0, amount);
        emit CashWithdrawn(msg.sender, amount, payoutRef);
    }

    /// @inheritdoc ICashToken
    function referenceUsed(bytes32 ref) external view returns (bool) {
        return _usedBankRefs[ref];
    }

    /// @inheritdoc ICashToken
    function payoutReferenceUsed(address holder, bytes32 ref) external view returns (bool) {
        return _usedPayoutRefs[holder][ref];
    }

    /// @notice Transfers fen: at once to a trusted account, the sender's own accounts or a clearing
    /// house; otherwise held pending. Returns true in both cases.
    function transfer(address to, uint256 value) public override returns (bool) {
        _transferOrHold(msg.sender, to, 0, value);
        return true;
    }

    /// @notice {transfer} on behalf of `from`, spending the caller's allowance.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _spendAllowance(from, msg.sender, value);
        _transferOrHold(from, to, 0, value);
        return true;
    }

    function _update(address from, address to, uint256 value) internal override {
        _checkMove(_takeMove(), from, to, 0, value, 0);
        super._update(from, to, value);
    }

    function _rawMove(address from, address to, uint256, uint256 amount) internal override {
        if (from == address(0)) _mint(to, amount);
        else if (to == address(0)) _burn(from, amount);
        else _transfer(from, to, amount);
    }

    function _balance(address account, uint256) internal view override returns (uint256) {
        return balanceOf(account);
    }

    function _heldIds(address account) internal view override returns (uint256[] memory ids) {
        ids = new uint256[](balanceOf(account) == 0 ? 0 : 1);
    }

    /// @dev Cash has the single id 0, which every path here passes.
    function _checkId(uint256) internal pure override {}
}
