import type { Dispatcher } from 'undici';
import { LmisError, LMIS, isTransientStatus, reasonOf } from './errors.js';
import { exchange } from './http.js';
import type { OpenLmisSettings, TokenKind } from './api.js';
import { processRedactor } from '../../platform/redaction.js';

/**
 * Credentials for OpenLMIS calls (reference §1). The user token comes from the OAuth2 password
 * grant with the client's Basic credentials; it is cached and renewed by logging in again (the
 * `user-client` has no refresh grant). Concurrent callers share one login (single flight), so a
 * token expiry under load costs one login, not N. The "service" credential is the API key when
 * one is configured (it never expires) and otherwise the user token.
 */
export interface TokenSource {
  /** A bearer token for this kind of call, logging in if needed. */
  get(kind: TokenKind): Promise<string>;
  /**
   * The upstream refused `token` (401): forget it if it is still the cached one, so the next `get`
   * logs in again. Returns false when the refused credential cannot be renewed (an API key).
   */
  refused(kind: TokenKind, token: string): boolean;
  /** Forget every token (credentials or base URL changed). */
  reset(): void;
  /**
   * The integration user's OpenLMIS user id (referenceDataUserId of the token answer), logging in
   * if needed; undefined when the server does not send it. Requisitions record their author by it.
   */
  userId(): Promise<string | undefined>;
}

interface CachedToken {
  token: string;
  userId?: string;
  /** OpenLMIS expiry is an inactivity timeout: valid while used within expiresInMs of the last use. */
  expiresInMs?: number;
  lastUsed: number;
}

/** Renew a little before the server would forget the token, to save a 401 round trip. */
const EXPIRY_MARGIN_MS = 5_000;

export function createTokenSource(settings: () => OpenLmisSettings, dispatcher: () => Dispatcher, now: () => number = Date.now): TokenSource {
  let cached: CachedToken | undefined;
  let pending: Promise<string> | undefined;
  // bumped by reset(): a login started with old credentials must not fill the cache afterwards
  let generation = 0;
  // the user the last login was for: a token answer without referenceDataUserId leaves it unknown
  let lastUserId: string | undefined;

  const fresh = (t: CachedToken | undefined): t is CachedToken =>
    !!t && (t.expiresInMs === undefined || now() - t.lastUsed < t.expiresInMs - EXPIRY_MARGIN_MS);

  const userToken = (): Promise<string> => {
    if (fresh(cached)) {
      cached.lastUsed = now();
      return Promise.resolve(cached.token);
    }
    if (pending) return pending;
    const mine = generation;
    pending = login(settings(), dispatcher())
      .then((t) => {
        // an upstream may echo our token in an error body: mask it wherever the mediator emits text
        processRedactor.learnEphemeral(t.token);
        if (mine === generation) {
          cached = { ...t, lastUsed: now() };
          lastUserId = t.userId;
        }
        return t.token;
      })
      .finally(() => {
        if (mine === generation) pending = undefined;
      });
    return pending;
  };

  return {
    get(kind) {
      const apiKey = settings().apiKey;
      if (kind === 'service' && apiKey) return Promise.resolve(apiKey);
      return userToken();
    },
    refused(kind, token) {
      const apiKey = settings().apiKey;
      if (kind === 'service' && apiKey && token === apiKey) return false;
      if (cached?.token === token) cached = undefined;
      return true;
    },
    reset() {
      generation++;
      cached = undefined;
      pending = undefined;
      lastUserId = undefined;
    },
    async userId() {
      if (lastUserId === undefined) await userToken();
      return lastUserId;
    },
  };
}

interface IssuedToken {
  token: string;
  /** referenceDataUserId: OpenLMIS's AccessTokenEnhancer adds it to user tokens (openlmis-auth). */
  userId?: string;
  expiresInMs?: number;
}

/** POST /api/oauth/token with grant_type=password; credentials in a form body, never in the URL. */
async function login(s: OpenLmisSettings, dispatcher: Dispatcher): Promise<IssuedToken> {
  if (!s.username || !s.password) {
    throw new LmisError({ system: LMIS, transient: false, status: 502, code: 'login', diagnostics: 'no OpenLMIS user configured (set openlmis.username and openlmis.password)' });
  }
  const form = new URLSearchParams({ grant_type: 'password', username: s.username, password: s.password });
  const res = await exchange(dispatcher, {
    method: 'POST', baseUrl: s.baseUrl, path: '/api/oauth/token', timeoutMs: s.timeoutMs,
    headers: {
      authorization: `Basic ${Buffer.from(`${s.clientId}:${s.clientSecret ?? ''}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
    recordedBody: `grant_type=password&username=${encodeURIComponent(s.username)}&password=****`,
    recordResponse: (body) => (body && typeof body === 'object' && 'access_token' in body ? { ...body, access_token: '****' } : body),
  });
  const body = res.body as { access_token?: unknown; expires_in?: unknown; referenceDataUserId?: unknown } | undefined;
  if (res.status === 200 && typeof body?.access_token === 'string') {
    const expiresIn = Number(body.expires_in);
    const userId = typeof body.referenceDataUserId === 'string' && body.referenceDataUserId ? body.referenceDataUserId : undefined;
    return { token: body.access_token, userId, expiresInMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : undefined };
  }
  const transient = isTransientStatus(res.status);
  // only the OAuth error code: descriptions of auth failures are not for clients
  const code = reasonOf(res.body).messageKey ?? `HTTP ${res.status}`;
  throw new LmisError({
    system: LMIS, transient, upstreamStatus: res.status, status: 502, code: transient ? 'transient' : 'login', messageKey: code,
    diagnostics: transient ? `login failed: ${code}` : `login as '${s.username}' with client '${s.clientId}' refused (${code}): check openlmis.username, password, clientId and clientSecret`,
  });
}
