import { sameContent } from '../domain/same-content.js';
import type { Json } from './codecs/common.js';

/** Values remembered; past this the longest unchanged are dropped (about 5 KB each). */
const MAX_VALUES = 2_000;

/**
 * The resources a search answers, encoded again only when their domain value changed (issue 18:
 * encoding 20 Locations and hashing each for its versionId was most of a 20-item search's own
 * work, and a facility list rarely changes between two searches). A value equal in content
 * (domain/same-content.ts) to the one last encoded under the same key gets those resources again,
 * versionId already hashed; anything else is encoded. Only for encoders that are pure functions
 * of (FHIR version, value): the caller names those.
 *
 * The resources are shared by every answer that reuses them, so they are frozen: a caller that
 * changes an answered resource in place fails at once instead of changing the next answer.
 * The remembered value is the caller's: values handed here are not changed afterwards (searches
 * build a new value for every answer).
 */
export class EncodedResources {
  private readonly last = new Map<string, { value: unknown; resources: Json[] }>();

  constructor(private readonly maxValues = MAX_VALUES) {}

  encode(key: string, value: unknown, encode: () => Json[]): Json[] {
    const known = this.last.get(key);
    if (known && sameContent(known.value, value)) return known.resources;
    const resources = encode().map(deepFreeze);
    // a changed or new key goes to the end (Map order): the keys dropped first are those whose
    // value was encoded longest ago
    this.last.delete(key);
    this.last.set(key, { value, resources });
    if (this.last.size > this.maxValues) this.last.delete(this.last.keys().next().value as string);
    return resources;
  }

  get size(): number {
    return this.last.size;
  }
}

/** Freezes plain data: accessors (meta.versionId, hashed when first read) keep working. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d && 'value' in d) deepFreeze(d.value);
  }
  return Object.freeze(value);
}
