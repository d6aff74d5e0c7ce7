import { sameContent } from './same-content.js';

/**
 * What was last derived from the value kept under each key (a hash, an encoding), derived again
 * only when the value changed in content (same-content.ts: conservative, so a reused result is
 * always what deriving again would give). Bounded: past `maxKeys` the key whose value was
 * derived longest ago is dropped.
 */
export class ContentMemo<R> {
  private readonly last = new Map<string, { value: unknown; derived: R }>();

  constructor(private readonly maxKeys: number) {}

  get(key: string, value: unknown, derive: () => R): R {
    const known = this.last.get(key);
    if (known && sameContent(known.value, value)) return known.derived;
    const derived = derive();
    // a changed or new key goes to the end (Map order), so the first key is the longest unchanged
    this.last.delete(key);
    this.last.set(key, { value, derived });
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value as string);
    return derived;
  }

  get size(): number {
    return this.last.size;
  }
}
