import { Interface } from "ethers";
import { ABIS } from "../../sdk/contracts";
import { Roles } from "../../sdk/roles";
import { indexerError } from "../errors";
import type { Rpc } from "../sync/rpc";

/** The roles that open the explorer's entity-level data, strongest first. */
export const EXPLORER_ROLES = ["REGULATOR", "AUDITOR"] as const;
export type ExplorerRole = (typeof EXPLORER_ROLES)[number];

const authority = new Interface(ABIS.Authority);

/**
 * The explorer role `account` holds now on the deployment's AccessManager (`hasRole(roleId,
 * account)`, one JSON-RPC batch of eth_call), or null when it holds neither. A grant still waiting
 * for its grant delay does not count (`hasRole` says not a member yet).
 */
export async function explorerRoleOf(
  rpc: Rpc,
  authorityAddress: string,
  account: string,
): Promise<ExplorerRole | null> {
  let answers: string[];
  try {
    answers = await rpc.batch<string>(
      EXPLORER_ROLES.map((role) => ({
        method: "eth_call",
        params: [
          { to: authorityAddress, data: authority.encodeFunctionData("hasRole", [Roles[role], account]) },
          "latest",
        ],
      })),
    );
  } catch (err) {
    throw indexerError(
      "AUTH_ROLE_CHECK_FAILED",
      `could not ask the chain for the roles of ${account}: ${(err as Error).message}`,
    );
  }
  for (let i = 0; i < EXPLORER_ROLES.length; i++) {
    const [isMember] = authority.decodeFunctionResult("hasRole", answers[i]!);
    if (isMember === true) return EXPLORER_ROLES[i]!;
  }
  return null;
}
