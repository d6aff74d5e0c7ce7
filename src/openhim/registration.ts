/**
 * Registration with OpenHIM core and the heartbeat that carries live config, built on the real
 * openhim-mediator-utils 0.4.0 client.
 *
 * Why we drive the heartbeat ourselves instead of `activateHeartbeat`:
 * - utils' heartbeat sends only `{uptime}`. Core answers with config only to the first heartbeat
 *   after a change, so with several replicas under one URN all but one would miss it. utils'
 *   `fetchConfig` is the same heartbeat POST with `config: true`, so every beat here is a
 *   `fetchConfig`, and a change is detected locally by deep comparison.
 * - utils keeps one module-global timer (one mediator per process) and beats only after a full
 *   interval; our own timer per handle beats at once, and allows two handles in a test process.
 * - utils sets no request timeout; each call here is raced against `requestTimeoutMs`.
 * Nothing here throws to the caller or stops the process: OpenHIM being down only delays
 * registration (retried with backoff) and keeps the last good config in force.
 */
import { boundUtilsCalls, mediatorUtils } from './mediator-utils.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { loadMediatorConfig, type MediatorRegistration } from './mediator-config.js';
import { canonicalJson } from '../domain/ids.js';

// Key order from MongoDB must not read as a config change: configs are compared as canonical JSON.
export { canonicalJson };

export interface OpenHimLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * Applies a console save; throws to refuse it whole. `noneApplied`: nothing from the console is in
 * force yet (since this start), so there is no previous save to keep, and the listener may apply
 * what it can of this one instead: it then answers with the reason for what it left out.
 */
export type OpenHimConfigListener = (
  config: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  context: { noneApplied: boolean },
) => void | { leftOut: string } | Promise<void | { leftOut: string }>;

export interface StartOpenHimOptions {
  apiURL: string;
  username: string;
  password: string;
  trustSelfSigned?: boolean;
  /** Defaults to the registration's urn. */
  urn?: string;
  /** Defaults to mediator-config.json. */
  mediatorConfig?: MediatorRegistration;
  /** Heartbeat interval; core marks a mediator down after 60 s without one, docs recommend 10 s. */
  heartbeatMs?: number;
  /** Upper bound for one register/heartbeat call. */
  requestTimeoutMs?: number;
  backoff?: BackoffOptions;
  logger?: OpenHimLogger;
  onConfig?: OpenHimConfigListener;
}

export type OpenHimStatus = 'registering' | 'registered' | 'stopped';

export interface OpenHimHandle {
  readonly status: OpenHimStatus;
  /** Resolves true once registered, false if stopped before that. Never rejects. */
  readonly registered: Promise<boolean>;
  /** The last config received (the last good one while OpenHIM is unreachable). */
  currentConfig(): Record<string, unknown> | undefined;
  /**
   * What keeps OpenHIM from knowing this mediator is up, in an operator's words (for /ready and
   * the console): not registered yet, or heartbeats failing, and why; else the last console save
   * refused, until one is applied. Undefined while all is well.
   */
  problem(): string | undefined;
  stats(): { registrationAttempts: number; heartbeats: number; heartbeatFailures: number; configChanges: number };
  stop(): Promise<void>;
}

type UtilsError = Error & { code?: string; response?: { status?: number; data?: unknown } };

const silentLogger: OpenHimLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Only these fields of an axios error: the error object itself carries the Authorization header. */
function describeError(err: unknown): { message: string; code?: string; status?: number; answer?: string } {
  const e = err as UtilsError;
  return {
    message: e?.message || e?.code || 'unknown error',
    code: e?.code,
    status: e?.response?.status,
    answer: answerText(e?.response?.data),
  };
}

/**
 * What core said with a refusal, on one line and cut: its reason is in the text it answers
 * (`Could not add Mediator via the API: ValidationError: …`, openhim-core-js src/api/mediators.js),
 * while axios's message only says `Request failed with status code 400`.
 */
function answerText(data: unknown): string | undefined {
  if (typeof data !== 'string') return undefined;
  // a proxy in front of core answers with an HTML page: its words, not its markup
  const line = data
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line || /^OK$/i.test(line)) return undefined;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Why a call to OpenHIM's API failed, saying what the operator has to do where it is theirs to
 * fix: a login refused is a password changed or a user locked, never something a retry mends.
 */
export function operatorReason(err: unknown): string {
  const { message, code, status, answer } = describeError(err);
  if (status === 401)
    return 'OpenHIM refused the API login (401): openhim.password (OPENHIM_PASSWORD) or openhim.username is wrong, or the user is locked; fix it and restart';
  if (status === 403)
    return 'OpenHIM refused the API user (403): it needs the admin role, or mediator-manage-all on RBAC cores';
  if (code && UNTRUSTED_CERTIFICATE.has(code))
    return `OpenHIM's certificate is not trusted (${code}): start with NODE_EXTRA_CA_CERTS naming its CA file (PEM)`;
  if (status !== undefined) return `OpenHIM answered ${status}: ${answer ?? message}`;
  return `OpenHIM not reachable: ${message}`;
}

