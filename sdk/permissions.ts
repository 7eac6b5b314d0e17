import type { RoleName } from "./roles";

/** The contracts of the registry, as named in the deployment manifest. */
export type ContractName =
  | "Authority"
  | "ParticipantRegistry"
  | "TransferRules"
  | "AllowanceToken"
  | "OffsetToken"
  | "CashToken"
  | "Allocation"
  | "EmissionsReporting"
  | "Compliance"
  | "ReserveSales";

const tokenFunctions = {
  "blockPending(uint256,string)": "REGISTRY_OPERATOR",
  "forceTransfer(address,address,uint256,uint256,string)": "ENFORCEMENT",
  "recoverHoldings(address,address)": "REGISTRY_CONTRACT",
} as const satisfies Record<string, RoleName>;

/**
 * Which role may call each restricted function. Deployment applies exactly this table to the
 * AccessManager, and the permission-matrix test proves that nothing else can call them.
 */
export const PERMISSIONS = {
  ParticipantRegistry: {
    "registerEntity(uint64,uint8,uint8,string,bytes32,address)": "REGISTRY_OPERATOR",
    "openAccount(uint64,address)": "REGISTRY_OPERATOR",
    "freeze(address)": "REGISTRY_OPERATOR",
    "unfreeze(address)": "REGISTRY_OPERATOR",
    "close(address)": "REGISTRY_OPERATOR",
    "recover(address,address)": "RECOVERY",
    "addHoldingToken(address)": "REGULATOR",
    "setClearingHouse(address,bool)": "REGULATOR",
  },
  TransferRules: {
    "setPendingDelay(uint64)": "REGULATOR",
    "setTrustDelay(uint64)": "REGULATOR",
    "suspend(string)": "REGULATOR",
    "resume()": "REGULATOR",
  },
  AllowanceToken: {
    ...tokenFunctions,
    "mint(address,uint256,uint256)": "ALLOWANCE_MINTER",
    "burn(address,uint256,uint256)": "ALLOWANCE_BURNER",
  },
  OffsetToken: {
    ...tokenFunctions,
    "importBatch(address,(string,string,bool,string,uint64,uint64,uint64,uint64,string))": "OFFSET_REGISTRAR",
    "burn(address,uint256,uint256)": "OFFSET_BURNER",
  },
  CashToken: {
    ...tokenFunctions,
    "deposit(address,uint256,bytes32)": "CLEARING_BANK",
  },
  Allocation: {
    "setCap(uint16,uint256,uint16)": "REGULATOR",
    "registerPlan(uint16,bytes32,bytes32,uint32,uint256,string)": "REGULATOR",
    "issue(uint16,(uint64,address,uint256)[])": "REGULATOR",
    "issueFromReserve(uint16,uint64,address,uint256,string)": "REGULATOR",
    "clawback(uint16,address,uint256,string)": "REGULATOR",
    "drawReserve(uint16,uint256)": "RESERVE_SALES",
    "returnReserve(uint16,uint256)": "RESERVE_SALES",
    "carryShortfall(uint64,uint16,uint256)": "COMPLIANCE_CONTRACT",
  },
  EmissionsReporting: {
    "openYear(uint16,(uint64,uint64,uint64))": "COMPLIANCE_CONTRACT",
    "closeYear(uint16)": "COMPLIANCE_CONTRACT",
    "setAccreditation(uint64,bool)": "REGULATOR",
    "setMaxConsecutiveYears(uint16)": "REGULATOR",
    "assignVerifier(uint64,uint16,uint64)": "REGULATOR",
    "approve(uint64,uint16)": "REGULATOR",
    "returnReport(uint64,uint16,string)": "REGULATOR",
    "setEstimate(uint64,uint16,uint256,string)": "REGULATOR",
  },
  Compliance: {
    "openYear(uint16,(uint64,uint64,uint64),(uint16,uint64,bool,bytes32[],bytes32[]))": "REGULATOR",
    "setOffsetRules(uint16,(uint16,uint64,bool,bytes32[],bytes32[]))": "REGULATOR",
    "setPenalties(uint16,uint256)": "REGULATOR",
    "closeYear(uint16,uint256)": "REGULATOR",
  },
  ReserveSales: {
    "createAuction(uint16,uint256,uint256,uint64,uint64)": "REGULATOR",
    "createFixedSale(uint16,uint256,uint256,uint64,uint64,uint256)": "REGULATOR",
    "setTreasury(address)": "REGULATOR",
  },
} as const satisfies Partial<Record<ContractName, Record<string, RoleName>>>;

/** Which role may call each restricted function of the Clearing contract (deployed beside the registry). */
export const CLEARING_PERMISSIONS = {
  "settle((((address,address,uint256,bool,uint256,uint256,uint8,uint256,uint64),bytes)[],(uint64,uint32,uint32,uint128,uint128,bool)[],((address,address,uint256,uint256,uint256,uint64),bytes)[],uint256[]))":
    "EXCHANGE",
  "setFees(uint16,uint16,address)": "REGULATOR",
  "setWithdrawalDelay(uint64)": "REGULATOR",
} as const satisfies Record<string, RoleName>;

/** Roles whose use is scheduled through the AccessManager's execution delay. */
export const DELAYED_ROLES = ["ENFORCEMENT", "RECOVERY"] as const satisfies readonly RoleName[];
