// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

/// @title Authority
/// @notice The scheme's single AccessManager: every restricted function of every contract asks it.
/// @dev Dangerous powers (Roles.ENFORCEMENT, Roles.RECOVERY) are granted with an execution delay so
/// that each use is scheduled, visible on chain and cancellable before it runs.
contract Authority is AccessManager {
    constructor(address initialAdmin) AccessManager(initialAdmin) {}

    /// @notice Delays (grant delays, target admin delays, execution delays) take effect at once when
    /// raised; a lowered delay still waits for the difference. (OpenZeppelin's default of five days
    /// would leave a freshly deployed scheme without its admin delays for its first five days.)
    function minSetback() public pure override returns (uint32) {
        return 0;
    }
}
