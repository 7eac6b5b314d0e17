// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

/// @title Authority
/// @notice The scheme's single AccessManager: every restricted function of every contract asks it.
/// @dev Dangerous powers (Roles.ENFORCEMENT, Roles.RECOVERY) are granted with an execution delay so
/// that each use is scheduled, visible on chain and cancellable before it runs.
contract Authority is AccessManager {
    constructor(address initialAdmin) AccessManager(initialAdmin) {}
}
