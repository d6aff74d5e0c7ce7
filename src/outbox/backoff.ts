import type { BackoffOptions } from './types.js';

/**
 * "Full jitter" (AWS architecture blog, 2015): a uniform delay in [0, min(cap, base·2^(n-1))].
 * Spreads the retries of many jobs that failed together, so a recovering upstream is not hit by
 * a synchronised wave.
 */
export function retryDelayMs(
  attempt: number,
  opts: Pick<BackoffOptions, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * exp);
}
