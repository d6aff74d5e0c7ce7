import { contentVersion } from '../domain/ids.js';
import { ContentMemo } from '../domain/content-memo.js';
import { sameContent } from '../domain/same-content.js';

// (moved to domain/: the FHIR edge reuses encodings by it too)
export { sameContent };

/** Ids remembered; past this the longest unchanged are dropped (a few MB at most). */
const MAX_IDS = 5_000;

/**
 * How long a first sighting read from the store is answered without reading it again, on the
 * embedded SQLite store, which one mediator process serves: nothing can move a sighting on unseen
 * there, since the store changes one only when the version changes, and a changed value is a new
 * entry here, sent to the store. The bound is for another process opening the same file anyway.
 */
export const SIGHTING_TRUST_MS = 1_000;

/**
 * The trust for a store: none on PostgreSQL, where several instances share the store. One that
 * sees A → B → A while this one sees only A moves A's sighting later; answering the earlier time
 * from memory would let an incremental download (`_lastUpdated=gt` the time of its last request,
 * made through the other instance) skip the change back for good. There every search reads.
 */
export function sightingTrustMs(store: { readonly engine?: string }): number {
  return store.engine === 'sqlite' ? SIGHTING_TRUST_MS : 0;
}

/** One id's current version, and the first sighting of that version the store last answered. */
export interface Sighting {
  readonly version: string;
  /** Epoch ms the store answered as this version's first sighting; absent until it was read. */
  seenAt?: number;
  /** When (monotonic ms, performance.now()) seenAt was read from the store. */
  readAt?: number;
  /** The last value stamped with a sighting of this version (SeenVersions.stamped). */
  stamped?: { item: unknown; at: number; value: unknown };
}

/**
 * The content versions of what searches return, without hashing again what has not changed (issue
 * 18: the canonical JSON and SHA-256 of every match were the largest per-item cost of a Location
 * search the routing layer adds). A value equal, member by member, to the one last hashed under the
 * same FHIR id has that one's version; anything else is hashed. Equality is decided the way
 * canonicalJson would see it (undefined members absent, key order ignored) and is conservative:
 * whatever it is unsure of (class instances, NaN, an undefined array item) counts as changed and is
 * hashed, so a version given out is always contentVersion(value).
 *
 * Beside each version it keeps the first sighting the store answered for it, so that a search
 * whose every match is unchanged need not read content_seen again (issue 18: that read was 45-120
 * µs of a 20-item search), trusted for `trustMs` (SIGHTING_TRUST_MS).
 */
export class SeenVersions {
  private readonly memo: ContentMemo<Sighting>;

  constructor(
    maxIds = MAX_IDS,
    private readonly trustMs = SIGHTING_TRUST_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.memo = new ContentMemo(maxIds);
  }

  version(id: string, value: unknown): string {
    return this.sighting(id, value).version;
  }

  /**
   * The id's sighting record for this value: a changed value gets a new record (no seenAt), so a
   * sighting is only ever answered for the version it was read for.
   */
  sighting(id: string, value: unknown): Sighting {
    return this.memo.get(id, value, () => ({ version: contentVersion(value) }));
  }

  /** The remembered first sighting, while it is trusted; undefined means: ask the store. */
  trusted(s: Sighting): number | undefined {
    return s.readAt !== undefined && this.clock() - s.readAt < this.trustMs ? s.seenAt : undefined;
  }

  /**
   * `item` stamped with its first sighting `at` (`stamp` makes the copy): the same object again
   * while the item and the time are unchanged, so what is derived from it downstream is found by
   * identity (issue 18: encoded-resources.ts compared a fresh copy of every match member by
   * member, each search). Only for a frozen item, one its connector shares between searches
   * (decoded-facilities.ts); the copy is frozen too, so nobody can change it for the next search.
   */
  stamped<T>(s: Sighting, item: T, at: number, stamp: () => T): T {
    if (!Object.isFrozen(item)) return stamp();
    const last = s.stamped;
    if (last && last.item === item && last.at === at) return last.value as T;
    const value = Object.freeze(stamp());
    s.stamped = { item, at, value };
    return value;
  }

  /** What the store just answered as the first sighting of `s.version`. */
  read(s: Sighting, seenAt: number | undefined): void {
    s.seenAt = seenAt;
    s.readAt = seenAt === undefined ? undefined : this.clock();
  }
}
