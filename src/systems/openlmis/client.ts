import { ExponentialBackoff, bulkhead, handleWhen, retry, type BulkheadPolicy, type RetryPolicy } from 'cockatiel';
import { Agent } from 'undici';
import { isTransient } from '../../domain/errors.js';
import { createTokenSource, type TokenSource } from './auth.js';
import { decodeLmisError } from './errors.js';
import { exchange, type RawResponse } from './http.js';
import type { LmisClient, LmisRequest, LmisResponse, OpenLmisSettings } from './api.js';
import { collectPages } from './paging.js';

/**
 * The OpenLMIS HTTP client (api.ts LmisClient): keep-alive pool, per-call deadline, a concurrency
 * limit, one fresh login on 401, retries of idempotent calls on transient failures, decoded errors.
 * Order of wrapping: retry (outermost, so back-off waits hold no slot) → bulkhead → auth → exchange.
 */
export interface LmisClientOptions {
  /** Retries after the first attempt for idempotent calls (default 2). */
  retries?: number;
  /** First back-off delay (default 200 ms; exponential with jitter, capped at 2 s). */
  retryDelayMs?: number;
}

interface Pool {
  agent: Agent;
  limiter: BulkheadPolicy;
  key: string;
}

function newPool(s: OpenLmisSettings): Pool {
  const connections = Math.max(1, s.concurrency);
  return {
    agent: new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections, connect: { timeout: s.timeoutMs } }),
    // an unbounded queue: callers wait their turn instead of failing, the outbox deadline bounds the wait
    limiter: bulkhead(connections, Number.POSITIVE_INFINITY),
    key: `${s.baseUrl}|${connections}|${s.timeoutMs}`,
  };
}

export function createLmisClient(settings: () => OpenLmisSettings, options: LmisClientOptions = {}): LmisClient {
  let override: OpenLmisSettings | undefined;
  const current = () => override ?? settings();
  let pool = newPool(current());
  const retired: Agent[] = [];
  const poolFor = (s: OpenLmisSettings): Pool => {
    if (pool.key !== `${s.baseUrl}|${Math.max(1, s.concurrency)}|${s.timeoutMs}`) {
      retired.push(pool.agent);
      pool = newPool(s);
    }
    return pool;
  };
  const tokens: TokenSource = createTokenSource(current, () => pool.agent);
  const retryPolicy: RetryPolicy = retry(handleWhen((err) => isTransient(err)), {
    maxAttempts: options.retries ?? 2,
    backoff: new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 200, maxDelay: 2_000 }),
  });

  const attempt = async (req: LmisRequest, s: OpenLmisSettings, p: Pool): Promise<RawResponse> => {
    const once = async (token: string) => exchange(p.agent, {
      method: req.method, baseUrl: s.baseUrl, path: req.path, query: req.query, timeoutMs: s.timeoutMs, signal: req.signal,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(req.idempotencyKey ? { 'idempotency-key': req.idempotencyKey } : {}),
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    const kind = req.token ?? 'user';
    const token = await tokens.get(kind);
    const first = await once(token);
    // a 401 is refused before the handler runs, so replaying even a POST once is safe
    if (first.status !== 401 || !tokens.refused(kind, token)) return first;
    return once(await tokens.get(kind));
  };

  const send = async <T>(req: LmisRequest): Promise<LmisResponse<T>> => {
    const run = async () => {
      const s = current();
      const p = poolFor(s);
      const res = await p.limiter.execute(() => attempt(req, s, p));
      if ((res.status >= 200 && res.status < 300) || res.status === 304 || req.accept?.includes(res.status)) {
        return { status: res.status, body: res.body as T, headers: res.headers };
      }
      throw decodeLmisError(res.status, res.body, req.method, req.path);
    };
    const idempotent = req.retry ?? req.method === 'GET';
    return idempotent ? retryPolicy.execute(run, req.signal) : run();
  };

  const client: LmisClient = {
    send,
    async call<T>(req: LmisRequest): Promise<T> {
      return (await send<T>(req)).body;
    },
    all<T>(req: Omit<LmisRequest, 'method'> & { pageSize?: number }): Promise<T[]> {
      const { pageSize, ...rest } = req;
      return collectPages<T>((page, size) => client.call<unknown>({ ...rest, method: 'GET', query: { ...rest.query, page, size } }), pageSize ?? 500, req.path);
    },
    userId: () => tokens.userId(),
    reconfigure(next: OpenLmisSettings) {
      override = next;
      tokens.reset();
      poolFor(next);
    },
    async close() {
      await Promise.allSettled([pool.agent.close(), ...retired.splice(0).map((a) => a.close())]);
    },
  };
  return client;
}
