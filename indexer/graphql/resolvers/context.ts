import type { AuthContext } from "../../auth/restricted";
import type { ReconcileResult } from "../../reconcile";
import type { Store } from "../../store/open";

/** What the indexer's own status adds to the database's (null fields when the sync runs elsewhere). */
export interface LiveStatus {
  head: number | null;
  nodeReachable: boolean;
  /** Unix seconds when the node last answered the head. */
  headSeenAt: number | null;
  reorgs: number;
  confirmations: number;
}

export interface GraphQLContext extends AuthContext {
  store: Store;
  status: () => LiveStatus;
  /** Reconciles the store with the chain at a block (default: the last indexed). */
  reconcile: (block?: bigint) => Promise<ReconcileResult>;
}
