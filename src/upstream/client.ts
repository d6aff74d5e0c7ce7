import { AsyncResource } from 'node:async_hooks';
import { ExponentialBackoff, handleWhen, retry, type BulkheadPolicy, type RetryPolicy } from 'cockatiel';
import { isTransient, UpstreamError } from '../domain/errors.js';
import { redirectError, type ErrorFactory } from './errors.js';
import { exchange, type Query, type RawResponse } from './http.js';
import { Pools, type Pool, type TransportSettings } from './pool.js';
import { isUnauthorized, type AuthContext, type AuthStrategy } from './auth/types.js';
import { honouringRetryAfter, notBeforeOf, withRetryAfter } from './retry-after.js';
import { attemptReadSignal, noteAsking, refuseIfAbandoned, writesMayGo } from './attempt-scope.js';

/**
 * The shared upstream client: keep-alive pool, per-call deadline, a concurrency limit, one fresh
 * credential on a refusal, retries of idempotent calls on transient failures, decoded errors.
 * Order of wrapping: retry (outermost, so back-off waits hold no slot) → bulkhead → auth → exchange.
 * A connector gives its settings, its auth strategy and how its error bodies read.
 */
export interface UpstreamRequest<K extends string = string> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under the base URL. */
  path: string;
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Which credential the auth strategy should use (e.g. OpenLMIS's 'user' or 'service'). */
  credential?: K;
  /** May the client retry this call on a transient failure by itself? Default: true for GET only. */
  retry?: boolean;
  /** It changes nothing (a GraphQL query): it ends with its delivery attempt, as a GET does. */
  read?: boolean;
  signal?: AbortSignal;
  /** Statuses that are answers, not errors (e.g. 404 on a lookup): returned as { status, body }. */
  accept?: number[];
  /** What to show in the orchestration instead of the body. */
  recordedBody?: unknown;
  /** How to show the answer (parsed, and its text) in the orchestration (an answer carrying a token). */
  recordResponse?: (body: unknown, text: string) => unknown;
  /**
   * Reads a 2xx (or accepted) answer and throws when it is an error after all (GraphQL's errors in
   * a 200), inside the retry loop so a transient one is retried like a 503. `credential` is the
   * one the call went with (auth.refused forgets it, and only it: a page that says the session is
   * stale costs one login however many calls met it).
   */
  decodeAnswer?: (res: UpstreamResponse<unknown>, credential?: string) => void;
  /** An unchanged 2xx answer gives the same parsed value again, deep-frozen (http.ts RawRequest). */
  reuseParsed?: boolean;
}

export interface UpstreamResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

export interface UpstreamClientOptions<S extends TransportSettings, K extends string> {
  system: string;
  settings: () => S;
  /** Built with the client's current settings (which reconfigure may override). */
  auth: (settings: () => S) => AuthStrategy<K>;
  /** An error answer → the system's UpstreamError (usually decodeHttpError with its ReasonDecoder). */
  decodeError: (status: number, body: unknown, method: string, path: string) => UpstreamError;
  makeError?: ErrorFactory;
  /** Retries after the first attempt for idempotent calls (default 2). */
  retries?: number;
  /** First back-off delay (default 200 ms; exponential with jitter, capped at 2 s). */
  retryDelayMs?: number;
}

export interface UpstreamClient<S extends TransportSettings, K extends string = string> {
  send<T>(req: UpstreamRequest<K>): Promise<UpstreamResponse<T>>;
  call<T>(req: UpstreamRequest<K>): Promise<T>;
  /** The settings in force (the override given to reconfigure, else the live ones). */
  settings(): S;
  /** What an auth strategy needs to log in through this client's pool. */
  authContext(): AuthContext;
  auth: AuthStrategy<K>;
  /** Apply changed settings without a restart; drops cached credentials. */
  reconfigure(next: S): void;
  close(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 2_000;

export function createUpstreamClient<S extends TransportSettings, K extends string = string>(
  options: UpstreamClientOptions<S, K>,
): UpstreamClient<S, K> {
  let override: S | undefined;
  const current = () => override ?? options.settings();
  const pools = new Pools(current());
  const auth = options.auth(current);
  const refusal = auth.isRefusal ?? isUnauthorized;
  // a Retry-After further ahead than the longest back-off is the outbox's to wait, not the call's
  const retryPolicy: RetryPolicy = retry(
    handleWhen((err) => isTransient(err) && (notBeforeOf(err) ?? 0) <= Date.now() + MAX_RETRY_DELAY_MS),
    {
      maxAttempts: options.retries ?? 2,
      backoff: honouringRetryAfter(
        new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 200, maxDelay: MAX_RETRY_DELAY_MS }),
      ),
    },
  );
  const contextFor = (s: S, p: Pool, signal?: AbortSignal): AuthContext => ({
    dispatcher: p.agent,
    system: options.system,
    baseUrl: s.baseUrl,
    timeoutMs: s.timeoutMs,
    signal,
    makeError: options.makeError,
  });

