import { noteAsking } from '../../upstream/attempt-scope.js';
import { createUpstreamClient } from '../../upstream/client.js';
import { openLmisAuth, type OpenLmisAuth } from './auth.js';
import { LMIS, decodeLmisError, makeLmisError } from './errors.js';
import type { LmisClient, LmisRequest, LmisResponse, OpenLmisSettings, TokenKind } from './types.js';
import { unreadableAnswer } from './unreadable-answer.js';
import { collectPages } from './paging.js';

/**
 * The OpenLMIS client (types.ts LmisClient): the shared transport (upstream/client.ts: pool,
 * deadline, bulkhead, one fresh login on 401, retries of idempotent calls) with OpenLMIS's
 * credentials, error shapes, Idempotency-Key header and Spring pages.
 */
export interface LmisClientOptions {
  /** Retries after the first attempt for idempotent calls (default 2). */
  retries?: number;
  /** First back-off delay (default 200 ms; exponential with jitter, capped at 2 s). */
  retryDelayMs?: number;
}

export function createLmisClient(settings: () => OpenLmisSettings, options: LmisClientOptions = {}): LmisClient {
  let auth: OpenLmisAuth | undefined;
  const upstream = createUpstreamClient<OpenLmisSettings, TokenKind>({
    system: LMIS,
    settings,
    auth: (current) => (auth = openLmisAuth(current)),
    decodeError: decodeLmisError,
    makeError: makeLmisError,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
  });
  // `call` wants the DTO, so an empty 2xx body is no answer either; `send` takes a 204 as one
  const sendExpecting = (req: LmisRequest, bodyDue: boolean) =>
    upstream.send({
      method: req.method,
      path: req.path,
      query: req.query,
      body: req.body,
      retry: req.retry,
      signal: req.signal,
      accept: req.accept,
      reuseParsed: req.reuseParsed,
      credential: req.token ?? 'user',
      headers: req.idempotencyKey ? { 'idempotency-key': req.idempotencyKey } : undefined,
      decodeAnswer: (res) => {
        const err = unreadableAnswer(req.method, req.path, res, bodyDue, req.carries, req.listed);
        if (err) throw err;
      },
    });
  const send = <T>(req: LmisRequest) => sendExpecting(req, false) as Promise<LmisResponse<T>>;

  const client: LmisClient = {
    send,
    async call<T>(req: LmisRequest): Promise<T> {
      return (await sendExpecting(req, true)).body as T;
    },
    all<T>(req: Omit<LmisRequest, 'method'> & { pageSize?: number }): Promise<T[]> {
      const { pageSize, ...rest } = req;
      return collectPages<T>(
        (page, size) => client.call<unknown>({ ...rest, method: 'GET', query: { ...rest.query, page, size } }),
        pageSize ?? 500,
        req.path,
      );
    },
    // its login, when no call made the token yet, goes out outside the client's calls: a call of
    // OpenLMIS the attempt waits on all the same (attempt-scope.ts noteAsking), or a hung login is
    // nobody's and a timed-out attempt names another system still unanswered
    async userId() {
      const answered = noteAsking(LMIS);
      try {
        return await auth!.userId(upstream.authContext());
      } finally {
        answered();
      }
    },
    reconfigure: (next) => upstream.reconfigure(next),
    close: () => upstream.close(),
  };
  return client;
}
