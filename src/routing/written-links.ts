import type { ResourceLink, Store } from '../store/types.js';
import { SIGHTING_TRUST_MS } from './seen-versions.js';

/** Pages remembered; past this the longest unused is dropped. */
const MAX_PAGES = 64;

/** The store as this memo uses it: `linkWrites` where the engine counts its link writes. */
type LinkStore = Pick<Store, 'linksToUpstream' | 'engine' | 'linkWrites'>;

interface Answer {
  /** The store's link-write count before the read. */
  writes: number;
  /** When (monotonic ms) it was read. */
  readAt: number;
  links: readonly ResourceLink[];
}

/**
 * The links writes gave a search page's upstream objects (RoutedFlow.withWrittenIds), read again
 * only when they may have changed (issue 18: on an unchanged facility list every search read the
 * same empty answer, an IN query over 20 ids and a read transaction's two lock syscalls).
 *
 * Only on the embedded SQLite store, which counts the writes of this process to resource_links
 * (`linkWrites`, bumped inside each write, before its COMMIT): an answer is reused while that
 * count has not moved since before it was read, and for at most `trustMs` (the bound for another
 * process opening the same file, a `cli outbox` replay, as for remembered sightings). On
 * PostgreSQL several instances write the links, so every search reads, as before.
 */
export class WrittenLinks {
  private readonly last = new Map<string, Answer>();

  constructor(
    private readonly store: LinkStore,
    private readonly trustMs = SIGHTING_TRUST_MS,
    private readonly clock: () => number = () => performance.now(),
    private readonly maxPages = MAX_PAGES,
  ) {}

  async of(flow: string, system: string, upstreamIds: string[]): Promise<readonly ResourceLink[]> {
    const writes = this.writeCount();
    if (writes === undefined) return this.store.linksToUpstream(flow, system, upstreamIds);
    const key = `${flow}\n${system}\n${upstreamIds.join('\n')}`;
    const known = this.last.get(key);
    if (known && known.writes === writes && this.clock() - known.readAt < this.trustMs) {
      // used again: the last to be dropped
      this.last.delete(key);
      this.last.set(key, known);
      return known.links;
    }
    const readAt = this.clock();
    // frozen: the answer is handed to every search of this page while it is trusted
    const links = Object.freeze(
      (await this.store.linksToUpstream(flow, system, upstreamIds)).map((l) => Object.freeze(l)),
    );
    this.last.delete(key);
    this.last.set(key, { writes, readAt, links });
    if (this.last.size > this.maxPages) this.last.delete(this.last.keys().next().value as string);
    return links;
  }

  /** The store's link-write count, where answers may be reused; undefined: always read. */
  private writeCount(): number | undefined {
    if (this.store.engine !== 'sqlite' || this.trustMs <= 0 || typeof this.store.linkWrites !== 'function')
      return undefined;
    return this.store.linkWrites();
  }
}