/**
 * openhim.trustSelfSigned turns certificate checks off for every call to OpenHIM's API: said once
 * at start, with the way to trust core's certificate instead, never silently.
 */
function warnIfUnverified(api: { apiURL: string; trustSelfSigned: boolean }, where: object, log: OpenHimLogger): void {
  if (!api.trustSelfSigned || !/^https:/i.test(api.apiURL)) return;
  log.warn(
    where,
    "OpenHIM's certificate is not verified (openhim.trustSelfSigned): anyone between the mediator and OpenHIM can read the API password; trust core's certificate instead by starting with NODE_EXTRA_CA_CERTS=<its PEM file> and OPENHIM_TRUST_SELF_SIGNED=false",
  );
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

class Stopper {
  stopped = false;
  private wakers = new Set<() => void>();
  stop(): void {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }
  /** Resolves after `ms`, or at once when stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
  /** Races a call against a timeout and against stop(); a losing call is left to settle on its own. */
  bound<T>(call: Promise<T>, timeoutMs: number): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.wakers.delete(onStop);
        fn();
      };
      const onStop = () => finish(() => resolve(undefined));
      const timer = setTimeout(
        () => finish(() => reject(new TimeoutError(`no answer within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.wakers.add(onStop);
      call.then(
        (v) => finish(() => resolve(v)),
        (e) => finish(() => reject(e)),
      );
    });
  }
}

/** A console save refused, whole or in part, as /ready says it, with what is in force instead. */
interface Refusal {
  reason: string;
  since: number;
  /** Nothing from the console was applied since this start. */
  noneApplied: boolean;
  /** At start, the save applied without the fields at fault (lifecycle.ts applyWhatItCan). */
  partly?: boolean;
}

/** A console save refused, as /ready says it: the previous settings are the ones in force. */
function refusedSave(refusal: Refusal): string {
  const reason = refusal.reason.replace(/^OpenHIM config: /, '');
  // After a restart nothing from the console was ever applied: none of its settings is in force
  // (its credentials and URLs included), only the environment and the config file.
  const inForce = refusal.partly
    ? "the rest of that save is in force; the fields named keep the environment's and config file's values"
    : refusal.noneApplied
      ? 'no console setting is in force since this start, only the environment and the config file'
      : 'the previous settings stay in force';
  return `OpenHIM console settings refused since ${new Date(refusal.since).toISOString()}: ${reason}; ${inForce}`;
}

export function startOpenHim(options: StartOpenHimOptions): OpenHimHandle {
  const log = options.logger ?? silentLogger;
  const registration = options.mediatorConfig ?? loadMediatorConfig();
  const urn = options.urn ?? registration.urn;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? Math.max(5_000, Math.min(heartbeatMs, 30_000));
  const api = {
    apiURL: options.apiURL.replace(/\/+$/, ''),
    username: options.username,
    password: options.password,
    trustSelfSigned: options.trustSelfSigned ?? false,
    urn,
  };
  const where = { urn, apiURL: withoutCredentials(api.apiURL) };
  warnIfUnverified(api, where, log);
  const stopper = new Stopper();
  const counters = { registrationAttempts: 0, heartbeats: 0, heartbeatFailures: 0, configChanges: 0 };
  let status: OpenHimStatus = 'registering';
  let lastConfig: Record<string, unknown> | undefined;
  let lastConfigKey: string | undefined;
  // what /ready says while registration or heartbeats fail; cleared by the next success
  let failure: { reason: string; since: number } | undefined;
  const failed = (err: unknown) => {
    failure = { reason: operatorReason(err), since: failure?.since ?? Date.now() };
  };
  // the last console save refused (a bad value), until one is applied
  let refusal: Refusal | undefined;
  let anyApplied = false;
  let resolveRegistered!: (ok: boolean) => void;
  const registered = new Promise<boolean>((resolve) => (resolveRegistered = resolve));

  const loadUtils = async () => {
    const utils = await mediatorUtils();
    // a call we stop waiting for is torn down too, not left holding its socket
    boundUtilsCalls(requestTimeoutMs);
    return utils;
  };
  const registerOnce = async () => {
    const utils = await loadUtils();
    return new Promise<void>((resolve, reject) =>
      utils.registerMediator(api, registration, (err) => (err ? reject(err) : resolve())),
    );
  };
  const heartbeatOnce = async () => {
    const utils = await loadUtils();
    return new Promise<Record<string, unknown>>((resolve, reject) =>
      utils.fetchConfig(api, (err, body) => (err ? reject(err) : resolve(body ?? {}))),
    );
  };

  async function registerWithBackoff(): Promise<void> {
    for (let attempt = 0; !stopper.stopped; attempt++) {
      counters.registrationAttempts++;
      try {
        await stopper.bound(registerOnce(), requestTimeoutMs);
        if (stopper.stopped) return;
        status = 'registered';
        failure = undefined;
        log.info({ ...where, version: registration.version }, 'registered with OpenHIM');
        resolveRegistered(true);
        return;
      } catch (err) {
        const delay = backoffDelay(attempt, options.backoff);
        failed(err);
        log.warn(
          { ...where, err: describeError(err), reason: failure?.reason, attempt: attempt + 1, retryInMs: delay },
          'OpenHIM registration failed; will retry',
        );
        await stopper.sleep(delay);
      }
    }
  }

  async function applyConfig(config: Record<string, unknown>): Promise<void> {
    // utils turns core's '' and 'OK' (no config stored) into {}: nothing to apply.
    if (Object.keys(config).length === 0) return;
    const key = canonicalJson(config);
    if (key === lastConfigKey) return;
    const previous = lastConfig;
    lastConfig = config;
    lastConfigKey = key;
    counters.configChanges++;
    log.info(
      { ...where, params: Object.keys(config).length },
      previous ? 'OpenHIM config changed' : 'OpenHIM config received',
    );
    try {
      const applied = await options.onConfig?.(config, previous, { noneApplied: !anyApplied });
      anyApplied = true;
      refusal = applied ? { reason: applied.leftOut, since: Date.now(), noneApplied: false, partly: true } : undefined;
      if (refusal)
        log.error(
          { ...where, err: { message: refusal.reason } },
          'applying OpenHIM config at start: the fields named are refused and keep the environment and config file values; the rest is in force',
        );
    } catch (err) {
      // Not retried on every beat: the operator has to fix the value in the console, and is told
      // on /ready, where the one who saved it looks, not only in the log.
      refusal = { reason: (err as Error)?.message ?? String(err), since: Date.now(), noneApplied: !anyApplied };
      log.error(
        { ...where, err: { message: (err as Error)?.message } },
        anyApplied
          ? 'applying OpenHIM config failed; previous settings stay in force'
          : 'applying OpenHIM config failed; no console setting is in force, only the environment and the config file',
      );
    }
  }

  /** Beats until stopped, or returns 'lost' when core no longer knows our urn (its database was reset). */
  async function heartbeatLoop(): Promise<'stopped' | 'lost'> {
    let failingSince: number | undefined;
    let warnedReason: string | undefined;
    while (!stopper.stopped) {
      try {
        const config = await stopper.bound(heartbeatOnce(), requestTimeoutMs);
        if (stopper.stopped || config === undefined) break;
        // A proxy's HTML page or similar: not core answering, so not a config to apply.
        if (typeof config !== 'object' || config === null || Array.isArray(config))
          throw new Error(`unexpected heartbeat answer (${typeof config})`);
        counters.heartbeats++;
        if (failingSince !== undefined) log.info({ ...where }, 'OpenHIM heartbeat recovered');
        failingSince = undefined;
        failure = undefined;
        await applyConfig(config);
      } catch (err) {
        counters.heartbeatFailures++;
        const detail = describeError(err);
        if (detail.status === 404) {
          log.warn({ ...where }, 'OpenHIM no longer knows this mediator; registering again');
          return 'lost';
        }
        failed(err);
        // One warning per outage and reason, not one per beat: a core that comes back refusing
        // the login (its password changed meanwhile) is the operator's to fix, so it is said,
        // not left under the first reason (not reachable) at debug level.
        if (failingSince === undefined || failure?.reason !== warnedReason)
          log.warn(
            { ...where, err: detail, reason: failure?.reason },
            'OpenHIM heartbeat failed; keeping the last good config',
          );
        else log.debug({ ...where, err: detail }, 'OpenHIM heartbeat still failing');
        warnedReason = failure?.reason;
        failingSince ??= Date.now();
      }
      await stopper.sleep(heartbeatMs);
    }
    return 'stopped';
  }

  const running = (async () => {
    while (!stopper.stopped) {
      status = 'registering';
      await registerWithBackoff();
      if (stopper.stopped) break;
      if ((await heartbeatLoop()) === 'stopped') break;
    }
  })().catch((err) => log.error({ ...where, err: describeError(err) }, 'OpenHIM loop ended unexpectedly'));

  return {
    get status() {
      return status;
    },
    registered,
    currentConfig: () => lastConfig,
    problem() {
      if (status === 'stopped') return undefined;
      if (status === 'registered' && !failure) return refusal && refusedSave(refusal);
      const since = failure ? ` since ${new Date(failure.since).toISOString()}` : '';
      const what = status === 'registering' ? 'not registered with OpenHIM yet' : 'OpenHIM heartbeats failing';
      return `${what}${since}${failure ? `: ${failure.reason}` : ''}; FHIR requests are served meanwhile`;
    },
    stats: () => ({ ...counters }),
    async stop() {
      stopper.stop();
      status = 'stopped';
      resolveRegistered(false);
      await running;
    },
  };
}
