import { Interface, type ErrorDescription, type InterfaceAbi } from "ethers";
import { ABIS } from "./contracts";

/** How a caller should treat an error. */
export type ErrorKind = "validation" | "unauthorised" | "not_found" | "conflict" | "retryable" | "internal";

/**
 * The one error type of the system: a stable `code` (see `docs/error-codes.md`), a sentence a person
 * understands, and the raw values behind it.
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON() {
    return { code: this.code, message: this.message, kind: this.kind, details: this.details };
  }
}

const ACCOUNT_STATUS = ["none", "active", "frozen", "closed"] as const;
const PENDING_STATUS = ["unknown", "pending", "cancelled", "blocked", "executed"] as const;
const CATEGORY = ["none", "covered entity", "institution", "individual", "verifier", "exchange"] as const;

type Args = readonly unknown[];
interface ChainErrorSpec {
  code: string;
  kind: ErrorKind;
  message: (a: Args) => string;
}

const s = (v: unknown): string => String(v);
const when = (v: unknown): string => new Date(Number(v) * 1000).toISOString().replace(".000Z", "Z");
const named = (list: readonly string[], v: unknown): string => list[Number(v)] ?? `status ${s(v)}`;
const t = (v: unknown): string => `${s(v)} t`;
const bps = (v: unknown): string => `${s(v)} basis points`;
const fen = (v: unknown): string => {
  const n = BigInt(s(v));
  return `¥${(n / 100n).toString()}.${(n % 100n).toString().padStart(2, "0")}`;
};
const REPORT_STATUS = ["not submitted", "submitted", "verified", "approved", "returned", "estimated"] as const;
const INELIGIBILITY = [
  "eligible",
  "no such batch",
  "hydropower projects are excluded",
  "its reductions start before the earliest date allowed",
  "its project type is not on the allowed list",
  "its project type is excluded",
] as const;
const AUCTION_PHASE = ["", "bidding", "reveal", "settlement"] as const;

/**
 * Every custom error the contracts can raise (their own and OpenZeppelin's), with its stable code
 * and a sentence. A test checks that every error in every ABI is listed here and that codes are unique.
 */
