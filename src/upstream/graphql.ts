import {
  asRecord,
  decodeHttpError,
  defaultErrorFactory,
  malformedAnswer,
  answeredWhateverAsked,
  textReason,
  unknownWriteOutcome,
  type ErrorFactory,
  type ReasonDecoder,
  type UpstreamReason,
} from './errors.js';
import { exchange, MASKED, type RawResponse } from './http.js';
import type { UpstreamClient, UpstreamResponse } from './client.js';
import type { TransportSettings } from './pool.js';
import type { AuthContext } from './auth/types.js';
import { withRetryAfter } from './retry-after.js';

/**
 * A GraphQL exchange over the shared transport (client.ts), so a GraphQL upstream (Open mSupply)
 * gets pooling, bulkhead, auth, retries and recording like a REST one. A request is a POST of
 * `{query, variables, operationName}` (graphql.org "Serving over HTTP"). Failures come two ways
 * and both become UpstreamError: the spec's `errors[]` (validation, auth, resolver failures), and
 * errors modelled in the schema as union members inside `data` (Open mSupply's `XError { error {
 * __typename description } }`, found by a detector the connector can replace).
 */
export interface GraphQLOperation<K extends string = string> {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  credential?: K;
  /** Retry on transient failures? Default: yes for a query, no for a mutation. */
  retry?: boolean;
  signal?: AbortSignal;
  /** Variables shown masked in the recorded call (a login's password). */
  secretVariables?: string[];
  /** Paths in `data` (dot-separated) shown masked in the recorded answer (a login's token). */
  secretData?: string[];
}

export interface GraphQLErrorEntry {
  message?: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** An error found inside `data`: where it sits and the reason it gives. */
export interface DataError {
  path: string;
  reason: UpstreamReason;
}

export type DataErrorDetector = (data: unknown) => DataError[];

export interface GraphQLOptions {
  system: string;
  /** Default `/graphql`. */
  path?: string;
  /** Default: union members whose `__typename` ends in "Error", or objects with an `error` object. */
  findDataErrors?: DataErrorDetector;
  /** Which `errors[]` entries a retry may fix. Default: internal/server errors. */
  isTransientError?: (e: GraphQLErrorEntry) => boolean;
  makeError?: ErrorFactory;
}

function reasonIn(node: Record<string, unknown>): UpstreamReason {
  const inner = asRecord(node.error);
  const code = (inner?.__typename ?? node.__typename) as string | undefined;
  const text = inner?.description ?? inner?.message ?? node.description ?? node.message;
  return { code, message: typeof text === 'string' ? text : undefined };
}

/** Walks `data` for union-typed errors; does not descend into an error it found. */
export const typenameErrors: DataErrorDetector = (data) => {
  const found: DataError[] = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
    const node = asRecord(value);
    if (!node) return;
    const typename = typeof node.__typename === 'string' ? node.__typename : undefined;
    if ((typename && typename.endsWith('Error')) || (!typename && asRecord(node.error))) {
      found.push({ path, reason: reasonIn(node) });
      return;
    }
    for (const [k, v] of Object.entries(node)) if (k !== '__typename') walk(v, path ? `${path}.${k}` : k);
  };
  walk(data, '');
  return found;
};

const serverError = (e: GraphQLErrorEntry) =>
  /^internal (server )?error/i.test(e.message ?? '') ||
  ['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE'].includes(String(e.extensions?.code ?? ''));

/** Does an answer say the credential was refused (HTTP 401, or an "Unauthenticated" GraphQL error)? */
export function graphqlUnauthenticated(res: RawResponse): boolean {
  if (res.status === 401) return true;
  const errors = asRecord(res.body)?.errors;
  return (
    Array.isArray(errors) &&
    errors.some(
      (e: GraphQLErrorEntry) =>
        /^unauthenticated\b/i.test(e?.message ?? '') || e?.extensions?.code === 'UNAUTHENTICATED',
    )
  );
}

/** The reason of a non-GraphQL error answer (a proxy's 502, a 401): its first error's words, or its text. */
export const graphqlReason: ReasonDecoder = (body) => {
  const first = entriesOf(body)[0];
  return first
    ? { code: typeof first.extensions?.code === 'string' ? first.extensions.code : undefined, message: first.message }
    : textReason(body);
};

/**
 * Open mSupply's standard errors carry no code, only `details`: for a refusal it names, the
 * service error's variant (`format!("{error:#?}")` of a unit variant, e.g. LocationDoesNotExist:
 * server/graphql/core/src/standard_graphql_error.rs). Only a bare name is taken: other details
 * are free text.
 */
