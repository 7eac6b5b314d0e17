// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title HookWallet (test only)
/// @notice A contract wallet that can be registered as an account. When it receives ERC-1155 units it
/// runs, from inside its acceptance hook, the calls queued with {queueOnReceipt} for the token that
/// called the hook (recording whether each succeeded), then accepts. Tests use it to prove that a receiver hook gets no privileges from
/// the balance change that called it.
contract HookWallet {
    struct Call {
        address target;
        bytes data;
    }

    Call[] private _queue;
    bool[] private _ok;
    bytes[] private _returned;

    /// @notice Makes a call as this wallet; bubbles up a revert.
    function exec(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    /// @notice Queues a call to `target` to run when `target` next delivers ERC-1155 units here.
    function queueOnReceipt(address target, bytes calldata data) external {
        _queue.push(Call(target, data));
    }

    /// @notice How many hook calls ran.
    function hookCallCount() external view returns (uint256) {
        return _ok.length;
    }

    /// @notice Whether hook call `i` succeeded, and what it returned (revert data when it failed).
    function hookCall(uint256 i) external view returns (bool ok, bytes memory returned) {
        return (_ok[i], _returned[i]);
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _runQueue();
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(
        address,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external returns (bytes4) {
        _runQueue();
        return this.onERC1155BatchReceived.selector;
    }

    function _runQueue() private {
        Call[] memory calls = _queue;
        delete _queue;
        for (uint256 i = 0; i < calls.length; ++i) {
            if (calls[i].target != msg.sender) {
                _queue.push(calls[i]);
                continue;
            }
            (bool ok, bytes memory returned) = calls[i].target.call(calls[i].data);
            _ok.push(ok);
            _returned.push(returned);
        }
    }
}
