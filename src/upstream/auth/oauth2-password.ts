import { asRecord } from '../errors.js';
import { exchange, MASKED } from '../http.js';
import { basicHeader } from './basic.js';
import { CredentialCache, type Issued } from './credential-cache.js';
import { loginAnsweredByPage, loginError, missingCredentials } from './login-error.js';
import { withRetryAfter } from '../retry-after.js';
import type { AuthContext, AuthStrategy } from './types.js';

/**
 * OAuth2 resource-owner password grant (RFC 6749 §4.3): POST the token endpoint with
 * grant_type=password in a form body (never in the URL) and the client's Basic credentials, cache
 * the bearer and log in again when it expires or is refused (clients such as OpenLMIS's
 * `user-client` have no refresh grant). The connector gives the endpoint, the words for a refusal
 * and any extra field of the token answer it needs.
 */
export interface PasswordGrantCredentials {
  username?: string;
  password?: string;
  clientId: string;
  clientSecret?: string;
}

export interface IssuedToken extends Issued {
  /** Extra fields of the token answer the connector asked for (extras). */
  extras: Record<string, string | undefined>;
}

export interface PasswordGrantOptions {
  tokenPath: string;
  credentials: () => PasswordGrantCredentials;
  /** Diagnostics when no user is configured. */
  missing: string;
  /** Diagnostics when the login is refused, given the upstream's error code. */
  refused: (code: string, creds: PasswordGrantCredentials) => string;
  /** Fields of the token answer to keep (e.g. OpenLMIS's referenceDataUserId). */
  extras?: string[];
  /** The error code of a refused login's body; default the OAuth `error` field. */
  errorCode?: (body: unknown) => string | undefined;
  /** How expires_in counts: OpenLMIS's is an inactivity timeout ('sliding'). Default 'absolute'. */
  expiry?: 'sliding' | 'absolute';
  now?: () => number;
}

export interface PasswordGrantStrategy extends AuthStrategy {
  /** The cached token answer, logging in if needed. */
  token(ctx: AuthContext): Promise<IssuedToken>;
  /** What the last login gave, without logging in. */
  lastIssued(): IssuedToken | undefined;
}

const oauthError = (body: unknown): string | undefined => {
  const error = asRecord(body)?.error;
  return typeof error === 'string' ? error : undefined;
};

/** The token endpoint's refusals (RFC 6749 5.2). */
const OAUTH_REFUSALS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

async function passwordLogin(ctx: AuthContext, opts: PasswordGrantOptions): Promise<IssuedToken> {
  const creds = opts.credentials();
  if (!creds.username || !creds.password) throw missingCredentials(ctx.system, opts.missing, ctx.makeError);
  const form = new URLSearchParams({ grant_type: 'password', username: creds.username, password: creds.password });
  const res = await exchange(ctx.dispatcher, {
    system: ctx.system,
    method: 'POST',
    baseUrl: ctx.baseUrl,
    path: opts.tokenPath,
    timeoutMs: ctx.timeoutMs,
    makeError: ctx.makeError,
    headers: {
      authorization: basicHeader(creds.clientId, creds.clientSecret ?? ''),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
    recordedBody: `grant_type=password&username=${encodeURIComponent(creds.username)}&password=${MASKED}`,
    recordResponse: (body) => {
      const b = asRecord(body);
      if (!b || !('access_token' in b)) return body;
      return { ...b, access_token: MASKED, ...('refresh_token' in b ? { refresh_token: MASKED } : {}) };
    },
  });
  const body = asRecord(res.body);
  // RFC 6749 5.1 says 200, but a gateway may pass the token on as 201 or 203: the token is the
  // answer whatever the 2xx (read as a page, each attempt logged in again and was held)
  if (res.status >= 200 && res.status < 300 && typeof body?.access_token === 'string') {
    const expiresIn = Number(body.expires_in);
    const extras = Object.fromEntries(
      (opts.extras ?? []).map((k) => [k, typeof body[k] === 'string' && body[k] ? (body[k] as string) : undefined]),
    );
    return {
      value: body.access_token,
      extras,
      expiresInMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : undefined,
    };
  }
  // a page in place of the token JSON (a gateway's login form), or JSON without a token (its
  // maintenance JSON), says nothing about the credentials: a refusal is a 4xx {error} (RFC 6749
  // 5.2); read as one, a gateway's blip refused the login, and the writes, until reconfigured.
  // A 2xx carrying an OAuth error code is a refusal still (a server that answers every call 200):
  // read as a page, a wrong password was sent again and again, the failed logins counting up.
  // Only RFC 6749's codes: Spring's error JSON ({"error": "Bad Gateway"}) stays a page
  if (res.status >= 200 && res.status < 300 && !OAUTH_REFUSALS.has(oauthError(res.body) ?? ''))
    throw loginAnsweredByPage({
      system: ctx.system,
      status: res.status,
      login: 'the token endpoint',
      expected: 'the token JSON',
      answered: body ? "JSON without 'access_token'" : undefined,
      make: ctx.makeError,
    });
  throw withRetryAfter(
    loginError({
      system: ctx.system,
      status: res.status,
      code: (opts.errorCode ?? oauthError)(res.body),
      refused: (code) => opts.refused(code, creds),
      make: ctx.makeError,
    }),
    res,
  );
}

export function oauth2PasswordAuth(opts: PasswordGrantOptions): PasswordGrantStrategy {
  let loginCtx: AuthContext | undefined;
  const cache = new CredentialCache<IssuedToken>({
    login: () => passwordLogin(loginCtx!, opts),
    fingerprint: () => JSON.stringify(opts.credentials()),
    expiry: opts.expiry,
    now: opts.now,
  });
  const token = (ctx: AuthContext) => {
    loginCtx = ctx;
    return cache.get(ctx.signal); // the caller's signal ends only its own wait, not the shared login
  };
  return {
    token,
    lastIssued: () => cache.peek(),
    async authorize(ctx) {
      const issued = await token(ctx);
      return { headers: { authorization: `Bearer ${issued.value}` }, credential: issued.value };
    },
    refused(credential) {
      cache.refused(credential);
      return true;
    },
    reset: () => cache.reset(),
  };
}
