import type { Store } from "../../store/open";

/** What the indexer's own status adds to the database's (null fields when the sync runs elsewhere). */
export interface LiveStatus {
  head: number | null;
  nodeReachable: boolean;
  reorgs: number;
  confirmations: number;
}

export interface GraphQLContext {
  store: Store;
  status: () => LiveStatus;
}
