import { processRedactor } from '../../platform/redaction.js';
import { missingCredentials } from './login-error.js';
import type { AuthStrategy } from './types.js';

/**
 * A token configured by the operator, sent in a header on every call: DHIS2 personal access
 * tokens (`Authorization: ApiToken d2pat_…`, docs.dhis2.org "Personal Access Tokens"), OpenLMIS
 * service API keys (`Authorization: Bearer <key>`), or a bare key header. Read per call (live
 * changes apply at once); a refusal is not replayed, since asking again gives the same token.
 */
export interface StaticTokenOptions {
  token: () => string | undefined;
  /** Default `authorization`. */
  header?: string;
  /** Put before the token (`ApiToken`, `Bearer`); none for a bare key header. */
  scheme?: string;
  missing?: string;
}

export function staticTokenAuth(opts: StaticTokenOptions): AuthStrategy {
  return {
    async authorize(ctx) {
      const token = opts.token();
      if (!token) throw missingCredentials(ctx.system, opts.missing ?? 'no API token configured', ctx.makeError);
      processRedactor.learnEphemeral(token);
      return {
        headers: { [opts.header ?? 'authorization']: opts.scheme ? `${opts.scheme} ${token}` : token },
        credential: token,
      };
    },
    refused: () => false,
    reset: () => undefined,
  };
}
