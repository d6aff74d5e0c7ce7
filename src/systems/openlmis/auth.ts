import { oauth2PasswordAuth } from '../../upstream/auth/oauth2-password.js';
import type { AuthContext, AuthStrategy } from '../../upstream/auth/types.js';
import { processRedactor } from '../../platform/redaction.js';
import { reasonOf } from './errors.js';
import type { OpenLmisSettings, TokenKind } from './types.js';

/**
 * Credentials for OpenLMIS calls (reference §1). The user token comes from the OAuth2 password
 * grant (upstream/auth/oauth2-password.ts) on /api/oauth/token with the client's Basic
 * credentials; the `user-client` has no refresh grant, so it is renewed by logging in again, and
 * its expires_in is an inactivity timeout (openlmis-auth), hence 'sliding'. The "service"
 * credential is the API key when one is configured (it never expires) and otherwise the user token.
 */
export interface OpenLmisAuth extends AuthStrategy<TokenKind> {
  /**
   * The integration user's OpenLMIS user id (referenceDataUserId of the token answer), logging in
   * if needed; undefined when the server does not send it. Requisitions record their author by it.
   */
  userId(ctx: AuthContext): Promise<string | undefined>;
}

/** openlmis-auth's AccessTokenEnhancer adds it to user tokens. */
const USER_ID = 'referenceDataUserId';

export function openLmisAuth(settings: () => OpenLmisSettings): OpenLmisAuth {
  const oauth = oauth2PasswordAuth({
    tokenPath: '/api/oauth/token',
    credentials: () => {
      const s = settings();
      return { username: s.username, password: s.password, clientId: s.clientId, clientSecret: s.clientSecret };
    },
    missing: 'no OpenLMIS user configured (set openlmis.username and openlmis.password)',
    refused: (code, c) =>
      `login as '${c.username}' with client '${c.clientId}' refused (${code}): check openlmis.username, password, clientId and clientSecret`,
    errorCode: (body) => reasonOf(body).messageKey,
    extras: [USER_ID],
    expiry: 'sliding',
  });
  const apiKeyFor = (kind: TokenKind | undefined) => (kind === 'service' ? settings().apiKey : undefined);
  return {
    async authorize(ctx, kind) {
      const apiKey = apiKeyFor(kind);
      if (!apiKey) return oauth.authorize(ctx);
      processRedactor.learnEphemeral(apiKey);
      return { headers: { authorization: `Bearer ${apiKey}` }, credential: apiKey };
    },
    refused(credential, kind) {
      // an API key cannot be renewed: a refusal of it is final
      if (credential === apiKeyFor(kind)) return false;
      return oauth.refused(credential);
    },
    reset: () => oauth.reset(),
    async userId(ctx) {
      if (oauth.lastIssued()?.extras[USER_ID] === undefined) await oauth.token(ctx);
      return oauth.lastIssued()?.extras[USER_ID];
    },
  };
}
