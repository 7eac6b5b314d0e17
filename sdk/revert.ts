import { Interface, type InterfaceAbi } from "ethers";
import { ABIS } from "./contracts";
import { chainError, DomainError, findRevertData, toDomainError } from "./errors";

let errorsOnly: Interface | undefined;

/**
 * One interface with only the custom errors of every ABI. (`systemInterface()` of `errors.ts`
 * merges whole ABIs, and ethers `console.log`s "duplicate definition - constructor" for the three
 * constructors it meets: a CLI's `--json` stdout must not get that line.)
 */
export function errorInterface(): Interface {
  if (!errorsOnly) {
    const fragments = new Map<string, unknown>();
    for (const abi of Object.values(ABIS) as InterfaceAbi[]) {
      for (const f of abi as readonly { type: string; name?: string; inputs?: { type: string }[] }[]) {
        if (f.type !== "error") continue;
        const key = `${f.name ?? ""}(${(f.inputs ?? []).map((i) => i.type).join(",")})`;
        if (!fragments.has(key)) fragments.set(key, f);
      }
    }
    errorsOnly = new Interface([...fragments.values()] as InterfaceAbi);
  }
  return errorsOnly;
}

/**
 * {@link toDomainError} with the revert decoded through {@link errorInterface}: the same codes and
 * sentences (from `CHAIN_ERRORS`), nothing printed. Errors without revert data go to
 * `toDomainError` unchanged.
 */
export function decodeError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const data = findRevertData(err);
  if (!data) return toDomainError(err);
  let parsed: ReturnType<Interface["parseError"]> = null;
  try {
    parsed = errorInterface().parseError(data);
  } catch {
    parsed = null;
  }
  if (!parsed) {
    return new DomainError(
      "CONTRACT_ERROR",
      `The contract rejected the call with an unknown error (selector ${data.slice(0, 10)}).`,
      "internal",
      { data },
      { cause: err },
    );
  }
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
