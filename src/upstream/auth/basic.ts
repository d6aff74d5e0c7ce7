import { processRedactor } from '../../platform/redaction.js';
import { missingCredentials } from './login-error.js';
import type { AuthStrategy } from './types.js';

/**
 * HTTP Basic on every call (DHIS2, OpenMRS REST without a session). The pair is read per call, so
 * a live change applies at once; a refusal cannot be fixed by asking again, so it is not replayed.
 */
export interface BasicCredentials {
  username?: string;
  password?: string;
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function basicAuth(
  credentials: () => BasicCredentials,
  missing = 'no user configured (set the username and password)',
): AuthStrategy {
  return {
    async authorize(ctx) {
      const { username, password } = credentials();
      if (!username || !password) throw missingCredentials(ctx.system, missing, ctx.makeError);
      const header = basicHeader(username, password);
      processRedactor.learnEphemeral(header.slice('Basic '.length));
      return { headers: { authorization: header }, credential: header };
    },
    refused: () => false,
    reset: () => undefined,
  };
}
