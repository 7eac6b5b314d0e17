/** What the portal's server says about the chain and the services behind it (`/config.json`). */
export interface PortalConfig {
  chainId: number;
  deploymentBlock: number;
  contracts: {
    Authority: string;
    ParticipantRegistry: string;
    TransferRules: string;
    AllowanceToken: string;
    OffsetToken: string;
    CashToken: string;
    Allocation: string;
    EmissionsReporting: string;
    Compliance: string;
    ReserveSales: string;
    Clearing?: string;
  };
  accounts: Record<string, string>;
  exchange: boolean;
  indexer: boolean;
}

export async function loadPortalConfig(): Promise<PortalConfig> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`the portal's configuration is not available (HTTP ${res.status})`);
  return (await res.json()) as PortalConfig;
}
