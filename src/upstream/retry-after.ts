import type { IBackoff, IBackoffFactory, IRetryBackoffContext } from 'cockatiel';
import type { UpstreamError } from '../domain/errors.js';

/**
 * An upstream that says when to ask again (RFC 9110 §10.2.3 Retry-After, on a 429 or a 503:
 * delay-seconds or an HTTP-date) is not asked sooner. The decoded error carries the instant as
 * `notBefore`; the client's own retries wait at least until then and do not retry within the call
 * when that is further than their longest back-off (the outbox then reschedules the job no
 * earlier, outbox.ts), so a throttling gateway is never hammered.
 */

/**
 * The longest wait a Retry-After is honoured for. A gateway's maintenance notice may say hours; a
 * date years ahead (a misconfigured proxy, a clock gone wrong) would park a job where no
 * operator looks, so beyond a day the outbox's own back-off and attempt count take over again.
 */
export const RETRY_AFTER_LIMIT_MS = 24 * 3_600_000;

/** The instant (epoch ms) a Retry-After header names, at most a day ahead; undefined when absent or unreadable. */
export function retryAfterInstant(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  // an HTTP-date, in any of its three forms, starts with the day's name (RFC 9110 §5.6.7)
  const at = /^\d+$/.test(value) ? now + Number(value) * 1000 : /^[A-Za-z]/.test(value) ? Date.parse(value) : NaN;
  return Number.isFinite(at) ? Math.min(at, now + RETRY_AFTER_LIMIT_MS) : undefined;
}

/**
 * A throttled or unavailable answer's Retry-After, kept on its error as `notBefore`: for a call's
 * answer (client.ts) and for a login's (a token endpoint, a login query), which a gateway
 * throttles the same way.
 */
export function withRetryAfter<E extends UpstreamError>(
  err: E,
  res: { status: number; headers: Record<string, string | string[] | undefined> },
): E {
  if (res.status !== 429 && res.status !== 503) return err;
  const at = retryAfterInstant(res.headers['retry-after']);
  if (at !== undefined) err.notBefore = at;
  return err;
}

/** The `notBefore` an error carries (on itself or its cause), if it is still ahead. */
export function notBeforeOf(err: unknown, now = Date.now()): number | undefined {
  for (let e = err as { notBefore?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.notBefore === 'number' && e.notBefore > now) return e.notBefore;
    e = e.cause as typeof e;
  }
  return undefined;
}

type Context = IRetryBackoffContext<unknown>;

/** A back-off that waits at least as long as the last failure's Retry-After asked. */
export function honouringRetryAfter(inner: IBackoffFactory<Context>): IBackoffFactory<Context> {
  return {
    next(context: Context): IBackoff<Context> {
      const backoff = inner.next(context);
      const asked = 'error' in context.result ? notBeforeOf(context.result.error) : undefined;
      const wait = asked === undefined ? 0 : asked - Date.now();
      return { duration: Math.max(backoff.duration, wait), next: (c) => honouringRetryAfter(backoff).next(c) };
    },
  };
}
