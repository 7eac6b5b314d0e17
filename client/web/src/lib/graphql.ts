import { ServiceError, webError } from "./errors";

/** One GraphQL request to the indexer behind `/graphql`; the first error becomes a ServiceError. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ServiceError("INDEXER_UNREACHABLE", "The indexer cannot be reached; try again in a moment.");
  }
  const body = (await res.json().catch(() => undefined)) as
    | {
        data?: T;
        errors?: { message: string; extensions?: { code?: string } }[];
        error?: { code: string; message: string };
      }
    | undefined;
  if (body?.error) throw new ServiceError(body.error.code, body.error.message);
  const first = body?.errors?.[0];
  if (first) throw new ServiceError(first.extensions?.code ?? "GRAPHQL_ERROR", first.message);
  if (!res.ok || !body?.data) throw webError("INDEXER_BAD_RESPONSE", `The indexer answered HTTP ${res.status}.`);
  return body.data;
}

/** Downloads `/export.csv` for a query (the session applies) and saves it as a file. */
export async function downloadCsv(query: string, variables: Record<string, unknown>, token: string, name: string) {
  const url = `/export.csv?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    throw new ServiceError(body?.error?.code ?? "EXPORT_FAILED", body?.error?.message ?? `HTTP ${res.status}`);
  }
  const blob = await res.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
