/** Exponential backoff with "full jitter" (AWS architecture blog): spreads replicas that start together. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0..1 source of randomness; injectable for tests. */
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const factor = options.factor ?? 2;
  const ceiling = Math.min(max, initial * factor ** Math.max(0, attempt));
  const random = options.random ?? Math.random;
  // never below half the ceiling: a restarted OpenHIM is not hammered by zero-delay retries
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