export const CHAIN_ERRORS: Record<string, ChainErrorSpec> = {
  // Access
  AccessManagedUnauthorized: {
    code: "UNAUTHORISED_ROLE",
    kind: "unauthorised",
    message: (a) => `Account ${s(a[0])} does not hold the role this action needs.`,
  },
  AccessManagedRequiredDelay: {
    code: "ACTION_NEEDS_SCHEDULING",
    kind: "conflict",
    message: (a) =>
      `Account ${s(a[0])} holds this power only with an execution delay of ${s(a[1])} s: schedule the action on the AccessManager and execute it after the delay.`,
  },
  AccessManagedInvalidAuthority: {
    code: "INVALID_AUTHORITY",
    kind: "validation",
    message: (a) => `${s(a[0])} is not a valid access authority.`,
  },
  AccessManagerAlreadyScheduled: {
    code: "OPERATION_ALREADY_SCHEDULED",
    kind: "conflict",
    message: (a) => `Operation ${s(a[0])} is already scheduled.`,
  },
  AccessManagerBadConfirmation: {
    code: "BAD_CONFIRMATION",
    kind: "validation",
    message: () => "The confirmation address does not match the caller.",
  },
  AccessManagerExpired: {
    code: "OPERATION_EXPIRED",
    kind: "conflict",
    message: (a) => `Scheduled operation ${s(a[0])} expired; schedule it again.`,
  },
  AccessManagerInvalidInitialAdmin: {
    code: "INVALID_INITIAL_ADMIN",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot be the initial admin.`,
  },
  AccessManagerLockedFunction: {
    code: "FUNCTION_LOCKED",
    kind: "unauthorised",
    message: (a) => `Function ${s(a[0])} is locked.`,
  },
  AccessManagerLockedRole: {
    code: "ROLE_LOCKED",
    kind: "unauthorised",
    message: (a) => `Role ${s(a[0])} cannot be changed.`,
  },
  AccessManagerNotReady: {
    code: "OPERATION_NOT_READY",
    kind: "conflict",
    message: (a) => `Scheduled operation ${s(a[0])} is not ready yet: its execution delay has not passed.`,
  },
  AccessManagerNotScheduled: {
    code: "OPERATION_NOT_SCHEDULED",
    kind: "not_found",
    message: (a) => `Operation ${s(a[0])} is not scheduled (or was cancelled).`,
  },
  AccessManagerUnauthorizedAccount: {
    code: "UNAUTHORISED_ACCOUNT",
    kind: "unauthorised",
    message: (a) => `Account ${s(a[0])} does not hold role ${s(a[1])}.`,
  },
  AccessManagerUnauthorizedCall: {
    code: "UNAUTHORISED_CALL",
    kind: "unauthorised",
    message: (a) => `Account ${s(a[0])} may not call ${s(a[2])} on ${s(a[1])}.`,
  },
  AccessManagerUnauthorizedCancel: {
    code: "UNAUTHORISED_CANCEL",
    kind: "unauthorised",
    message: (a) => `Account ${s(a[0])} may not cancel this scheduled operation.`,
  },
  AccessManagerUnauthorizedConsume: {
    code: "UNAUTHORISED_CONSUME",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} may not consume a scheduled operation.`,
  },
  // Participant registry
  RegistryEntityExists: {
    code: "ENTITY_EXISTS",
    kind: "conflict",
    message: (a) => `Entity id ${s(a[0])} is zero or already registered.`,
  },
  RegistryUnknownEntity: {
    code: "ENTITY_NOT_FOUND",
    kind: "not_found",
    message: (a) => `No entity is registered with id ${s(a[0])}.`,
  },
  RegistryInvalidCategory: {
    code: "INVALID_CATEGORY",
    kind: "validation",
    message: (a) => `Category ${s(a[0])} is not valid.`,
  },
  RegistryInvalidSector: {
    code: "INVALID_SECTOR",
    kind: "validation",
    message: (a) =>
      `A ${named(CATEGORY, a[0])} cannot have sector ${s(a[1])}: covered entities need a sector, other categories have none.`,
  },
  RegistryInvalidName: {
    code: "INVALID_ENTITY_NAME",
    kind: "validation",
    message: () => "The entity name must be 1 to 200 bytes long.",
  },
  RegistryMissingCreditCode: {
    code: "MISSING_CREDIT_CODE",
    kind: "validation",
    message: () => "The unified social credit code is missing.",
  },
  RegistryDuplicateCreditCode: {
    code: "DUPLICATE_CREDIT_CODE",
    kind: "conflict",
    message: (a) => `Entity ${s(a[1])} is already registered with this unified social credit code.`,
  },
  RegistryZeroAddress: {
    code: "ZERO_ADDRESS",
    kind: "validation",
    message: () => "The zero address cannot be a registry account.",
  },
  RegistryAccountExists: {
    code: "ACCOUNT_EXISTS",
    kind: "conflict",
    message: (a) => `Wallet ${s(a[0])} already has an account (entity ${s(a[1])}); wallets are never reused.`,
  },
  RegistryUnknownAccount: {
    code: "ACCOUNT_NOT_REGISTERED",
    kind: "not_found",
    message: (a) => `Wallet ${s(a[0])} has no registry account.`,
  },
  RegistryInvalidStatus: {
    code: "ACCOUNT_STATUS_CONFLICT",
    kind: "conflict",
    message: (a) => `Account ${s(a[0])} is ${named(ACCOUNT_STATUS, a[1])}; this action needs another status.`,
  },
  RegistryAccountNotEmpty: {
    code: "ACCOUNT_NOT_EMPTY",
    kind: "conflict",
    message: (a) => `Account ${s(a[0])} still holds units of token ${s(a[1])}; move them before closing it.`,
  },
  RegistryInvalidHoldingToken: {
    code: "INVALID_HOLDING_TOKEN",
    kind: "validation",
    message: (a) => `Token ${s(a[0])} cannot be listed (zero, listed already, or the list is full).`,
  },
  RegistryInvalidClearingHouse: {
    code: "INVALID_CLEARING_HOUSE",
    kind: "validation",
    message: (a) => `${s(a[0])} is not an active account of an exchange entity.`,
  },
  // Transfer rules
  RulesHolderNotActive: {
    code: "HOLDER_NOT_ACTIVE",
    kind: "unauthorised",
    message: (a) => `Wallet ${s(a[0])} has no active registry account.`,
  },
  RulesInvalidTrustedAccount: {
    code: "INVALID_TRUSTED_ACCOUNT",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot be trusted (zero address or your own wallet).`,
  },
  RulesTrustedAccountNotActive: {
    code: "TRUSTED_ACCOUNT_NOT_ACTIVE",
    kind: "validation",
    message: (a) => `${s(a[0])} has no active registry account and cannot be trusted.`,
  },
  RulesAlreadyTrusted: {
    code: "ALREADY_TRUSTED",
    kind: "conflict",
    message: (a) => `${s(a[1])} is already on the trusted list of ${s(a[0])}.`,
  },
  RulesNotTrusted: {
    code: "NOT_TRUSTED",
    kind: "not_found",
    message: (a) => `${s(a[1])} is not on the trusted list of ${s(a[0])}.`,
  },
  RulesTrustedListFull: {
    code: "TRUSTED_LIST_FULL",
    kind: "conflict",
    message: (a) => `The trusted list of ${s(a[0])} is full (${s(a[1])} accounts).`,
  },
  RulesDelayOutOfRange: {
    code: "DELAY_OUT_OF_RANGE",
    kind: "validation",
    message: (a) => `A delay of ${s(a[0])} s is longer than the maximum of ${s(a[1])} s.`,
  },
  RulesSuspensionUnchanged: {
    code: "SUSPENSION_UNCHANGED",
    kind: "conflict",
    message: (a) => (a[0] ? "Transfers are already suspended." : "Transfers are not suspended."),
  },
  // Tokens
  TokenZeroAmount: {
    code: "ZERO_AMOUNT",
    kind: "validation",
    message: () => "The amount must be greater than zero.",
  },
  TokenAccountNotRegistered: {
    code: "ACCOUNT_NOT_REGISTERED",
    kind: "not_found",
    message: (a) => `Wallet ${s(a[0])} has no registry account.`,
  },
  TokenAccountNotActive: {
    code: "ACCOUNT_NOT_ACTIVE",
    kind: "conflict",
    message: (a) => `Account ${s(a[0])} is ${named(ACCOUNT_STATUS, a[1])} and can neither send nor receive.`,
  },
  TokenTransfersSuspended: {
    code: "TRANSFERS_SUSPENDED",
    kind: "conflict",
    message: () => "Transfers are suspended by the regulator; only allocation and surrender go on.",
  },
  TokenInsufficientBalance: {
    code: "INSUFFICIENT_BALANCE",
    kind: "conflict",
    message: (a) => `Account ${s(a[0])} holds ${s(a[2])} of token id ${s(a[1])}; ${s(a[3])} were requested.`,
  },
  TokenBalanceLocked: {
    code: "BALANCE_LOCKED_BY_PENDING",
    kind: "conflict",
    message: (a) =>
      `Account ${s(a[0])} can spend only ${s(a[2])} of token id ${s(a[1])} now: ${s(a[3])} are locked by pending transfers; ${s(a[4])} were requested.`,
  },
  TokenUntrustedLimitExceeded: {
    code: "UNTRUSTED_LIMIT_EXCEEDED",
    kind: "validation",
    message: (a) =>
      `A transfer of ${s(a[1])} to an untrusted account exceeds the per-transfer maximum of ${s(a[2])} set for ${s(a[0])}.`,
  },
  TokenRouteNotImmediate: {
    code: "TRANSFER_NOT_IMMEDIATE",
    kind: "conflict",
    message: (a) => `A transfer from ${s(a[0])} to ${s(a[1])} must go through the pending-transfer route.`,
  },
  TokenUnknownPendingTransfer: {
    code: "PENDING_TRANSFER_NOT_FOUND",
    kind: "not_found",
    message: (a) => `There is no pending transfer #${s(a[0])}.`,
  },
  TokenPendingTransferClosed: {
    code: "PENDING_TRANSFER_CLOSED",
    kind: "conflict",
    message: (a) => `Pending transfer #${s(a[0])} is already ${named(PENDING_STATUS, a[1])}.`,
  },
  TokenPendingTransferNotReleased: {
    code: "PENDING_TRANSFER_NOT_RELEASED",
    kind: "conflict",
    message: (a) => `Pending transfer #${s(a[0])} can be executed from ${when(a[1])}.`,
  },
  TokenNotPendingSender: {
    code: "NOT_PENDING_SENDER",
    kind: "unauthorised",
    message: (a) => `Only the sender can cancel pending transfer #${s(a[0])}; ${s(a[1])} is not.`,
  },
  TokenForcedTransferToSelf: {
    code: "FORCED_TRANSFER_TO_SELF",
    kind: "validation",
    message: (a) => `A forced transfer cannot go from ${s(a[0])} to itself.`,
  },
  TokenNotAuthorised: {
    code: "NOT_AUTHORISED_FOR_HOLDER",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} may not move the units of ${s(a[1])}.`,
  },
  AllowanceInvalidVintage: {
    code: "INVALID_VINTAGE",
    kind: "validation",
    message: (a) => `Vintage ${s(a[0])} is outside 2000–2100.`,
  },
  AllowanceUnknownVintage: {
    code: "VINTAGE_NOT_FOUND",
    kind: "not_found",
    message: (a) => `No allowances of vintage ${s(a[0])} were ever issued.`,
  },
  OffsetInvalidSerialRange: {
    code: "INVALID_SERIAL_RANGE",
    kind: "validation",
    message: (a) => `Serial range ${s(a[0])}–${s(a[1])} is reversed.`,
  },
  OffsetInvalidReductionPeriod: {
    code: "INVALID_REDUCTION_PERIOD",
    kind: "validation",
    message: (a) => `The reduction period ${when(a[0])} – ${when(a[1])} is empty or reversed.`,
  },
  OffsetMissingField: {
    code: "MISSING_BATCH_FIELD",
    kind: "validation",
    message: (a) => `The CCER batch's ${s(a[0])} is missing.`,
  },
  OffsetBatchAlreadyImported: {
    code: "BATCH_ALREADY_IMPORTED",
    kind: "conflict",
    message: (a) => `Origin batch ${s(a[0])} was already imported as batch ${s(a[1])}.`,
  },
  OffsetUnknownBatch: {
    code: "BATCH_NOT_FOUND",
    kind: "not_found",
    message: (a) => `There is no CCER batch ${s(a[0])}.`,
  },
  CashInvalidBankReference: {
    code: "INVALID_BANK_REFERENCE",
    kind: "conflict",
    message: (a) => `Bank reference ${s(a[0])} is empty or was used before.`,
  },
  CashInvalidPayoutReference: {
    code: "INVALID_PAYOUT_REFERENCE",
    kind: "conflict",
    message: (a) => `Payout reference ${s(a[1])} is empty or was used before by ${s(a[0])}.`,
  },
  // Clearing (trading accounts at the exchange). The codes are those the exchange and the `ets` CLI
  // already use (`sdk/clearing.ts`); ZERO_AMOUNT and ACCOUNT_NOT_ACTIVE mean what they mean for tokens.
  ClearingUnsupportedToken: {
    code: "CLEARING_UNSUPPORTED_TOKEN",
    kind: "validation",
    message: (a) => `Token ${s(a[0])} is not traded at the exchange: only allowances, CCER and cash (id 0) are.`,
  },
  ClearingZeroAmount: {
    code: "ZERO_AMOUNT",
    kind: "validation",
    message: () => "The amount must be greater than zero.",
  },
  ClearingInsufficientBalance: {
    code: "INSUFFICIENT_TRADING_BALANCE",
    kind: "conflict",
    message: (a) =>
      `The trading account of ${s(a[0])} holds ${s(a[3])} of token ${s(a[1])} id ${s(a[2])}; ${s(a[4])} are needed.`,
  },
  ClearingAccountNotActive: {
    code: "ACCOUNT_NOT_ACTIVE",
    kind: "conflict",
    message: (a) => `${s(a[0])} has no active registry account (unregistered, frozen or closed).`,
  },
  ClearingUnexpectedTransfer: {
    code: "CLEARING_UNEXPECTED_TRANSFER",
    kind: "validation",
    message: (a) =>
      `Units reach a trading account only through the holder's own deposit; ${s(a[0])} sent units of ${s(a[1])}.`,
  },
  ClearingDepositNotReceived: {
    code: "CLEARING_DEPOSIT_NOT_RECEIVED",
    kind: "conflict",
    message: (a) =>
      `Only ${s(a[2])} of the ${s(a[1])} fen ${s(a[0])} deposited reached the Clearing at once (it is not a designated clearing house right now); nothing was deposited.`,
  },
  ClearingTradeIdGap: {
    code: "TRADE_ID_GAP",
    kind: "conflict",
    message: (a) => `The settlement batch skips trade ids: ${s(a[0])} was expected, ${s(a[1])} came.`,
  },
  ClearingInvalidWithdrawal: {
    code: "WITHDRAWAL_INVALID",
    kind: "validation",
    message: (a) =>
      `The signed withdrawal of ${s(a[0])} with nonce ${s(a[1])} is invalid: bad signature, expired, or its nonce was used.`,
  },
  ClearingUnknownWithdrawalRequest: {
    code: "WITHDRAWAL_REQUEST_NOT_FOUND",
    kind: "not_found",
    message: (a) => `There is no open withdrawal request ${s(a[0])}: it does not exist or was already executed.`,
  },
  ClearingNotRequester: {
    code: "NOT_WITHDRAWAL_REQUESTER",
    kind: "unauthorised",
    message: (a) => `Only the trader who asked for withdrawal request ${s(a[0])} can execute it; ${s(a[1])} did not.`,
  },
  ClearingWithdrawalNotDue: {
    code: "WITHDRAWAL_NOT_DUE",
    kind: "conflict",
    message: (a) => `Withdrawal request ${s(a[0])} can be executed by the trader from ${when(a[1])}.`,
  },
  ClearingNotOrderOwner: {
    code: "NOT_ORDER_OWNER",
    kind: "unauthorised",
    message: (a) => `The order belongs to ${s(a[0])}; ${s(a[1])} cannot cancel it.`,
  },
  ClearingNonceNotIncreasing: {
    code: "NONCE_NOT_INCREASING",
    kind: "conflict",
    message: (a) => `Orders below nonce ${s(a[0])} are already cancelled; the new minimum ${s(a[1])} must be above it.`,
  },
  ClearingParameterOutOfRange: {
    code: "PARAMETER_OUT_OF_RANGE",
    kind: "validation",
    message: (a) => `The value ${s(a[0])} is above the maximum of ${s(a[1])}.`,
  },
  // OpenZeppelin token and utility errors that our own checks normally pre-empt.
  ERC1155InsufficientBalance: {
    code: "ERC1155_INSUFFICIENT_BALANCE",
    kind: "conflict",
    message: (a) => `${s(a[0])} holds ${s(a[1])} of token id ${s(a[3])}; ${s(a[2])} needed.`,
  },
  ERC1155InvalidApprover: {
    code: "ERC1155_INVALID_APPROVER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot approve.`,
  },
  ERC1155InvalidArrayLength: {
    code: "ARRAY_LENGTH_MISMATCH",
    kind: "validation",
    message: (a) => `${s(a[0])} token ids but ${s(a[1])} amounts were given.`,
  },
  ERC1155InvalidOperator: {
    code: "ERC1155_INVALID_OPERATOR",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot be an operator.`,
  },
  ERC1155InvalidReceiver: {
    code: "INVALID_RECEIVER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot receive these tokens.`,
  },
  ERC1155InvalidSender: {
    code: "INVALID_SENDER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot send these tokens.`,
  },
  ERC1155MissingApprovalForAll: {
    code: "MISSING_APPROVAL",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} is not an approved operator of ${s(a[1])}.`,
  },
  ERC20InsufficientAllowance: {
    code: "INSUFFICIENT_ALLOWANCE",
    kind: "conflict",
    message: (a) => `${s(a[0])} may spend ${s(a[1])} fen; ${s(a[2])} needed.`,
  },
  ERC20InsufficientBalance: {
    code: "ERC20_INSUFFICIENT_BALANCE",
    kind: "conflict",
    message: (a) => `${s(a[0])} holds ${s(a[1])} fen; ${s(a[2])} needed.`,
  },
  ERC20InvalidApprover: {
    code: "ERC20_INVALID_APPROVER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot approve.`,
  },
  ERC20InvalidReceiver: {
    code: "ERC20_INVALID_RECEIVER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot receive cash.`,
  },
  ERC20InvalidSender: {
    code: "ERC20_INVALID_SENDER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot send cash.`,
  },
  ERC20InvalidSpender: {
    code: "ERC20_INVALID_SPENDER",
    kind: "validation",
    message: (a) => `${s(a[0])} cannot be a spender.`,
  },
  // Allocation (caps, plans, the reserve, claw-back).
  AllocationInvalidYear: {
    code: "INVALID_YEAR",
    kind: "validation",
    message: (a) => `${s(a[0])} is not a year of the scheme (2000–2100).`,
  },
  AllocationInvalidReserveShare: {
    code: "INVALID_RESERVE_SHARE",
    kind: "validation",
    message: (a) => `A reserve share of ${bps(a[0])} is more than the whole cap.`,
  },
  AllocationCapNotSet: {
    code: "CAP_NOT_SET",
    kind: "conflict",
    message: (a) => `The cap of ${s(a[0])} is not set yet: set it with \`ets admin cap\` first.`,
  },
  AllocationCapBelowIssued: {
    code: "CAP_BELOW_ISSUED",
    kind: "conflict",
    message: (a) =>
      `That change would leave ${t(a[1])} for ${s(a[0])}, but ${t(a[2])} are already planned or issued from it.`,
  },
  AllocationOverCap: {
    code: "ALLOCATION_OVER_CAP",
    kind: "validation",
    message: (a) => `The plan for ${s(a[0])} gives out ${t(a[1])}, but the cap less the reserve is ${t(a[2])}.`,
  },
  AllocationPlanExists: {
    code: "PLAN_EXISTS",
    kind: "conflict",
    message: (a) => `${s(a[0])} already has an allocation plan; correct it with adjustments from the reserve.`,
  },
  AllocationNoPlan: {
    code: "NO_PLAN",
    kind: "conflict",
    message: (a) => `${s(a[0])} has no allocation plan to issue: register one first.`,
  },
  AllocationInvalidPlan: {
    code: "INVALID_PLAN",
    kind: "validation",
    message: () => "A plan needs at least one entry, the hash of its inputs and the hash of its entries.",
  },
  AllocationPlanComplete: {
    code: "PLAN_COMPLETE",
    kind: "conflict",
    message: (a) => `The allocation plan of ${s(a[0])} is issued in full already.`,
  },
  AllocationPlanOrder: {
    code: "PLAN_ORDER",
    kind: "validation",
    message: (a) =>
      `Plan entries go in ascending entity order: entity ${s(a[0])} comes after ${s(a[1])} (or was issued already).`,
  },
  AllocationOverPlan: {
    code: "OVER_PLAN",
    kind: "validation",
    message: (a) => `Issuing this would bring ${s(a[0])}'s issue to ${t(a[1])}, not the plan's total of ${t(a[2])}.`,
  },
  AllocationPlanMismatch: {
    code: "PLAN_MISMATCH",
    kind: "validation",
    message: (a) =>
      `The entries issued for ${s(a[0])} hash to ${s(a[2])}, not to the registered plan hash ${s(a[1])}: the list differs from the published plan.`,
  },
  AllocationWalletNotOfEntity: {
    code: "WALLET_NOT_OF_ENTITY",
    kind: "validation",
    message: (a) => `${s(a[0])} is not an active account of entity ${s(a[1])}.`,
  },
  AllocationNotCoveredEntity: {
    code: "NOT_A_COVERED_ENTITY",
    kind: "validation",
    message: (a) => `Entity ${s(a[0])} is not registered as a covered entity.`,
  },
  AllocationReserveExhausted: {
    code: "RESERVE_EXHAUSTED",
    kind: "conflict",
    message: (a) => `${t(a[1])} asked of the ${s(a[0])} reserve, but only ${t(a[2])} remain in it.`,
  },
  AllocationReserveUnderflow: {
    code: "RESERVE_UNDERFLOW",
    kind: "internal",
    message: (a) =>
      `${t(a[1])} returned to the ${s(a[0])} reserve, but only ${t(a[2])} were set aside for sales and not returned yet.`,
  },
  AllocationClawbackExceedsBalance: {
    code: "CLAWBACK_EXCEEDS_BALANCE",
    kind: "conflict",
    message: (a) =>
      `${s(a[0])} has ${t(a[2])} of vintage ${s(a[1])} free (not locked by pending transfers); ${t(a[3])} cannot be clawed back.`,
  },
  AllocationZeroAmount: { code: "ZERO_AMOUNT", kind: "validation", message: () => "The amount must be above zero." },
  AllocationInvalidReason: {
    code: "INVALID_REASON",
    kind: "validation",
    message: () => "A reason of 1 to 256 bytes is required.",
  },
  // Emissions reporting (MRV).
  ReportingInvalidYear: {
    code: "INVALID_YEAR",
    kind: "validation",
    message: (a) => `${s(a[0])} is not a year of the scheme (2000–2100).`,
  },
  ReportingInvalidSchedule: {
    code: "INVALID_SCHEDULE",
    kind: "validation",
    message: (a) =>
      `The calendar must run reporting opens (${when(a[0])}) < report deadline (${when(a[1])}) ≤ surrender deadline (${when(a[2])}).`,
  },
  ReportingYearAlreadyOpen: {
    code: "YEAR_ALREADY_OPEN",
    kind: "conflict",
    message: (a) => `Compliance year ${s(a[0])} was opened already.`,
  },
  ReportingYearNotOpen: {
    code: "YEAR_NOT_OPEN",
    kind: "conflict",
    message: (a) => `Compliance year ${s(a[0])} is not open (never opened, or reporting has not started).`,
  },
  ReportingYearClosed: {
    code: "YEAR_CLOSED",
    kind: "conflict",
    message: (a) => `Compliance year ${s(a[0])} is closed.`,
  },
  ReportingAccountNotActive: {
    code: "ACCOUNT_NOT_ACTIVE",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} is not an active registry account.`,
  },
  ReportingNotCovered: {
    code: "NOT_COVERED",
    kind: "unauthorised",
    message: (a) => `Entity ${s(a[0])} is not covered in ${s(a[1])}: it has no allocation for that year.`,
  },
  ReportingReportLocked: {
    code: "REPORT_LOCKED",
    kind: "conflict",
    message: (a) =>
      `Entity ${s(a[0])}'s report for ${s(a[1])} is ${named(REPORT_STATUS, a[2])} and can no longer change.`,
  },
  ReportingInvalidField: {
    code: "INVALID_FIELD",
    kind: "validation",
    message: (a) => `The field ${s(a[0])} is missing, zero or too long.`,
  },
  ReportingNotVerifier: {
    code: "NOT_A_VERIFIER",
    kind: "validation",
    message: (a) => `Entity ${s(a[0])} is not registered as a verification body.`,
  },
  ReportingVerifierNotAccredited: {
    code: "VERIFIER_NOT_ACCREDITED",
    kind: "unauthorised",
    message: (a) => `Verification body ${s(a[0])} is not accredited.`,
  },
  ReportingVerifierRotationRequired: {
    code: "VERIFIER_ROTATION_REQUIRED",
    kind: "conflict",
    message: (a) =>
      `Verification body ${s(a[1])} already verified entity ${s(a[0])} for ${s(a[2])} consecutive years, the most allowed (${s(a[3])}): assign another.`,
  },
  ReportingNotAssignedVerifier: {
    code: "NOT_ASSIGNED_VERIFIER",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} is not an account of the verifier assigned to entity ${s(a[1])} for ${s(a[2])}.`,
  },
  ReportingNothingToAttest: {
    code: "NOTHING_TO_ATTEST",
    kind: "conflict",
    message: (a) =>
      `Entity ${s(a[0])}'s report for ${s(a[1])} is ${named(REPORT_STATUS, a[2])}: only a submitted report can be attested.`,
  },
  ReportingInvalidOpinion: {
    code: "INVALID_OPINION",
    kind: "validation",
    message: () => "The opinion must be positive, qualified or adverse.",
  },
  ReportingNotVerified: {
    code: "REPORT_NOT_VERIFIED",
    kind: "conflict",
    message: (a) =>
      `Entity ${s(a[0])}'s report for ${s(a[1])} is ${named(REPORT_STATUS, a[2])}: only a verified report can be approved.`,
  },
  ReportingAlreadyDecided: {
    code: "ALREADY_DECIDED",
    kind: "conflict",
    message: (a) => `Entity ${s(a[0])}'s obligation for ${s(a[1])} is fixed already (${named(REPORT_STATUS, a[2])}).`,
  },
  ReportingAdverseOpinion: {
    code: "ADVERSE_OPINION",
    kind: "conflict",
    message: (a) =>
      `The verifier gave an adverse opinion on entity ${s(a[0])}'s report for ${s(a[1])}: return it instead of approving it.`,
  },
  ReportingNothingToReturn: {
    code: "NOTHING_TO_RETURN",
    kind: "conflict",
    message: (a) =>
      `Entity ${s(a[0])}'s report for ${s(a[1])} is ${named(REPORT_STATUS, a[2])}: only a submitted or verified report can be returned.`,
  },
  ReportingDeadlineNotPassed: {
    code: "REPORT_DEADLINE_NOT_PASSED",
    kind: "conflict",
    message: (a) => `An estimate for ${s(a[0])} is allowed only after the report deadline, ${when(a[1])}.`,
  },
  ReportingInvalidRotation: {
    code: "INVALID_ROTATION",
    kind: "validation",
    message: () => "The maximum of consecutive years must be at least 1.",
  },
  // Compliance and cancellation.
  ComplianceInvalidOffsetCap: {
    code: "INVALID_OFFSET_CAP",
    kind: "validation",
    message: (a) => `An offset cap of ${bps(a[0])} is more than the whole obligation.`,
  },
  ComplianceInvalidPenalties: {
    code: "INVALID_PENALTIES",
    kind: "validation",
    message: (a) => `Flagging an entity for ${s(a[0])} years is more than the 100 allowed.`,
  },
  ComplianceYearNotOpen: {
    code: "COMPLIANCE_YEAR_NOT_OPEN",
    kind: "conflict",
    message: (a) => `Compliance year ${s(a[0])} was never opened.`,
  },
  ComplianceYearClosed: {
    code: "COMPLIANCE_YEAR_CLOSED",
    kind: "conflict",
    message: (a) => `Compliance year ${s(a[0])} is closed: its results are final.`,
  },
  ComplianceAccountNotRegistered: {
    code: "HOLDER_NOT_REGISTERED",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} is not an open registry account.`,
  },
  ComplianceNotCovered: {
    code: "NOT_COVERED_FOR_YEAR",
    kind: "unauthorised",
    message: (a) => `Entity ${s(a[0])} is not covered in ${s(a[1])} and owes nothing for it.`,
  },
  ComplianceObligationNotSet: {
    code: "OBLIGATION_NOT_SET",
    kind: "conflict",
    message: (a) =>
      `Entity ${s(a[0])} has no approved emissions for ${s(a[1])} yet: surrender after the regulator approves the verified report (or sets an estimate).`,
  },
  ComplianceBorrowingNotAllowed: {
    code: "BORROWING_NOT_ALLOWED",
    kind: "validation",
    message: (a) => `Allowances of vintage ${s(a[0])} cannot be used for ${s(a[1])}: no borrowing from later years.`,
  },
  ComplianceOffsetNotEligible: {
    code: "OFFSET_NOT_ELIGIBLE",
    kind: "validation",
    message: (a) => `CCER batch ${s(a[0])} is not eligible: ${named(INELIGIBILITY, a[1])}.`,
  },
  ComplianceOffsetCapExceeded: {
    code: "OFFSET_CAP_EXCEEDED",
    kind: "validation",
    message: (a) =>
      `CCER may cover at most ${t(a[2])} of entity ${s(a[0])}'s ${s(a[1])} obligation; ${t(a[3])} used, ${t(a[4])} more asked.`,
  },
  ComplianceSurrenderExceedsObligation: {
    code: "SURRENDER_EXCEEDS_OBLIGATION",
    kind: "validation",
    message: (a) =>
      `Entity ${s(a[0])} owes ${t(a[2])} for ${s(a[1])} and surrendered ${t(a[3])}; ${t(a[4])} more would go beyond it.`,
  },
  ComplianceInvalidItems: {
    code: "INVALID_ITEMS",
    kind: "validation",
    message: () => "Name at least one vintage or batch, with one amount for each.",
  },
  ComplianceZeroAmount: {
    code: "ZERO_UNITS",
    kind: "validation",
    message: () => "Every amount must be at least 1 t.",
  },
  ComplianceDeadlineNotPassed: {
    code: "SURRENDER_DEADLINE_NOT_PASSED",
    kind: "conflict",
    message: (a) => `${s(a[0])} can be closed only after its surrender deadline, ${when(a[1])}.`,
  },
  ComplianceInvalidText: {
    code: "INVALID_TEXT",
    kind: "validation",
    message: (a) => `The ${s(a[0])} must be 1 to 256 bytes.`,
  },
  ComplianceCancellationSuspended: {
    code: "CANCELLATION_SUSPENDED",
    kind: "conflict",
    message: () => "Voluntary cancellation is stopped while the regulator's emergency suspension is on.",
  },
  ComplianceAccountNotActive: {
    code: "ACCOUNT_NOT_ACTIVE",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} is not an active registry account.`,
  },
  ComplianceInvalidBatchSize: {
    code: "INVALID_BATCH_SIZE",
    kind: "validation",
    message: () => "Close at least one entity per call.",
  },
  // Reserve sales (auctions and fixed-price sales).
  SalesInvalidParameters: {
    code: "INVALID_SALE_PARAMETERS",
    kind: "validation",
    message: () => "Quantity and price must be above zero, and the times in the future and in order.",
  },
  SalesUnknownAuction: {
    code: "UNKNOWN_AUCTION",
    kind: "not_found",
    message: (a) => `There is no auction ${s(a[0])}.`,
  },
  SalesUnknownBid: {
    code: "UNKNOWN_BID",
    kind: "not_found",
    message: (a) => `Auction ${s(a[0])} has no bid ${s(a[1])}.`,
  },
  SalesWrongPhase: {
    code: "AUCTION_WRONG_PHASE",
    kind: "conflict",
    message: (a) => `Auction ${s(a[0])} is not in its ${named(AUCTION_PHASE, a[1])} phase.`,
  },
  SalesAccountNotActive: {
    code: "BIDDER_NOT_ACTIVE",
    kind: "unauthorised",
    message: (a) => `${s(a[0])} is not an active registry account.`,
  },
  SalesEscrowMissing: {
    code: "ESCROW_MISSING",
    kind: "validation",
    message: (a) =>
      `A bid needs cash in escrow: ${fen(a[1])} expected from ${s(a[0])}, ${fen(a[2])} arrived (approve the sales contract first).`,
  },
  SalesTooManyBids: {
    code: "TOO_MANY_BIDS",
    kind: "conflict",
    message: (a) => `Auction ${s(a[0])} takes at most ${s(a[1])} bids.`,
  },
  SalesNotBidder: {
    code: "NOT_BIDDER",
    kind: "unauthorised",
    message: (a) => `${s(a[2])} did not place bid ${s(a[1])} of auction ${s(a[0])}.`,
  },
  SalesBidAlreadyRevealed: {
    code: "BID_ALREADY_REVEALED",
    kind: "conflict",
    message: (a) => `Bid ${s(a[1])} of auction ${s(a[0])} was revealed already.`,
  },
  SalesCommitmentMismatch: {
    code: "COMMITMENT_MISMATCH",
    kind: "validation",
    message: (a) => `Price, quantity and salt do not match the commitment of bid ${s(a[1])} of auction ${s(a[0])}.`,
  },
  SalesBidBelowReserve: {
    code: "BID_BELOW_RESERVE",
    kind: "validation",
    message: (a) => `A bid of ${fen(a[0])} per tonne is below the reserve price of ${fen(a[1])}.`,
  },
  SalesEscrowInsufficient: {
    code: "ESCROW_INSUFFICIENT",
    kind: "validation",
    message: (a) => `The bid costs up to ${fen(a[0])} but only ${fen(a[1])} is in escrow.`,
  },
  SalesBidAlreadySettled: {
    code: "BID_ALREADY_SETTLED",
    kind: "conflict",
    message: (a) => `Bid ${s(a[1])} of auction ${s(a[0])} was settled already.`,
  },
  SalesUnknownSale: { code: "UNKNOWN_SALE", kind: "not_found", message: (a) => `There is no sale ${s(a[0])}.` },
  SalesSaleNotOpen: {
    code: "SALE_NOT_OPEN",
    kind: "conflict",
    message: (a) => `Sale ${s(a[0])} is not open now (before its window, after it, or closed).`,
  },
  SalesQuantityUnavailable: {
    code: "SALE_QUANTITY_UNAVAILABLE",
    kind: "conflict",
    message: (a) => `Sale ${s(a[0])} has ${t(a[2])} left for this buyer; ${t(a[1])} asked.`,
  },
  SalesPaymentMissing: {
    code: "PAYMENT_MISSING",
    kind: "validation",
    message: (a) =>
      `The payment from ${s(a[0])} did not arrive in full: ${fen(a[1])} expected, ${fen(a[2])} received (approve the sales contract for the cash first).`,
  },
  SalesInvalidTreasury: {
    code: "INVALID_TREASURY",
    kind: "validation",
    message: () => "The treasury cannot be the zero address.",
  },
  AddressEmptyCode: {
    code: "NO_CONTRACT_AT_ADDRESS",
    kind: "internal",
    message: (a) => `There is no contract at ${s(a[0])}.`,
  },
  FailedCall: { code: "CALL_FAILED", kind: "internal", message: () => "An inner call failed." },
  InsufficientBalance: {
    code: "INSUFFICIENT_NATIVE_BALANCE",
    kind: "conflict",
    message: (a) => `The contract holds ${s(a[0])} wei; ${s(a[1])} needed.`,
  },
  SafeCastOverflowedUintDowncast: {
    code: "VALUE_TOO_LARGE",
    kind: "validation",
    message: (a) => `The value ${s(a[1])} does not fit in ${s(a[0])} bits.`,
  },
};

let combined: Interface | undefined;
/**
 * One interface with the custom errors of every ABI of the system, to decode any revert. (Errors
 * only: merged whole, the ABIs' constructors and same-named functions would make ethers print
 * "duplicate definition" warnings.)
 */
export function systemInterface(): Interface {
  if (!combined) {
    const fragments = new Map<string, unknown>();
    for (const abi of Object.values(ABIS) as InterfaceAbi[]) {
      for (const f of abi as readonly { type: string; name?: string; inputs?: { type: string }[] }[]) {
        if (f.type !== "error") continue;
        const key = `${f.name ?? ""}(${(f.inputs ?? []).map((i) => i.type).join(",")})`;
        if (!fragments.has(key)) fragments.set(key, f);
      }
    }
    combined = new Interface([...fragments.values()] as InterfaceAbi);
  }
  return combined;
}

/** Finds the revert data in whatever ethers, a provider or a node put into an error. */
export function findRevertData(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || err === null || typeof err !== "object") return undefined;
  const e = err as Record<string, unknown>;
  const data = e.data;
  if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
  if (data && typeof data === "object") {
    const inner = findRevertData(data, depth + 1);
    if (inner) return inner;
  }
  for (const key of ["error", "info", "cause", "revert", "payload"]) {
    const inner = findRevertData(e[key], depth + 1);
    if (inner) return inner;
  }
  if (typeof e.body === "string") {
    try {
      return findRevertData(JSON.parse(e.body), depth + 1);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Decodes revert data into the error's description, or undefined when it is not ours. */
export function parseRevert(data: string): ErrorDescription | undefined {
  try {
    return systemInterface().parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

/** A DomainError for a decoded contract error. */
export function chainError(name: string, args: Args, cause?: unknown): DomainError {
  const spec = CHAIN_ERRORS[name];
  if (!spec)
    return new DomainError("CONTRACT_ERROR", `The contract rejected the call (${name}).`, "internal", {}, { cause });
  const details: Record<string, unknown> = {
    error: name,
    args: args.map((v) => (typeof v === "bigint" ? v.toString() : v)),
  };
  return new DomainError(spec.code, spec.message(args), spec.kind, details, { cause });
}

/**
 * Turns anything thrown while talking to the chain into a DomainError with a stable code: custom
 * errors decoded by name, unreachable nodes as retryable, anything else as an internal error that
 * keeps its cause. Never returns a raw revert blob.
 */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const data = findRevertData(err);
  if (data) {
    const parsed = parseRevert(data);
    if (parsed) {
      if (parsed.name === "Error" || parsed.name === "Panic") {
        return new DomainError(
          "CONTRACT_REVERTED",
          `The contract rejected the call: ${String(parsed.args[0])}.`,
          "internal",
          {},
          { cause: err },
        );
      }
      return chainError(parsed.name, parsed.args.toArray(), err);
    }
    return new DomainError(
      "CONTRACT_ERROR",
      `The contract rejected the call with an unknown error (selector ${data.slice(0, 10)}).`,
      "internal",
      { data },
      { cause: err },
    );
  }
  const e = err as { code?: string; message?: string } | undefined;
  if (
    e?.code === "ECONNREFUSED" ||
    e?.code === "NETWORK_ERROR" ||
    e?.code === "TIMEOUT" ||
    /ECONNREFUSED|fetch failed|socket hang up/.test(e?.message ?? "")
  ) {
    return new DomainError(
      "NODE_UNREACHABLE",
      "The chain node cannot be reached; check that it runs and try again.",
      "retryable",
      {},
      { cause: err },
    );
  }
  if (e?.code === "INSUFFICIENT_FUNDS") {
    return new DomainError(
      "INSUFFICIENT_GAS_FUNDS",
      "The wallet cannot pay for gas; the network must run with gas price 0.",
      "conflict",
      {},
      { cause: err },
    );
  }
  // EIP-1193 4001 (ethers: ACTION_REJECTED): the person declined in their wallet.
  const inner = (err as { info?: { error?: { code?: unknown } } } | undefined)?.info?.error?.code;
  if (e?.code === "ACTION_REJECTED" || (e?.code as unknown) === 4001 || inner === 4001) {
    return new DomainError(
      "WALLET_REJECTED",
      "The signature was declined in the wallet; nothing was sent.",
      "validation",
      {},
      { cause: err },
    );
  }
  if (e?.code === "NONCE_EXPIRED" || e?.code === "REPLACEMENT_UNDERPRICED") {
    return new DomainError(
      "NONCE_CONFLICT",
      "Another transaction from this wallet was sent at the same time; try again.",
      "retryable",
      {},
      { cause: err },
    );
  }
  return new DomainError(
    "UNEXPECTED",
    e?.message ? `Unexpected error: ${e.message}` : "Unexpected error.",
    "internal",
    {},
    { cause: err },
  );
}
