/**
 * Role ids of the scheme's AccessManager — the same numbers as `contracts/access/Roles.sol`.
 * Role 0 is the AccessManager's ADMIN_ROLE.
 */
export const Roles = {
  ADMIN: 0n,
  REGULATOR: 1n,
  REGISTRY_OPERATOR: 2n,
  VERIFIER: 3n,
  EXCHANGE: 4n,
  CLEARING_BANK: 5n,
  OFFSET_REGISTRAR: 6n,
  ENFORCEMENT: 7n,
  RECOVERY: 8n,
  ALLOWANCE_MINTER: 10n,
  ALLOWANCE_BURNER: 11n,
  OFFSET_BURNER: 12n,
  REGISTRY_CONTRACT: 13n,
  COMPLIANCE_CONTRACT: 14n,
  RESERVE_SALES: 15n,
  /** Read-only supervision: granted to no function; opens the indexer's entity-level data. */
  AUDITOR: 16n,
} as const;

export type RoleName = keyof typeof Roles;

/** The AccessManager's PUBLIC_ROLE: anyone. */
export const PUBLIC_ROLE = 2n ** 64n - 1n;

export function roleName(id: bigint): RoleName | "PUBLIC" | `ROLE_${string}` {
  if (id === PUBLIC_ROLE) return "PUBLIC";
  const entry = Object.entries(Roles).find(([, v]) => v === id);
  return entry ? (entry[0] as RoleName) : `ROLE_${id}`;
}