  const attempt = async (
    req: UpstreamRequest<K>,
    s: S,
    p: Pool,
    idempotent: boolean,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse & { credential?: string }> => {
    // checked once a connection is ours: the wait for it may have outlasted the delivery attempt
    if (!idempotent) refuseIfAbandoned();
    // a login serves every call waiting for it: only the caller's own signal may end it
    const ctx = contextFor(s, p, req.signal);
    const once = async (authHeaders: Record<string, string>) =>
      exchange(p.agent, {
        system: options.system,
        method: req.method,
        baseUrl: s.baseUrl,
        path: req.path,
        query: req.query,
        timeoutMs: s.timeoutMs,
        signal,
        makeError: options.makeError,
        recordedBody: req.recordedBody,
        recordResponse: req.recordResponse,
        reuseParsed: req.reuseParsed,
        headers: {
          ...authHeaders,
          accept: 'application/json',
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
    const first = await auth.authorize(ctx, req.credential);
    const res = await once(first.headers);
    // a refusal comes before the handler runs, so replaying even a POST once is safe
    if (!refusal(res) || !auth.refused(first.credential, req.credential))
      return { ...res, credential: first.credential };
    const second = await auth.authorize(ctx, req.credential);
    return { ...(await once(second.headers)), credential: second.credential };
  };

  const send = async <T>(req: UpstreamRequest<K>): Promise<UpstreamResponse<T>> => {
    // a write (anything but a GET or a request marked as a read) waits for its attempt's accept to be on disk
    const accepted = req.method === 'GET' || req.read ? undefined : writesMayGo();
    if (accepted) await accepted;
    const idempotent = req.retry ?? req.method === 'GET';
    // a read ends with the delivery attempt it is made for (attempt-scope.ts); a write never does
    const signal = req.signal ?? (req.method === 'GET' || req.read ? attemptReadSignal() : undefined);
    // once a try may have reached the server, a later try refused while connecting says nothing
    // of whether this call landed (UpstreamError.neverSent)
    let mayHaveReached = false;
    const run = async () => {
      try {
        return await tryOnce();
      } catch (err) {
        if (err instanceof UpstreamError) {
          if (mayHaveReached) err.neverSent = false;
          else if (!err.neverSent) mayHaveReached = true;
        }
        throw err;
      }
    };
    const tryOnce = async () => {
      const s = current();
      const p = pools.for(s);
      const res = await p.limiter.execute(inCallersContext(p.limiter, () => attempt(req, s, p, idempotent, signal)));
      if ((res.status >= 200 && res.status < 300) || res.status === 304 || req.accept?.includes(res.status)) {
        const answer = { status: res.status, body: res.body as T, headers: res.headers };
        req.decodeAnswer?.(answer, res.credential);
        return answer;
      }
      if (res.status >= 300 && res.status < 400)
        throw redirectError({
          system: options.system,
          method: req.method,
          path: req.path,
          status: res.status,
          location: res.headers.location,
          make: options.makeError,
        });
      throw withRetryAfter(options.decodeError(res.status, res.body, req.method, req.path), res);
    };
    // waited on from here until its last retry ends, queued for a connection or not (noteAsking)
    const answered = noteAsking(options.system);
    try {
      return idempotent ? await retryPolicy.execute(run, signal) : await run();
    } finally {
      answered();
    }
  };

  return {
    send,
    async call<T>(req: UpstreamRequest<K>): Promise<T> {
      return (await send<T>(req)).body;
    },
    settings: current,
    authContext: () => {
      const s = current();
      return contextFor(s, pools.for(s));
    },
    auth,
    reconfigure(next: S) {
      override = next;
      auth.reset();
      pools.for(next);
    },
    close: () => pools.close(),
  };
}

/**
 * `fn` as the bulkhead should run it: in the async context of the caller. A call that has to wait
 * for a connection is started by the call that frees one (cockatiel runs its queue from that
 * call's `finally`), so without the binding it ran in the releasing call's context: its
 * orchestration was recorded in that caller's OpenHIM transaction, and the outbox attempt it was
 * checked against (attempt-scope.ts) was the other one's. Bound only when it will wait: binding
 * makes an async resource, and a call that gets a connection at once runs in its own context.
 */
function inCallersContext<T>(limiter: BulkheadPolicy, fn: () => Promise<T>): () => Promise<T> {
  return limiter.executionSlots > 0 ? fn : AsyncResource.bind(fn);
}
