import type { Command } from "commander";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { Roles, type RoleName } from "../../sdk/roles";
import { ZERO_FEE } from "../../sdk/send";
import { adminSend } from "./admin";
import { duration, named, txData, txLine } from "./format";
import type { Action } from "./program";

const ROLE_NAMES = Object.keys(Roles).filter((r) => r !== "ADMIN") as RoleName[];

function parseRole(input: string | undefined): { name: RoleName; id: bigint } {
  const name = (input ?? "").trim().toUpperCase().replace(/-/g, "_") as RoleName;
  if (!ROLE_NAMES.includes(name)) {
    throw clientError("INVALID_CHOICE", `Role "${input ?? ""}" is not one of ${ROLE_NAMES.join(", ")}.`, {
      field: "role",
      choices: ROLE_NAMES,
    });
  }
  return { name, id: Roles[name] };
}

/** A grant or revocation refused because the sender is not the AccessManager's admin. */
function explainAdmin(err: unknown, sender: string): unknown {
  if (err instanceof DomainError && err.code === "UNAUTHORISED_ACCOUNT") {
    return new DomainError(
      err.code,
      `Wallet ${sender} does not hold ADMIN, which grants and revokes roles: use the regulator's governance wallet.`,
      err.kind,
      err.details,
    );
  }
  return err;
}

/**
 * `ets admin role grant|revoke|show`: the AccessManager's roles, e.g. AUDITOR (read-only
 * supervision: it opens the indexer's explorer and no contract function). A grant takes the role's
 * grant delay, if the deployment set one (the roles that move or mint units); AUDITOR has none.
 */
export function registerRoleCommands(admin: Command, action: Action): void {
  const role = admin
    .command("role")
    .description("grant, revoke and show AccessManager roles (AUDITOR, VERIFIER, …) [ADMIN: the governance wallet]");

  for (const verb of ["grant", "revoke"] as const) {
    role
      .command(verb)
      .description(
        verb === "grant"
          ? "grant a role to an account; it takes the role's grant delay, if any [ADMIN]"
          : "revoke a role from an account, at once [ADMIN]",
      )
      .argument("<role>", `one of ${ROLE_NAMES.join(", ")}`)
      .argument("<account>", "address or wallet name")
      .action(
        action(async (session, [roleInput, accountInput]) => {
          const { name, id } = parseRole(roleInput);
          const account = session.resolveAccount(accountInput ?? "", "account");
          const sender = session.sender();
          const { contracts } = await session.chain();
          const fn = verb === "grant" ? "grantRole(uint64,address,uint32)" : "revokeRole(uint64,address)";
          let receipt;
          try {
            receipt = await adminSend(session, sender, ["Authority", fn], (c) =>
              verb === "grant"
                ? c.authority.grantRole(id, account.address, 0, ZERO_FEE)
                : c.authority.revokeRole(id, account.address, ZERO_FEE),
            );
          } catch (err) {
            throw explainAdmin(err, named(sender.address, sender.name));
          }
          const [isMember] = await contracts.authority.hasRole(id, account.address);
          const delay = verb === "grant" ? await contracts.authority.getRoleGrantDelay(id) : 0n;
          const who = named(account.address, account.name);
          const text =
            verb === "revoke"
              ? `Revoked ${name} from ${who}.`
              : isMember
                ? `Granted ${name} to ${who}: effective now.`
                : `Granted ${name} to ${who}: effective after the grant delay of ${duration(delay)}.`;
          return {
            data: {
              action: verb,
              role: name,
              roleId: id.toString(),
              account: account.address,
              effective: verb === "grant" ? isMember : !isMember,
              grantDelay: Number(delay),
              ...txData(receipt),
            },
            text: [text, txLine(receipt)],
          };
        }),
      );
  }

  role
    .command("show")
    .description("the roles an account holds now, and grants still waiting for their delay")
    .argument("<account>", "address or wallet name")
    .action(
      action(async (session, [accountInput]) => {
        const account = session.resolveAccount(accountInput ?? "", "account");
        const { contracts } = await session.chain();
        const held: string[] = [];
        const pending: { role: string; since: number }[] = [];
        for (const name of Object.keys(Roles) as RoleName[]) {
          const [isMember] = await contracts.authority.hasRole(Roles[name], account.address);
          if (isMember) {
            held.push(name);
            continue;
          }
          const [since] = await contracts.authority.getAccess(Roles[name], account.address);
          if (since > 0n) pending.push({ role: name, since: Number(since) });
        }
        return {
          data: { account: account.address, roles: held, pending },
          text: [
            `${named(account.address, account.name)} holds ${held.length ? held.join(", ") : "no role"}.`,
            ...pending.map((p) => `${p.role}: granted, effective at ${new Date(p.since * 1000).toISOString()}.`),
          ],
        };
      }),
    );
}
