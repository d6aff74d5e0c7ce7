import { noteJoining, sharedLoad, type SharedLoad } from './attempt-scope.js';

/**
 * A small async cache whose entries expire: reference data changes rarely, but it does change
 * (a new facility, a new orderable version), so nothing is kept forever. Concurrent misses for
 * one key share a single load, and failed loads are not cached.
 */
export class ExpiringCache {
  private readonly entries = new Map<string, { load: SharedLoad<unknown>; expires: number; settled: boolean }>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) {
      // joining a load under way: a write's checks name whom it waits on (routing/checks-deadline.ts)
      if (!hit.settled) noteJoining(hit.load);
      return hit.load.value as Promise<T>;
    }
    // shared by every caller until it expires: no delivery attempt's end may cut it short
    const shared = sharedLoad(load);
    const entry = { load: shared, expires: this.now() + this.ttlMs(), settled: false };
    this.entries.set(key, entry);
    shared.value.then(
      () => (entry.settled = true),
      () => {
        entry.settled = true;
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return shared.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
