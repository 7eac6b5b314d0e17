import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { stringify } from "csv-stringify";
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { DomainError } from "../../sdk/errors";
import { INDEXER_ERRORS, indexerError } from "../errors";

/**
 * CSV export of any list of the GraphQL API: `GET /export.csv?query=…&variables=…` or `POST
 * /export.csv` with `{ query, variables, operationName }`. The query runs through the same yoga
 * instance with the caller's request headers (so access control applies as it does at /graphql). It
 * must select exactly one connection (a field of a `…Connection` type, not inside a list) with
 * `edges { node { … } }`; the exporter pages it to the end through `after` (it passes its own
 * variable, so `after` in the query is only the first page's cursor), asks for `pageInfo` and
 * `totalCount` itself, and asks for 1,000 rows a page unless the query gives `first`. Each node is
 * one row: nested objects become `a.b` columns, lists are JSON, null is an empty cell; the header row
 * names the columns in the order of the query. UTF-8 with a BOM (spreadsheets read it as UTF-8).
 *
 * Errors before the first row (a bad request, a query without one connection, any GraphQL error of
 * the first page, more rows than the cap) are a JSON `{ error: { code, message } }` with a 4xx status;
 * an error on a later page aborts the download (the file is visibly incomplete, never silently short).
 */

export interface ExportOptions {
  /** The most rows one export may hold (default 1,000,000): a list with more is refused. */
  maxRows?: number;
  log?: Logger;
}

/** The page size the exporter asks for when the query gives no `first` (the API's maximum). */
export const EXPORT_PAGE_SIZE = 1000;
const AFTER_VARIABLE = "csvExportAfter";
const PAGE_INFO_ALIAS = "csvExportPageInfo";
const TOTAL_ALIAS = "csvExportTotal";
/** Request bodies above this are refused. */
const MAX_BODY = 1_000_000;

const STATUS_OF_KIND: Record<string, number> = {
  validation: 400,
  unauthorised: 403,
  not_found: 404,
  conflict: 409,
  retryable: 503,
  internal: 500,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any yoga instance (its context types do not matter here)
type AnyYoga = YogaServerInstance<any, any>;

interface ExportRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

interface Plan {
  /** The first page's query (with the count), and the next pages'. */
  document: DocumentNode;
  nextDocument: DocumentNode;
  /** Response keys from `data` to the connection. */
  path: string[];
  /** The connection field's name (the file name). */
  field: string;
  edgesKey: string;
  nodeKey: string;
  columns: string[];
  firstAfter: unknown;
  /** The variable the pages' cursors go through. */
  afterVariable: string;
  hasTotal: boolean;
}

/** A Node request handler for `/export.csv` over `yoga`. */
export function exportCsvHandler(
  yoga: AnyYoga,
  options: ExportOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const maxRows = options.maxRows ?? 1_000_000;
  return async (req, res) => {
    let started = false;
    try {
      const request = await readRequest(req);
      const schema = yoga.getEnveloped({}).schema as GraphQLSchema;
      const plan = planExport(schema, request);
      const headers = forwardedHeaders(req);
      // In-process: yoga.fetch never touches the network; the caller's Host plays no part.
      const url = `http://localhost${yoga.graphqlEndpoint}`;
      const queries = { first: print(plan.document), next: print(plan.nextDocument) };
      const page = async (after: unknown, first: boolean) => {
        const response = await yoga.fetch(
          url,
          {
            method: "POST",
            headers,
            body: JSON.stringify({
              query: first ? queries.first : queries.next,
              variables: { ...request.variables, [plan.afterVariable]: after },
              operationName: request.operationName,
            }),
          },
          { req },
        );
        let result: GraphQLResponse;
        try {
          result = (await response.json()) as GraphQLResponse;
        } catch {
          throw indexerError("EXPORT_QUERY_FAILED", `the GraphQL server answered ${response.status} without a result`);
        }
        return connectionOf(plan, result, first);
      };

      let current = await page(plan.firstAfter, true);
      if (current.total !== null && current.total > maxRows) {
        throw indexerError(
          "EXPORT_TOO_MANY_ROWS",
          `the list has ${current.total} rows, more than the ${maxRows} one export may hold: narrow it with where`,
          { rows: current.total, maxRows },
        );
      }
      res.writeHead(200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${plan.field}.csv"`,
        "cache-control": "no-store",
      });
      started = true;
      const closed = once(res, "close").catch(() => undefined);
      const csv = stringify({ bom: true, header: true, columns: plan.columns });
      // A client that goes away ends the export (below); its stream errors are not the server's.
      res.on("error", (err) => options.log?.debug({ err }, "CSV export: the client went away"));
      csv.on("error", (err) => res.destroy(err));
      csv.pipe(res);
      let rows = 0;
      for (;;) {
        for (const node of current.nodes) {
          if (rows >= maxRows || res.destroyed) break;
          rows++;
          // Back-pressure: wait for the client to read, or to go away.
          if (!csv.write(flatten(node, plan.columns)))
            await Promise.race([once(csv, "drain").catch(() => undefined), closed]);
        }
        const next = current.endCursor;
        if (!current.hasNextPage || next === null || rows >= maxRows || res.destroyed) break;
        current = await page(next, false);
        if (current.endCursor === next) break;
      }
      csv.end();
      await Promise.race([once(res, "finish").catch(() => undefined), closed]);
    } catch (err) {
      if (started) {
        options.log?.warn({ err }, "CSV export aborted after its first page");
        res.destroy(err as Error);
        return;
      }
      sendError(res, err, options.log);
    }
  };
}

