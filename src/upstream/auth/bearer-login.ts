import { CredentialCache, type Issued } from './credential-cache.js';
import type { AuthContext, AuthStrategy } from './types.js';
import type { RawResponse } from '../http.js';

/**
 * Log in for a bearer token and use it until the upstream says "unauthenticated", then log in once
 * more (Open mSupply's `authToken` query, whose token the server forgets on restart or expiry). The
 * connector gives the login (any exchange: a GraphQL query, a REST POST) and how a refusal looks
 * (a 401, or a GraphQL error inside a 200). Concurrent refusals cost one login (single flight).
 */
export interface BearerLoginOptions {
  login: (ctx: AuthContext) => Promise<Issued>;
  /** The settings the login uses (read per call): a change forgets the cached token. */
  credentials: () => unknown;
  /** Default `authorization`. */
  header?: string;
  /** Default `Bearer`. */
  scheme?: string;
  /** Does this answer say the token was refused? Default: HTTP 401. */
  isRefusal?: (res: RawResponse) => boolean;
  now?: () => number;
  /** Which login failures are held from being sent again (CredentialCache); default isLoginRefusal. */
  holdsRefusal?: (err: unknown) => boolean;
}

export function bearerLoginAuth(opts: BearerLoginOptions): AuthStrategy {
  let loginCtx: AuthContext | undefined;
  const cache = new CredentialCache<Issued>({
    login: () => opts.login(loginCtx!),
    fingerprint: () => JSON.stringify(opts.credentials() ?? null),
    now: opts.now,
    holdsRefusal: opts.holdsRefusal,
  });
  const scheme = opts.scheme ?? 'Bearer';
  return {
    async authorize(ctx) {
      // the login is shared by every caller waiting on it (single flight): one caller giving up
      // (its signal) must not fail it for the others; the exchange's own timeout still bounds it,
      // and the caller's signal ends only its own wait
      loginCtx = { ...ctx, signal: undefined };
      const issued = await cache.get(ctx.signal);
      return {
        headers: { [opts.header ?? 'authorization']: scheme ? `${scheme} ${issued.value}` : issued.value },
        credential: issued.value,
      };
    },
    refused(credential) {
      cache.refused(credential);
      return true;
    },
    isRefusal: opts.isRefusal,
    reset: () => cache.reset(),
  };
}
