import { isTransientStatus, defaultErrorFactory, type ErrorFactory } from '../errors.js';
import type { UpstreamError } from '../../domain/errors.js';

/**
 * A refused or failed login, the same for every login strategy: transient when the upstream is
 * down (5xx/429/408), else permanent with only the upstream's error code (descriptions of auth
 * failures are not for clients) and what to check in the settings.
 */
export function loginError(opts: {
  system: string;
  status: number;
  code?: string;
  refused: (code: string) => string;
  make?: ErrorFactory;
}): UpstreamError {
  const transient = isTransientStatus(opts.status);
  const code = opts.code ?? `HTTP ${opts.status}`;
  return (opts.make ?? defaultErrorFactory)({
    system: opts.system,
    transient,
    upstreamStatus: opts.status,
    status: 502,
    code: transient ? 'transient' : 'login',
    reason: { code },
    diagnostics: transient ? `login failed: ${code}` : opts.refused(code),
  });
}

/** No credentials configured: permanent, naming the settings to set. */
export function missingCredentials(
  system: string,
  diagnostics: string,
  make: ErrorFactory = defaultErrorFactory,
): UpstreamError {
  return make({ system, transient: false, status: 502, code: 'login', diagnostics });
}