// ── the request ──────────────────────────────────────────────────────────────────────────────────

async function readRequest(req: IncomingMessage): Promise<ExportRequest> {
  let raw: Record<string, unknown>;
  if (req.method === "GET") {
    const params = new URL(req.url ?? "/", "http://localhost").searchParams;
    raw = { query: params.get("query"), operationName: params.get("operationName") ?? undefined };
    const variables = params.get("variables");
    if (variables !== null && variables !== "") raw.variables = parseJson(variables, "variables");
  } else if (req.method === "POST") {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw indexerError("EXPORT_BAD_REQUEST", `the request body is over ${MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
    const body = parseJson(Buffer.concat(chunks).toString("utf8"), "the request body");
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      throw indexerError("EXPORT_BAD_REQUEST", "the request body must be a JSON object { query, variables }");
    }
    raw = body as Record<string, unknown>;
  } else {
    throw indexerError("EXPORT_BAD_REQUEST", `${req.method ?? "this method"} is not supported: use GET or POST`);
  }
  if (typeof raw.query !== "string" || raw.query.trim() === "") {
    throw indexerError("EXPORT_BAD_REQUEST", "give the GraphQL query to export as `query`");
  }
  const variables = raw.variables ?? {};
  if (!variables || typeof variables !== "object" || Array.isArray(variables)) {
    throw indexerError("EXPORT_BAD_REQUEST", "`variables` must be a JSON object");
  }
  if (raw.operationName !== undefined && raw.operationName !== null && typeof raw.operationName !== "string") {
    throw indexerError("EXPORT_BAD_REQUEST", "`operationName` must be a string");
  }
  return {
    query: raw.query,
    variables: variables as Record<string, unknown>,
    operationName: (raw.operationName as string | null | undefined) ?? undefined,
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw indexerError("EXPORT_BAD_REQUEST", `${what} is not valid JSON`);
  }
}

/** The caller's headers, for the GraphQL request (not those of the body or the connection). */
function forwardedHeaders(req: IncomingMessage): Headers {
  const skip = new Set([
    "host",
    "content-length",
    "content-type",
    "accept",
    "accept-encoding",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "expect",
    "upgrade",
  ]);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (skip.has(name) || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  headers.set("content-type", "application/json");
  headers.set("accept", "application/json");
  return headers;
}

// ── the plan: which connection, which columns ────────────────────────────────────────────────────

interface Found {
  node: FieldNode;
  path: string[];
  throughList: boolean;
  type: GraphQLCompositeType;
}

const keyOf = (f: FieldNode) => f.alias?.value ?? f.name.value;

function isConnection(type: GraphQLCompositeType): boolean {
  if (!isObjectType(type) || !type.name.endsWith("Connection")) return false;
  const fields = type.getFields();
  return "edges" in fields && "pageInfo" in fields;
}

function planExport(schema: GraphQLSchema, request: ExportRequest): Plan {
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (err) {
    throw indexerError("GRAPHQL_PARSE_FAILED", (err as Error).message);
  }
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = request.operationName
    ? operations.find((o) => o.name?.value === request.operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) {
    throw indexerError(
      "EXPORT_BAD_REQUEST",
      request.operationName
        ? `the query has no operation named ${request.operationName}`
        : "the query must hold one operation, or name one with operationName",
    );
  }
  if (operation.operation !== "query") {
    throw indexerError("EXPORT_BAD_REQUEST", `only a query can be exported, not a ${operation.operation}`);
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const found: Found[] = [];
  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType, path: string[], throughList: boolean) => {
    for (const s of set.selections) {
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const t = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        if (t && isCompositeType(t)) walk(s.selectionSet, t, path, throughList);
      } else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        const t = f && schema.getType(f.typeCondition.name.value);
        if (f && t && isCompositeType(t)) walk(f.selectionSet, t, path, throughList);
      } else if (s.selectionSet && "getFields" in parent) {
        const def = parent.getFields()[s.name.value];
        if (!def) continue;
        const type = getNamedType(def.type);
        if (!isCompositeType(type)) continue;
        const list = throughList || isListType(getNullableType(def.type));
        if (isConnection(type)) found.push({ node: s, path: [...path, keyOf(s)], throughList: list, type });
        else walk(s.selectionSet, type, [...path, keyOf(s)], list);
      }
    }
  };
  const root = schema.getQueryType();
  if (root) walk(operation.selectionSet, root, [], false);
  if (found.length === 0) {
    throw indexerError(
      "EXPORT_NO_CONNECTION",
      "the query selects no list: select one connection with edges { node { … } } (e.g. surrenders, transfers)",
    );
  }
  if (found.length > 1) {
    throw indexerError(
      "EXPORT_AMBIGUOUS_CONNECTION",
      `the query selects ${found.length} lists (${found.map((f) => f.path.join(".")).join(", ")}): export one at a time`,
    );
  }
  const target = found[0]!;
  if (target.throughList) {
    throw indexerError(
      "EXPORT_NO_CONNECTION",
      `${target.path.join(".")} is inside a list: export a connection reached through single objects only`,
    );
  }
  const connType = target.type as Extract<GraphQLCompositeType, { getFields: unknown }>;
  const edgesField = target.node.selectionSet!.selections.find(
    (s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === "edges",
  );
  const edgeType = edgesField && getNamedType(connType.getFields().edges!.type);
  const nodeField = edgesField?.selectionSet?.selections.find(
    (s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === "node" && !!s.selectionSet,
  );
  if (!edgesField || !nodeField || !edgeType || !isObjectType(edgeType)) {
    throw indexerError("EXPORT_NO_CONNECTION", `select the rows of ${target.path.join(".")} as edges { node { … } }`);
  }
  const nodeType = getNamedType(edgeType.getFields().node!.type);
  const columns: string[] = [];
  if (isCompositeType(nodeType)) collectColumns(schema, fragments, nodeField.selectionSet!, nodeType, "", columns);
  if (columns.length === 0) throw indexerError("EXPORT_NO_CONNECTION", "select at least one field of node");

  // The connection field, with our `after`, `first` if absent, pageInfo and totalCount.
  const args = [...(target.node.arguments ?? [])];
  const given = args.find((a) => a.name.value === "after");
  let firstAfter: unknown = null;
  // `after: $x` in the query: the pages go through $x; otherwise through a variable of our own.
  let afterVariable = AFTER_VARIABLE;
  if (given?.value.kind === Kind.STRING) firstAfter = given.value.value;
  else if (given?.value.kind === Kind.VARIABLE) {
    afterVariable = given.value.name.value;
    firstAfter = request.variables[afterVariable] ?? null;
  }
  const newArgs = args.filter((a) => a.name.value !== "after");
  newArgs.push({
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: "after" },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: afterVariable } },
  });
  if (!newArgs.some((a) => a.name.value === "first")) {
    newArgs.push({
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: "first" },
      value: { kind: Kind.INT, value: String(EXPORT_PAGE_SIZE) },
    });
  }
  const hasTotal = "totalCount" in connType.getFields();
  const field = (name: string, alias?: string, selections?: FieldNode[]): FieldNode => ({
    kind: Kind.FIELD,
    name: { kind: Kind.NAME, value: name },
    ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
    ...(selections ? { selectionSet: { kind: Kind.SELECTION_SET, selections } } : {}),
  });
  /** The document with the connection rewritten; `counted`: with totalCount (the first page only). */
  const rewrite = (counted: boolean): DocumentNode => {
    const extra: FieldNode[] = [field("pageInfo", PAGE_INFO_ALIAS, [field("endCursor"), field("hasNextPage")])];
    if (hasTotal && counted) extra.push(field("totalCount", TOTAL_ALIAS));
    // Later pages need no count: the query's own totalCount is dropped from them too.
    const own = target.node.selectionSet!.selections.filter(
      (s) => counted || s.kind !== Kind.FIELD || s.name.value !== "totalCount",
    );
    const rewritten: FieldNode = {
      ...target.node,
      arguments: newArgs,
      selectionSet: { ...target.node.selectionSet!, selections: [...own, ...extra] },
    };
    const replace = (set: SelectionSetNode): SelectionSetNode => ({
      ...set,
      selections: set.selections.map((s) => {
        if (s === target.node) return rewritten;
        if ((s.kind === Kind.FIELD || s.kind === Kind.INLINE_FRAGMENT) && s.selectionSet) {
          return { ...s, selectionSet: replace(s.selectionSet) };
        }
        return s;
      }),
    });
    const definitions = document.definitions.map((d) => {
      if (d === operation) {
        const variables = [...(operation.variableDefinitions ?? [])];
        if (!variables.some((v) => v.variable.name.value === afterVariable)) {
          variables.push({
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: afterVariable } },
            type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: "String" } },
          });
        }
        return { ...operation, variableDefinitions: variables, selectionSet: replace(operation.selectionSet) };
      }
      if (d.kind === Kind.FRAGMENT_DEFINITION) return { ...d, selectionSet: replace(d.selectionSet) };
      return d;
    });
    return { ...document, definitions };
  };
  return {
    document: rewrite(true),
    nextDocument: rewrite(false),
    path: target.path,
    field: target.node.name.value,
    edgesKey: keyOf(edgesField),
    nodeKey: keyOf(nodeField),
    columns,
    firstAfter,
    afterVariable,
    hasTotal,
  };
}

/** The columns of a node's selection: `a`, `a.b` for nested objects; a list is one column (JSON). */
function collectColumns(
  schema: GraphQLSchema,
  fragments: Map<string, FragmentDefinitionNode>,
  set: SelectionSetNode,
  parent: GraphQLCompositeType,
  prefix: string,
  out: string[],
): void {
  for (const s of set.selections) {
    if (s.kind === Kind.INLINE_FRAGMENT) {
      const t = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
      if (t && isCompositeType(t)) collectColumns(schema, fragments, s.selectionSet, t, prefix, out);
    } else if (s.kind === Kind.FRAGMENT_SPREAD) {
      const f = fragments.get(s.name.value);
      const t = f && schema.getType(f.typeCondition.name.value);
      if (f && t && isCompositeType(t)) collectColumns(schema, fragments, f.selectionSet, t, prefix, out);
    } else {
      const name = prefix + keyOf(s);
      const def = "getFields" in parent ? parent.getFields()[s.name.value] : undefined;
      const type = def && getNamedType(def.type);
      if (s.selectionSet && def && type && isCompositeType(type) && !isListType(getNullableType(def.type))) {
        collectColumns(schema, fragments, s.selectionSet, type, `${name}.`, out);
      } else if (!out.includes(name)) {
        out.push(name);
      }
    }
  }
}

// ── the pages ────────────────────────────────────────────────────────────────────────────────────

interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; details?: unknown } }[];
}

interface Page {
  nodes: Record<string, unknown>[];
  endCursor: string | null;
  hasNextPage: boolean;
  total: number | null;
}

function connectionOf(plan: Plan, result: GraphQLResponse, counted: boolean): Page {
  if (result.errors?.length) {
    const first = result.errors[0]!;
    const details = { errors: result.errors.map((e) => ({ message: e.message, code: e.extensions?.code })) };
    const code = first.extensions?.code;
    if (!code) throw indexerError("EXPORT_QUERY_FAILED", first.message, details);
    throw new DomainError(code, first.message, kindOf(code), details);
  }
  let value: unknown = result.data;
  for (const key of plan.path) {
    if (value === null || value === undefined) break;
    value = (value as Record<string, unknown>)[key];
  }
  if (value === null || value === undefined) return { nodes: [], endCursor: null, hasNextPage: false, total: 0 };
  const conn = value as Record<string, unknown>;
  const edges = (conn[plan.edgesKey] as Record<string, unknown>[] | null) ?? [];
  const pageInfo = conn[PAGE_INFO_ALIAS] as { endCursor: string | null; hasNextPage: boolean };
  return {
    nodes: edges.map((e) => (e[plan.nodeKey] ?? {}) as Record<string, unknown>),
    endCursor: pageInfo.endCursor,
    hasNextPage: pageInfo.hasNextPage,
    total: plan.hasTotal && counted ? Number(conn[TOTAL_ALIAS]) : null,
  };
}

function kindOf(code: string): "validation" | "unauthorised" | "not_found" | "conflict" | "retryable" | "internal" {
  return (INDEXER_ERRORS as Record<string, { kind: string }>)[code]?.kind === undefined
    ? "validation"
    : ((INDEXER_ERRORS as Record<string, { kind: string }>)[code]!.kind as ReturnType<typeof kindOf>);
}

/** One node as a row of cells: nested values by dotted column, lists as JSON, null as empty. */
export function flatten(node: Record<string, unknown>, columns: readonly string[]): string[] {
  return columns.map((column) => {
    let v: unknown = node;
    for (const key of column.split(".")) {
      if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) {
        v = undefined;
        break;
      }
      v = (v as Record<string, unknown>)[key];
    }
    if (v === null || v === undefined) return "";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  });
}

function sendError(res: ServerResponse, err: unknown, log?: Logger): void {
  let code = "INTERNAL_ERROR";
  let message = "Unexpected error.";
  let details: unknown;
  if (err instanceof DomainError) {
    code = err.code;
    message = err.message;
    details = err.details && Object.keys(err.details).length ? err.details : undefined;
  } else if (err instanceof GraphQLError) {
    code = "GRAPHQL_VALIDATION_FAILED";
    message = err.message;
  } else {
    log?.error({ err }, "CSV export failed");
  }
  const status = STATUS_OF_KIND[kindOf(code)] ?? 400;
  const body = JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }, (_k, v) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(body);
}
