import { UpstreamError } from '../../domain/errors.js';
import { processRedactor } from '../../platform/redaction.js';
import { isLoginAnsweredByPage } from './login-error.js';

/**
 * A credential got by logging in (an OAuth2 token, a bearer from a login mutation, a session
 * cookie), shared by every login strategy: concurrent callers share one login (single flight), so
 * an expiry under load costs one login, not N; a login started before a reset or a credential
 * change never fills the cache afterwards; every credential is taught to the redactor, as an
 * upstream may echo it in an error body; a login refused for good is not sent again for a while
 * with the same settings (LOGIN_REFUSAL_HOLD_MS), nor, where asked, one a gateway's page answered
 * (LOGIN_PAGE_HOLD_MS).
 */
export interface Issued {
  value: string;
  /** Lifetime from issue (absolute) or from last use (sliding, e.g. OpenLMIS's inactivity timeout). */
  expiresInMs?: number;
}

export interface CredentialCacheOptions<C extends Issued> {
  login: () => Promise<C>;
  /** The settings the credential was got with: when they change, the cached one is forgotten. */
  fingerprint: () => string;
  /** 'sliding': valid while used within expiresInMs of the last use. Default 'absolute'. */
  expiry?: 'sliding' | 'absolute';
  now?: () => number;
  /** Which login failures are held (LOGIN_REFUSAL_HOLD_MS); default isLoginRefusal. */
  holdsRefusal?: (err: unknown) => boolean;
  /** How long a login answered by a gateway's page is held (isLoginAnsweredByPage); default 0, not held. */
  pageHoldMs?: number;
}

/**
 * How long a login refused for good (a wrong password, no access) is answered from memory for
 * the same settings. Every /ready probe and every write would otherwise send the wrong password
 * again, and OpenMRS, Open mSupply and OpenLMIS (when configured to) lock an account after
 * repeated failed logins: a probe every few seconds would keep the integration user locked, and
 * a shared one locked for the people using it too. New settings (the console, a restart) are
 * tried at once.
 */
export const LOGIN_REFUSAL_HOLD_MS = 60_000;

/**
 * How long a login answered by a gateway's page (its login form, its maintenance JSON) is answered
 * from memory for the same settings, where the strategy asks for it (sessionCookieAuth). The page
 * says nothing about the credentials, so it is no refusal; but a gateway that pages every call
 * pages the next login too, and without a hold every wave of calls (each /ready probe, each retry
 * of each write) cost a login through it. Shorter than the refusal's hold: the gateway coming back
 * is used within about one /ready interval.
 */
export const LOGIN_PAGE_HOLD_MS = 15_000;

/** A login failure that says the credentials are refused or missing, not that the upstream is down. */
export function isLoginRefusal(err: unknown): boolean {
  return err instanceof UpstreamError && !err.transient && err.issues[0]?.code === 'login';
}

/** Renew a little before the server would forget the credential, to save a refused round trip. */
export const EXPIRY_MARGIN_MS = 5_000;

/**
 * Wait for a login shared by several callers, unless this caller gives up first: it then stops
 * waiting at once with its own abort reason, while the login goes on for the others (and fills the
 * cache for the next caller).
 */
function waitUnlessAborted<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  // a caller that left must not leave the login's failure unhandled when no one else waits on it
  shared.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const leave = () => reject(signal.reason as Error);
    signal.addEventListener('abort', leave, { once: true });
    void shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', leave));
  });
}

export class CredentialCache<C extends Issued> {
  private cached: (C & { since: number; fingerprint: string }) | undefined;
  private pending: Promise<C> | undefined;
  // what the last login gave: survives a refusal (same user), not a reset
  private last: C | undefined;
  // bumped by reset(): a login started with old credentials must not fill the cache afterwards
  private generation = 0;
  // the last login refused for good (or answered by a page, pageHoldMs), with the settings it was tried with
  private refusal: { fingerprint: string; until: number; error: unknown } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CredentialCacheOptions<C>) {
    this.now = options.now ?? Date.now;
  }

  private fresh(fingerprint: string): boolean {
    const c = this.cached;
    if (!c || c.fingerprint !== fingerprint) return false;
    return c.expiresInMs === undefined || this.now() - c.since < c.expiresInMs - EXPIRY_MARGIN_MS;
  }

  /**
   * The cached credential, or one fresh login shared by every concurrent caller; `signal` ends only
   * this caller's wait, never the shared login.
   */
  get(signal?: AbortSignal): Promise<C> {
    const fingerprint = this.options.fingerprint();
    if (this.cached && this.cached.fingerprint !== fingerprint) this.reset(); // changed live
    if (this.fresh(fingerprint)) {
      if (this.options.expiry === 'sliding') this.cached!.since = this.now();
      return Promise.resolve(this.cached!);
    }
    if (this.pending) return waitUnlessAborted(this.pending, signal);
    const held = this.refusal;
    if (held && held.fingerprint === fingerprint && this.now() < held.until) return Promise.reject(held.error);
    const mine = this.generation;
    const pending = this.options
      .login()
      .then((issued) => {
        processRedactor.learnEphemeral(issued.value);
        if (mine === this.generation) {
          this.cached = { ...issued, since: this.now(), fingerprint };
          this.last = issued;
        }
        return issued;
      })
      .catch((err: unknown) => {
        const holdMs = this.holdFor(err);
        if (mine === this.generation && holdMs > 0)
          this.refusal = { fingerprint, until: this.now() + holdMs, error: err };
        throw err;
      })
      .finally(() => {
        if (this.pending === pending) this.pending = undefined;
      });
    this.pending = pending;
    return waitUnlessAborted(pending, signal);
  }

  /** How long this login failure is answered from memory: a refusal, a page where asked, else not at all. */
  private holdFor(err: unknown): number {
    if ((this.options.holdsRefusal ?? isLoginRefusal)(err)) return LOGIN_REFUSAL_HOLD_MS;
    if (isLoginAnsweredByPage(err)) return this.options.pageHoldMs ?? 0;
    return 0;
  }

  /** What the last login gave, without logging in (undefined before the first or after a reset). */
  peek(): C | undefined {
    return this.last;
  }

  /** The upstream refused `value`: forget it if it is still the cached one. */
  refused(value: string): void {
    if (this.cached?.value === value) this.cached = undefined;
  }

  reset(): void {
    this.generation++;
    this.cached = undefined;
    this.pending = undefined;
    this.last = undefined;
    this.refusal = undefined;
  }
}
