import { createUpstreamClient, type UpstreamClient } from '../../upstream/client.js';
import { createGraphQLExchange, type GraphQLOperation } from '../../upstream/graphql.js';
import { msupplyAuth } from './auth.js';
import { MSUPPLY } from './identifiers.js';
import { decodeMsupplyHttpError, makeMsupplyError, refineGraphQLError } from './errors.js';
import type { MsupplySettings } from './settings.js';

/**
 * The Open mSupply client: the shared transport (pool, deadline, bulkhead, bearer login with one
 * re-login on "Unauthenticated", retries of queries on transient failures, call recording) and
 * its GraphQL exchange, on `POST {baseUrl}/graphql` (server/graphql/lib.rs `attach_graphql_schema`).
 */
export interface MsupplyClient {
  request<T>(op: GraphQLOperation<string>): Promise<T>;
  upstream: UpstreamClient<MsupplySettings>;
  reconfigure(next: MsupplySettings): void;
  close(): Promise<void>;
}

export interface MsupplyClientOptions {
  retries?: number;
  retryDelayMs?: number;
  /** The clock of the login refusal hold (auth.ts); tests move it. */
  now?: () => number;
}

export function createMsupplyClient(
  settings: () => MsupplySettings,
  options: MsupplyClientOptions = {},
): MsupplyClient {
  const upstream = createUpstreamClient<MsupplySettings>({
    system: MSUPPLY,
    settings,
    auth: (current) => msupplyAuth(current, undefined, options.now),
    decodeError: decodeMsupplyHttpError,
    makeError: makeMsupplyError,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
  });
  const graphql = createGraphQLExchange(upstream, { system: MSUPPLY, makeError: makeMsupplyError });
  return {
    async request<T>(op: GraphQLOperation<string>): Promise<T> {
      try {
        return await graphql.request<T>(op);
      } catch (err) {
        throw refineGraphQLError(err);
      }
    },
    upstream,
    reconfigure: (next) => upstream.reconfigure(next),
    close: () => upstream.close(),
  };
}
