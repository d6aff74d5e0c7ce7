import type { Issued } from '../../upstream/auth/credential-cache.js';
import { bearerLoginAuth } from '../../upstream/auth/bearer-login.js';
import { isLoginRefusal } from '../../upstream/auth/credential-cache.js';
import { missingCredentials } from '../../upstream/auth/login-error.js';
import { MASKED } from '../../upstream/http.js';
import { UpstreamError } from '../../domain/errors.js';
import type { AuthContext, AuthStrategy } from '../../upstream/auth/types.js';
import { graphqlUnauthenticated } from '../../upstream/graphql.js';
import { MSUPPLY } from './identifiers.js';
import { makeMsupplyError, msupplyReason } from './errors.js';
import { AUTH_TOKEN } from './operations.js';
import type { MsupplySettings } from './settings.js';
import { graphqlWithCookies, RefreshSession } from './refresh.js';

/**
 * Open mSupply login: `query authToken(username, password)` answers the union `AuthToken { token }`
 * | `AuthTokenError { error }` whose error is InvalidCredentials, NoSiteAccess, AccountBlocked
 * { timeoutRemaining } or CentralSyncRequired (server/graphql/general/src/queries/login.rs in
 * msupply-foundation/open-msupply). The bearer goes in `Authorization: Bearer`; a refused one shows
 * as an "Unauthenticated" GraphQL error (graphql/core/src/lib.rs `auth_data_from_request`), after
 * which the shared bearer-login strategy renews it once (single flight): with the refresh_token
 * cookie the login set (refresh.ts), and with the password only when that fails. Tokens live one hour
 * (doc/authentication.md), but the server may forget them earlier (restart), so no expiry is
 * assumed: the refusal drives the renewal.
 */
interface AuthTokenAnswer {
  authToken:
    | { __typename: 'AuthToken'; token: string }
    | { __typename: 'AuthTokenError'; error: { __typename: string; description: string; timeoutRemaining?: number } };
}

/** What an operator should do about each typed login error. */
function refusal(
  username: string,
  error: { __typename: string; description: string; timeoutRemaining?: number },
): string {
  switch (error.__typename) {
    case 'InvalidCredentials':
      return `login as '${username}' refused (InvalidCredentials): check msupply.username and msupply.password`;
    case 'NoSiteAccess':
      return `user '${username}' has no store on this Open mSupply site (NoSiteAccess): give the user access to a store of this site`;
    case 'AccountBlocked':
      return `user '${username}' is blocked after failed logins (AccountBlocked) for ${error.timeoutRemaining ?? '?'} s more: wait, then check msupply.password`;
    case 'CentralSyncRequired':
      return `login as '${username}' needs the site to sync with the central server first (CentralSyncRequired)`;
    default:
      return `login as '${username}' refused (${error.__typename}): ${error.description}`;
  }
}

/**
 * An HTTP 401 to the login itself, which carries no bearer: Open mSupply answers a wrong password
 * inside a 200 (AuthTokenError), so this is a proxy or gateway in front of it refusing the request.
 * No renewal and no later attempt can change that, so it is permanent (the job is not retried
 * into a dead letter, /ready says what to check) and, like every 401, keeps none of the page.
 */
function loginRefusedByHttp(err: unknown, username: string): unknown {
  if (!(err instanceof UpstreamError) || err.upstreamStatus !== 401) return err;
  return makeMsupplyError({
    system: MSUPPLY,
    transient: false,
    status: 502,
    code: 'login',
    upstreamStatus: 401,
    reason: { code: 'HTTP 401' },
    diagnostics:
      `login as '${username}' answered HTTP 401 (by Open mSupply or a proxy in front of it): ` +
      'check msupply.username and msupply.password, and that msupply.baseUrl reaches Open mSupply without a proxy login',
  });
}

const fingerprintOf = (s: MsupplySettings) => JSON.stringify([s.baseUrl, s.username, s.password]);

export async function loginForToken(ctx: AuthContext, s: MsupplySettings, session?: RefreshSession): Promise<Issued> {
  if (!s.username || !s.password)
    throw missingCredentials(
      MSUPPLY,
      'no Open mSupply user configured (set msupply.username and msupply.password)',
      makeMsupplyError,
    );
  const { data: answer, refresh } = await graphqlWithCookies<AuthTokenAnswer>(
    ctx,
    {
      query: AUTH_TOKEN,
      variables: { username: s.username, password: s.password },
      recordedVariables: { username: s.username, password: MASKED },
    },
    'authToken',
  ).catch((err: unknown) => {
    throw loginRefusedByHttp(err, s.username!);
  });
  const result = answer.authToken;
  if (result.__typename === 'AuthToken' && result.token) {
    session?.keep(fingerprintOf(s), refresh);
    return { value: result.token };
  }
  const error =
    result.__typename === 'AuthTokenError'
      ? result.error
      : { __typename: String(result.__typename), description: 'no token in the answer' };
  throw makeMsupplyError({
    system: MSUPPLY,
    transient: false,
    status: 502,
    code: 'login',
    upstreamStatus: 200,
    // the description of an auth failure is not for clients; the type says all an operator needs
    reason: { code: error.__typename },
    diagnostics: refusal(s.username, error),
  });
}

export function msupplyAuth(
  settings: () => MsupplySettings,
  session = new RefreshSession(),
  now: () => number = Date.now,
): AuthStrategy {
  return bearerLoginAuth({
    credentials: () => [settings().baseUrl, settings().username, settings().password],
    // the refresh cookie first; the password only when there is none or it is refused
    login: async (ctx) =>
      (await session.renew(ctx, fingerprintOf(settings()))) ?? loginForToken(ctx, settings(), session),
    isRefusal: graphqlUnauthenticated,
    now,
    // a refused login is held (CredentialCache), but not a block: it says itself how long it
    // lasts, and the right password is worth a try once it ends
    holdsRefusal: (err) => isLoginRefusal(err) && msupplyReason(err) !== 'AccountBlocked',
  });
}
