/**
 * The regulator's indexer session, shared by every tab: one Sign-In with Ethereum for all the
 * restricted queries of the area (concurrent first queries wait for the same sign-in), renewed
 * before it expires.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, type ReactNode } from "react";
import { downloadCsv, gql } from "../../lib/graphql";
import { useWallet } from "../../wallet/WalletContext";

interface RegulatorSession {
  /** A GraphQL query with the session's bearer token (restricted fields allowed). */
  query<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Downloads a list as CSV through `/export.csv` with the session. */
  exportCsv(query: string, variables: Record<string, unknown>, file: string): Promise<void>;
}

const Ctx = createContext<RegulatorSession | undefined>(undefined);

/** Sessions are renewed after this long (the indexer's own lifetime is longer). */
const RENEW_MS = 10 * 60_000;

export function RegulatorSessionProvider({ children }: { children: ReactNode }) {
  const { indexerToken, wallet } = useWallet();
  const cached = useRef<{ address: string; at: number; token: Promise<string> }>(undefined);
  // The latest sign-in function (its identity changes once a session opens). The provider is keyed by
  // the wallet's address, so a stale one still signs in the same wallet.
  const tokenRef = useRef(indexerToken);
  useEffect(() => {
    tokenRef.current = indexerToken;
  }, [indexerToken]);
  const address = wallet?.address ?? "";

  const token = useCallback((): Promise<string> => {
    const c = cached.current;
    if (c && c.address === address && Date.now() - c.at < RENEW_MS) return c.token;
    const fresh = tokenRef.current();
    cached.current = { address, at: Date.now(), token: fresh };
    fresh.catch(() => {
      if (cached.current?.token === fresh) cached.current = undefined;
    });
    return fresh;
  }, [address]);

  const value = useMemo<RegulatorSession>(
    () => ({
      query: async <T,>(q: string, variables: Record<string, unknown> = {}) => gql<T>(q, variables, await token()),
      exportCsv: async (q, variables, file) => downloadCsv(q, variables, await token(), file),
    }),
    [token],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useRegulatorSession(): RegulatorSession {
  const v = useContext(Ctx);
  if (!v) throw new Error("useRegulatorSession outside RegulatorSessionProvider");
  return v;
}