function variantOf(entry: GraphQLErrorEntry): string | undefined {
  const details = entry.extensions?.details;
  return typeof details === 'string' && /^[A-Z][A-Za-z]*$/.test(details) ? details : undefined;
}

function entriesOf(body: unknown): GraphQLErrorEntry[] {
  const errors = asRecord(body)?.errors;
  return Array.isArray(errors) ? errors.filter((e) => asRecord(e)) : [];
}

/**
 * A GraphQL answer → its `data`, or the UpstreamError it carries. An answer with neither (a
 * proxy's page, a body cut short) to a mutation leaves unknown whether the server applied it, as
 * a dropped connection does: transient, so the write's retry looks before writing again. To a
 * query, a page (or nothing) is transient too, since the write the query serves would otherwise
 * be refused on a proxy's blip; and so is JSON of another shape (malformedAnswer: the upstream's
 * fault, never the client's), said as such rather than as a blip.
 */
export function decodeGraphQLAnswer<T>(
  status: number,
  body: unknown,
  operation: string,
  opts: GraphQLOptions,
  kind: 'query' | 'mutation' = 'query',
): T {
  const make = opts.makeError ?? defaultErrorFactory;
  const errors = entriesOf(body);
  if (errors.length) {
    const transient = errors.some(opts.isTransientError ?? serverError);
    const first = errors[0];
    const code = typeof first.extensions?.code === 'string' ? first.extensions.code : variantOf(first);
    const words = errors
      .map((e) => [e.message, e.path?.length ? `at ${e.path.join('.')}` : ''].filter(Boolean).join(' '))
      .join('; ');
    throw make({
      system: opts.system,
      transient,
      upstreamStatus: status,
      status: transient ? 502 : 422,
      code: transient ? 'transient' : 'business-rule',
      diagnostics: `${operation} answered errors: ${words}`,
      reason: { code, message: first.message },
    });
  }
  const data = asRecord(body)?.data;
  if (data === undefined || data === null) {
    const page = !asRecord(body);
    const diagnostics = `${operation} answered neither data nor errors${page ? ' (a page or nothing, not JSON)' : ''}`;
    if (kind === 'mutation')
      throw unknownWriteOutcome({
        system: opts.system,
        make,
        upstreamStatus: status,
        diagnostics: `${diagnostics}: whether it was applied is looked up on the retry`,
      });
    // a proxy's page says nothing about the write a query serves: refused, the write would be dropped
    if (page)
      throw make({
        system: opts.system,
        transient: true,
        status: 502,
        code: 'transient',
        upstreamStatus: status,
        diagnostics: `${diagnostics}: asked again later`,
      });
    // JSON without GraphQL's envelope: a gateway's, not the server's word on this query
    throw answeredWhateverAsked(malformedAnswer(opts.system, diagnostics, make));
  }
  if (kind === 'mutation' && !answersEveryField(data))
    throw unknownWriteOutcome({
      system: opts.system,
      make,
      upstreamStatus: status,
      diagnostics: `${operation} answered no node: whether it was applied is looked up on the retry`,
    });
  const inData = (opts.findDataErrors ?? typenameErrors)(data);
  if (inData.length) {
    const first = inData[0].reason;
    throw make({
      system: opts.system,
      transient: false,
      upstreamStatus: status,
      status: 422,
      code: 'business-rule',
      reason: first,
      diagnostics: `${operation} refused: ${inData.map((e) => `${e.path}: ${[e.reason.code, e.reason.message].filter(Boolean).join(': ')}`).join('; ')}`,
    });
  }
  return data as T;
}

/**
 * Does a mutation's `data` answer each field asked? A GraphQL server answers every root field of a
 * document (null only beside errors[], handled above), and Open mSupply's mutations answer
 * non-null unions (a node or its typed error): `{}` or a null field without errors is a gateway's
 * rewrite or another server's answer, which says nothing of the write. Taken for done, the step
 * was journaled as applied and never made.
 */
function answersEveryField(data: unknown): boolean {
  const fields = Object.values(asRecord(data) ?? {});
  return fields.length > 0 && fields.every((v) => v !== null && v !== undefined);
}

function operationName(op: GraphQLOperation<string>): string {
  return op.operationName ?? /^\s*(query|mutation)\s+(\w+)/.exec(op.query)?.[2] ?? 'GraphQL operation';
}

