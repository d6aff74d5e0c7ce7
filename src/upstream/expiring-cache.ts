import { outsideAttempt } from './attempt-scope.js';

/**
 * A small async cache whose entries expire: reference data changes rarely, but it does change
 * (a new facility, a new orderable version), so nothing is kept forever. Concurrent misses for
 * one key share a single load, and failed loads are not cached.
 */
export class ExpiringCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; expires: number }>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value as Promise<T>;
    // shared by every caller until it expires: no delivery attempt's end may cut it short
    const value = outsideAttempt(load);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs() });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
