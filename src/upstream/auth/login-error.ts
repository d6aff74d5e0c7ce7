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

// the errors loginAnsweredByPage made: a page says nothing about the credentials, but a gateway
// that pages the login pages the next one too (CredentialCache holds it, LOGIN_PAGE_HOLD_MS)
const answeredByPage = new WeakSet<object>();

/** Was this login failure a page in place of the login's answer (loginAnsweredByPage)? */
export function isLoginAnsweredByPage(err: unknown): boolean {
  return typeof err === 'object' && err !== null && answeredByPage.has(err);
}

/**
 * A login answered 2xx with a page where its JSON was due (a gateway's login form): it says
 * nothing about the credentials, so it is transient; taken as a refusal, one blip of the gateway
 * would refuse, and drop, the write in hand. `login` names the call, `expected` what it owed.
 */
export function loginAnsweredByPage(opts: {
  system: string;
  status: number;
  login: string;
  expected: string;
  /** What came instead, in words (never its text); default a page. */
  answered?: string;
  make?: ErrorFactory;
}): UpstreamError {
  const err = (opts.make ?? defaultErrorFactory)({
    system: opts.system,
    transient: true,
    status: 502,
    code: 'transient',
    upstreamStatus: opts.status,
    diagnostics: `${opts.login} answered ${opts.status} with ${opts.answered ?? 'a page'}, not ${opts.expected} (a gateway's login or maintenance page?): tried again later`,
  });
  answeredByPage.add(err);
  return err;
}
