import { processRedactor } from '../../platform/redaction.js';
import type { Issued } from '../../upstream/auth/credential-cache.js';
import type { AuthContext } from '../../upstream/auth/types.js';
import { decodeGraphQLAnswer, throwOnHttpFailure } from '../../upstream/graphql.js';
import { exchange, MASKED } from '../../upstream/http.js';
import { makeMsupplyError } from './errors.js';
import { REFRESH_TOKEN } from './operations.js';

/**
 * Open mSupply's refresh token. `authToken` answers the bearer in its data and sets an HttpOnly
 * `refresh_token` cookie (2 h, rolling; doc/authentication.md); `query refreshToken` sent with
 * that cookie answers a new bearer and a new cookie (server/graphql/general/src/queries/
 * refresh_token.rs), or RefreshTokenError (NoRefreshTokenProvided, TokenExpired, NotARefreshToken,
 * InvalidToken, …). When the bearer is refused, the connector renews it this way first and logs in
 * with the password only when that fails: a busy mediator sends its password once, not hourly.
 * The cookie is kept in this process only; it is masked in recorded calls like every cookie, and
 * taught to the redactor, so an echo of it in any body or log line is masked too.
 */
const COOKIE = 'refresh_token';

/** The refresh_token value a response sets, if any. */
export function refreshCookieOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['set-cookie'];
  for (const line of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === COOKIE) {
      const value = pair.slice(eq + 1).trim();
      return value || undefined;
    }
  }
  return undefined;
}

/** One GraphQL call made by the login itself (no bearer), with the cookies it sends and gets. */
export async function graphqlWithCookies<T>(
  ctx: AuthContext,
  op: { query: string; variables?: Record<string, unknown>; recordedVariables?: Record<string, unknown> },
  name: string,
  cookie?: string,
): Promise<{ data: T; refresh?: string }> {
  const body = { query: op.query, variables: op.variables ?? {} };
  const res = await exchange(ctx.dispatcher, {
    system: ctx.system,
    method: 'POST',
    baseUrl: ctx.baseUrl,
    path: '/graphql',
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    makeError: ctx.makeError,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      ...(cookie ? { cookie: `${COOKIE}=${cookie}` } : {}),
    },
    body: JSON.stringify(body),
    recordedBody: { ...body, variables: op.recordedVariables ?? body.variables },
    // a token in the answer is a credential: never in the record
    recordResponse: (answer) =>
      JSON.parse(JSON.stringify(answer ?? null).replace(/"token":"[^"]*"/g, `"token":"${MASKED}"`)),
  });
  // a login answered by a failing server or proxy (502, 503 …) is an outage, as any call's is
  throwOnHttpFailure(res, ctx.system, '/graphql', makeMsupplyError);
  const data = decodeGraphQLAnswer<T>(res.status, res.body, name, {
    system: ctx.system,
    makeError: makeMsupplyError,
    findDataErrors: () => [],
  });
  return { data, refresh: refreshCookieOf(res.headers) };
}

interface RefreshAnswer {
  refreshToken: { __typename: 'RefreshToken'; token: string } | { __typename: 'RefreshTokenError' };
}

/** The refresh cookie of the current credentials, and the renewal that uses it. */
export class RefreshSession {
  private cookie?: string;
  private owner?: string;
  /** Renewals that gave a bearer, for tests and the operator. */
  renewals = 0;

  keep(fingerprint: string, cookie: string | undefined): void {
    this.owner = fingerprint;
    this.cookie = cookie;
    // it buys bearers for two hours: masked wherever an upstream or a proxy echoes it, like the bearer
    if (cookie) processRedactor.learnEphemeral(cookie);
  }

  /** A new bearer from the refresh cookie, or undefined (none kept, refused, or any failure). */
  async renew(ctx: AuthContext, fingerprint: string): Promise<Issued | undefined> {
    const cookie = this.owner === fingerprint ? this.cookie : undefined;
    this.cookie = undefined; // used once: a rotated one comes back with the answer
    if (!cookie) return undefined;
    try {
      const { data, refresh } = await graphqlWithCookies<RefreshAnswer>(
        ctx,
        { query: REFRESH_TOKEN },
        'refreshToken',
        cookie,
      );
      if (data.refreshToken.__typename !== 'RefreshToken' || !data.refreshToken.token) return undefined;
      this.keep(fingerprint, refresh ?? cookie);
      this.renewals++;
      return { value: data.refreshToken.token };
    } catch {
      // the login that follows says what is wrong, with the typed error an operator can act on
      return undefined;
    }
  }
}
