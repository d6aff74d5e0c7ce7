import { isHtmlPage } from '../answer-shape.js';
import { exchange } from '../http.js';
import { asRecord, isTransientStatus } from '../errors.js';
import { basicHeader, type BasicCredentials } from './basic.js';
import { CredentialCache, LOGIN_PAGE_HOLD_MS, type Issued } from './credential-cache.js';
import { loginAnsweredByPage, loginError, missingCredentials } from './login-error.js';
import type { AuthContext, AuthStrategy } from './types.js';

/**
 * A session cookie got by one Basic-authenticated call to a session endpoint, then reused: OpenMRS
 * answers `GET /ws/rest/v1/session` with `Set-Cookie: JSESSIONID=…` (wiki.openmrs.org REST Web
 * Services API "Authentication"), which saves checking the password on every call. On a 401 the
 * session is gone (timeout, restart): log in once more and replay.
 */
export interface SessionCookieOptions {
  credentials: () => BasicCredentials;
  /** Default `/ws/rest/v1/session` (OpenMRS). */
  sessionPath?: string;
  /** Default `JSESSIONID`. */
  cookieName?: string;
  missing?: string;
  refused?: (code: string) => string;
  /**
   * Does the session answer say the login worked? Undefined when the answer is no session answer
   * at all. Default: OpenMRS's `authenticated` boolean (sessionVerdict).
   */
  authenticated?: (body: unknown) => boolean | undefined;
  /** The clock of the login holds (CredentialCache); tests move it. */
  now?: () => number;
}

function cookieFrom(setCookie: string | string[] | undefined, name: string): string | undefined {
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const m = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * OpenMRS's session answer always carries the `authenticated` boolean (SessionController1_9:
 * `{sessionId, authenticated, ...}`, false for a wrong password). A 2xx without it, a gateway's
 * `{"message": "maintenance"}`, is not OpenMRS answering: it says nothing about the credentials.
 */
export function sessionVerdict(body: unknown): boolean | undefined {
  const said = asRecord(body)?.authenticated;
  return typeof said === 'boolean' ? said : undefined;
}

/**
 * A login answered by something in front of the server: a 2xx without the session verdict (a
 * login form, a maintenance JSON), or an HTML page with a gateway's 5xx (a proxy's "502 Bad
 * Gateway"). Such a gateway pages the next login too: held (LOGIN_PAGE_HOLD_MS), not re-sent by
 * every wave of calls.
 */
function answeredByPage(
  status: number,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  verdict: boolean | undefined,
): boolean {
  if (status >= 200 && status < 300) return verdict === undefined;
  return isTransientStatus(status) && isHtmlPage(body, headers);
}

async function sessionLogin(ctx: AuthContext, opts: SessionCookieOptions, name: string): Promise<Issued> {
  const { username, password } = opts.credentials();
  if (!username || !password)
    throw missingCredentials(
      ctx.system,
      opts.missing ?? 'no user configured (set the username and password)',
      ctx.makeError,
    );
  const res = await exchange(ctx.dispatcher, {
    system: ctx.system,
    method: 'GET',
    baseUrl: ctx.baseUrl,
    path: opts.sessionPath ?? '/ws/rest/v1/session',
    timeoutMs: ctx.timeoutMs,
    makeError: ctx.makeError,
    headers: { authorization: basicHeader(username, password), accept: 'application/json' },
  });
  const cookie = cookieFrom(res.headers['set-cookie'], name);
  const verdict = (opts.authenticated ?? sessionVerdict)(res.body);
  if (res.status === 200 && cookie && verdict === true) return { value: cookie };
  // a page, or JSON that is no session answer: only the session JSON's own false is a refusal
  if (answeredByPage(res.status, res.body, res.headers, verdict))
    throw loginAnsweredByPage({
      system: ctx.system,
      status: res.status,
      login: `the session login (GET ${opts.sessionPath ?? '/ws/rest/v1/session'})`,
      expected: 'the session JSON',
      answered: asRecord(res.body) ? "JSON without 'authenticated'" : undefined,
      make: ctx.makeError,
    });
  // OpenMRS answers 200 {authenticated: false} to a wrong password
  const status = res.status === 200 ? 401 : res.status;
  throw loginError({
    system: ctx.system,
    status,
    code: res.status === 200 ? 'not authenticated' : undefined,
    make: ctx.makeError,
    refused: opts.refused ?? ((code) => `login as '${username}' refused (${code}): check the username and password`),
  });
}

export function sessionCookieAuth(opts: SessionCookieOptions): AuthStrategy {
  const name = opts.cookieName ?? 'JSESSIONID';
  let loginCtx: AuthContext | undefined;
  const cache = new CredentialCache<Issued>({
    login: () => sessionLogin(loginCtx!, opts, name),
    fingerprint: () => JSON.stringify(opts.credentials()),
    pageHoldMs: LOGIN_PAGE_HOLD_MS,
    now: opts.now,
  });
  return {
    async authorize(ctx) {
      loginCtx = ctx;
      const session = await cache.get(ctx.signal); // the caller's signal ends only its own wait
      return { headers: { cookie: `${name}=${session.value}` }, credential: session.value };
    },
    refused(credential) {
      cache.refused(credential);
      return true;
    },
    reset: () => cache.reset(),
  };
}
