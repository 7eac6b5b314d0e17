/**
 * The connected wallet: a keystore file unlocked in the browser (the key never leaves the page)
 * or an injected EIP-1193 wallet such as MetaMask. Also what the chain says about it: its registry
 * account and entity, and which of the scheme's roles it holds. The regulator's indexer session
 * (Sign-In with Ethereum) lives here too, in memory only.
 */
import { BrowserProvider, Wallet, getAddress, type Eip1193Provider, type Signer } from "ethers";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { loginToIndexer } from "../../../../sdk/indexer-login";
import { accountStatus } from "../../../../sdk/preflight";
import { Roles } from "../../../../sdk/roles";
import type { Chain } from "../lib/chain";
import { webError } from "../lib/errors";

declare global {
  interface Window {
    ethereum?: Eip1193Provider & {
      on?: (event: string, handler: (...args: unknown[]) => void) => void;
      removeListener?: (event: string, handler: (...args: unknown[]) => void) => void;
    };
  }
}

export interface ConnectedWallet {
  kind: "keystore" | "injected";
  address: string;
  signer: Signer;
  account: { status: string; entityId: bigint };
  entityName?: string;
  roles: { regulator: boolean; verifier: boolean; auditor: boolean; operator: boolean };
}

interface WalletState {
  chain: Chain;
  wallet?: ConnectedWallet;
  connectKeystore(json: string, password: string, onProgress?: (p: number) => void): Promise<void>;
  connectInjected(): Promise<void>;
  switchInjectedChain(): Promise<void>;
  disconnect(): void;
  /** Re-reads the account and roles (after a registration or role change). */
  refresh(): Promise<void>;
  /** The indexer session of a regulator or auditor wallet, opened on first use. */
  indexerToken(): Promise<string>;
  hasIndexerSession: boolean;
}

const WalletContext = createContext<WalletState | undefined>(undefined);

export function useWallet(): WalletState {
  const v = useContext(WalletContext);
  if (!v) throw new Error("useWallet outside WalletProvider");
  return v;
}

/** The connected wallet, or an error for a page that needs one (callers render a prompt instead). */
export function useConnected(): ConnectedWallet | undefined {
  return useWallet().wallet;
}

async function describe(chain: Chain, kind: ConnectedWallet["kind"], signer: Signer): Promise<ConnectedWallet> {
  const address = getAddress(await signer.getAddress());
  const { authority, registry } = chain.contracts;
  const role = async (id: bigint) => (await authority.hasRole(id, address))[0];
  const [account, regulator, verifier, auditor, operator] = await Promise.all([
    accountStatus(registry, address),
    role(Roles.REGULATOR),
    role(Roles.VERIFIER),
    role(Roles.AUDITOR),
    role(Roles.REGISTRY_OPERATOR),
  ]);
  let entityName: string | undefined;
  if (account.status !== "none" && account.entityId > 0n) {
    entityName = (await registry.entityOf(account.entityId)).name;
  }
  return { kind, address, signer, account, entityName, roles: { regulator, verifier, auditor, operator } };
}

export function WalletProvider({ chain, children }: { chain: Chain; children: ReactNode }) {
  const [wallet, setWallet] = useState<ConnectedWallet>();
  const [session, setSession] = useState<{ address: string; token: string; expiresAt: number }>();

  const connectKeystore = useCallback(
    async (json: string, password: string, onProgress?: (p: number) => void) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        throw webError("KEYSTORE_INVALID", "The file is not a keystore (JSON) file.");
      }
      if (!parsed || typeof parsed !== "object" || !("crypto" in parsed || "Crypto" in parsed)) {
        throw webError("KEYSTORE_INVALID", "The file is not an encrypted keystore (no `crypto` section).");
      }
      let w: Wallet;
      try {
        w = (await Wallet.fromEncryptedJson(json, password, onProgress)) as Wallet;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (/password/i.test(msg)) throw webError("WRONG_PASSWORD", "The password does not unlock this keystore.");
        throw webError("KEYSTORE_INVALID", `The keystore cannot be read: ${msg}`);
      }
      const signer = w.connect(chain.provider);
      setWallet(await describe(chain, "keystore", signer));
    },
    [chain],
  );

  const connectInjected = useCallback(async () => {
    const eth = window.ethereum;
    if (!eth) {
      throw webError(
        "NO_INJECTED_WALLET",
        "No browser wallet was found. Install one (such as MetaMask) or use a keystore file.",
      );
    }
    const provider = new BrowserProvider(eth);
    await provider.send("eth_requestAccounts", []);
    const network = await provider.getNetwork();
    if (network.chainId !== BigInt(chain.config.chainId)) {
      throw webError(
        "WRONG_CHAIN",
        `The wallet is on chain ${network.chainId}, but this scheme runs on chain ${chain.config.chainId}. Switch the wallet's network.`,
      );
    }
    const signer = await provider.getSigner();
    setWallet(await describe(chain, "injected", signer));
  }, [chain]);

  const switchInjectedChain = useCallback(async () => {
    const eth = window.ethereum;
    if (!eth) return;
    const chainIdHex = `0x${chain.config.chainId.toString(16)}`;
    try {
      await eth.request({ method: "wallet_switchEthereumChain", params: [{ chainId: chainIdHex }] });
    } catch (err) {
      if ((err as { code?: number }).code !== 4902) throw err;
      await eth.request({
        method: "wallet_addEthereumChain",
        params: [
          {
            chainId: chainIdHex,
            chainName: "ETS Ledger",
            rpcUrls: [new URL("/rpc", window.location.origin).href],
            nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          },
        ],
      });
    }
  }, [chain]);

  // An injected wallet that changes account or chain is disconnected: the page never acts for
  // an account the person did not choose here.
  useEffect(() => {
    const eth = window.ethereum;
    if (!eth?.on || wallet?.kind !== "injected") return;
    const drop = () => setWallet(undefined);
    eth.on("accountsChanged", drop);
    eth.on("chainChanged", drop);
    return () => {
      eth.removeListener?.("accountsChanged", drop);
      eth.removeListener?.("chainChanged", drop);
    };
  }, [wallet]);

  const disconnect = useCallback(() => {
    setWallet(undefined);
    setSession(undefined);
  }, []);

  const refresh = useCallback(async () => {
    if (wallet) setWallet(await describe(chain, wallet.kind, wallet.signer));
  }, [chain, wallet]);

  const indexerToken = useCallback(async () => {
    if (!wallet) throw webError("WALLET_NOT_CONNECTED", "Connect a wallet first.");
    if (session && session.address === wallet.address && session.expiresAt > Date.now() + 30_000) return session.token;
    const s = await loginToIndexer(window.location.origin, wallet.signer, {
      chainId: chain.config.chainId,
      statement: "Sign in to the ETS Ledger portal's explorer.",
    });
    setSession({ address: wallet.address, token: s.token, expiresAt: Date.parse(s.expiresAt) });
    return s.token;
  }, [chain, wallet, session]);

  const value = useMemo<WalletState>(
    () => ({
      chain,
      wallet,
      connectKeystore,
      connectInjected,
      switchInjectedChain,
      disconnect,
      refresh,
      indexerToken,
      hasIndexerSession: Boolean(session && wallet && session.address === wallet.address),
    }),
    [chain, wallet, connectKeystore, connectInjected, switchInjectedChain, disconnect, refresh, indexerToken, session],
  );
  return <WalletContext.Provider value={value}>{children}</WalletContext.Provider>;
}