/**
 * Whether the document may change data: any `mutation` word outside comments, not only a leading
 * one (a mutation after a comment or a fragment was taken for a read, and a read goes out before
 * the accept is on disk: accept-on-disk.ts). Erring towards a write costs only a wait.
 */
const isMutation = (query: string) => /\bmutation\b/.test(query.replace(/#[^\n\r]*/g, ''));

function maskPaths(value: unknown, paths: string[] | undefined): unknown {
  if (!paths?.length || !asRecord(value)) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const p of paths) {
    const keys = p.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const k of keys.slice(0, -1)) node = asRecord(node?.[k]);
    if (node && keys.at(-1)! in node) node[keys.at(-1)!] = MASKED;
  }
  return copy;
}

function payload(op: GraphQLOperation<string>) {
  return {
    query: op.query,
    variables: op.variables ?? {},
    ...(op.operationName ? { operationName: op.operationName } : {}),
  };
}

function recorded(op: GraphQLOperation<string>) {
  const p = payload(op);
  return op.secretVariables?.length ? { ...p, variables: maskPaths(p.variables, op.secretVariables) } : p;
}

const recordAnswer = (op: GraphQLOperation<string>) => (body: unknown) =>
  op.secretData?.length ? { ...asRecord(body), data: maskPaths(asRecord(body)?.data, op.secretData) } : body;

export interface GraphQLExchange<K extends string> {
  request<T>(op: GraphQLOperation<K>): Promise<T>;
}

/** GraphQL through a client: auth, bulkhead, retries and recording included. */
export function createGraphQLExchange<S extends TransportSettings, K extends string>(
  client: UpstreamClient<S, K>,
  opts: GraphQLOptions,
): GraphQLExchange<K> {
  return {
    async request<T>(op: GraphQLOperation<K>): Promise<T> {
      const name = operationName(op);
      let data: T | undefined;
      await client.send<unknown>({
        method: 'POST',
        path: opts.path ?? '/graphql',
        body: payload(op),
        credential: op.credential,
        signal: op.signal,
        // a query is a read: it ends with the delivery attempt it is made for (attempt-scope.ts)
        read: !isMutation(op.query),
        retry: op.retry ?? !isMutation(op.query),
        // GraphQL servers answer a malformed or invalid document with 400 and errors[]
        accept: [400],
        recordedBody: recorded(op),
        recordResponse: recordAnswer(op),
        decodeAnswer: (res: UpstreamResponse<unknown>) => {
          data = decodeGraphQLAnswer<T>(res.status, res.body, name, opts, isMutation(op.query) ? 'mutation' : 'query');
        },
      });
      return data as T;
    },
  };
}

/**
 * One GraphQL call without auth, bulkhead or retry, through an auth strategy's context: for the
 * login itself (Open mSupply's `authToken` query), which must not ask for a credential.
 */
export async function postGraphQL<T>(
  ctx: AuthContext,
  op: GraphQLOperation<string>,
  opts: Omit<GraphQLOptions, 'system'>,
): Promise<T> {
  const res = await exchange(ctx.dispatcher, {
    system: ctx.system,
    method: 'POST',
    baseUrl: ctx.baseUrl,
    path: opts.path ?? '/graphql',
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    makeError: ctx.makeError,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(payload(op)),
    recordedBody: recorded(op),
    recordResponse: recordAnswer(op),
  });
  const name = operationName(op);
  const full = { ...opts, system: ctx.system, makeError: opts.makeError ?? ctx.makeError };
  throwOnHttpFailure(res, ctx.system, opts.path ?? '/graphql', full.makeError);
  return decodeGraphQLAnswer<T>(res.status, res.body, name, full);
}

/**
 * A GraphQL POST answered with an HTTP failure (neither 2xx nor the 400 a GraphQL server answers
 * a bad query with, which decodeGraphQLAnswer reads) is decoded by its status as any call's is: a
 * failing server or proxy (502, 503 …) is an outage, transient; its body, errors[] or a page, is
 * no refusal. For the calls made outside the exchange (a login, a cookie refresh).
 */
export function throwOnHttpFailure(res: RawResponse, system: string, path: string, make?: ErrorFactory): void {
  if (res.status === 400 || (res.status >= 200 && res.status < 300)) return;
  throw withRetryAfter(
    decodeHttpError(res.status, res.body, { system, method: 'POST', path, reasonOf: graphqlReason, make }),
    res,
  );
}
