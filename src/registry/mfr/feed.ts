import type { Query } from '../../upstream/http.js';
import { malformedAnswer } from '../../upstream/errors.js';
import { REGISTRY, makeRegistryError } from './errors.js';
import type { BundlePage } from './bundle.js';
import type { RegistryRecord } from './types.js';

/**
 * The two change feeds, as record batches oldest first with a high-water mark each.
 *
 * History (mCSD Update Option, ITI-91): `Location/_history?_since=` pages. FHIR orders history
 * newest first, so a safe per-page cursor needs the whole answer: every page is read, put in time
 * order (versions of one Location stay in order, so the last one wins), then cut into batches.
 *
 * `_lastUpdated` search: `Location?_lastUpdated=ge…&_sort=_lastUpdated`. Each batch is a fresh
 * search from the newest instant seen (keyset paging): offset paging over a live list skips a
 * record whenever one before it changes and moves to the end. Only when a whole page sits at one
 * instant (a bulk import) does the feed follow `next` to get past it. Deletions are invisible to
 * this feed; the full read (listAll) is how they are confirmed.
 *
 * Both are inclusive (`_since` and `ge`): a restart from a cursor re-reads the records at that
 * instant rather than miss one that shared it. Cursors come from the registry's own
 * meta.lastUpdated, never this machine's clock.
 */
export interface PageReader {
  /** GET a path under the base (with `query`, or a `next` link's own query). */
  get(path: string, query?: Query): Promise<BundlePage>;
  records(page: BundlePage, fallbackInstant?: string): RegistryRecord[];
  pageSize: number;
}

export interface Batch {
  records: RegistryRecord[];
  cursor: string;
}

const instant = (s: string) => Date.parse(s);
const keyOf = (r: RegistryRecord) => `${r.id}\u0000${r.version}`;
/** Hard stop for a server whose `next` links never end. */
const MAX_PAGES = 100_000;

function later(a: string | undefined, b: string): string {
  return a === undefined || instant(b) > instant(a) ? b : a;
}

function tooManyPages(what: string) {
  return malformedAnswer(REGISTRY, `${what} kept paging past ${MAX_PAGES} pages`, makeRegistryError, 'too-costly');
}

/** Every page of one search or history answer, following `next`. */
export async function readAllPages(reader: PageReader, path: string, query: Query): Promise<BundlePage[]> {
  const pages: BundlePage[] = [];
  let page = await reader.get(path, query);
  pages.push(page);
  while (page.next) {
    if (pages.length >= MAX_PAGES) throw tooManyPages(`GET ${path}`);
    page = await reader.get(page.next);
    pages.push(page);
  }
  return pages;
}

/** Records in time order: oldest first, versions of one Location by versionId when instants tie. */
export function inTimeOrder(records: RegistryRecord[]): RegistryRecord[] {
  const list = [...records];
  // a newest-first answer reversed keeps each Location's versions in order before the stable sort
  if (list.length > 1 && instant(list[0].lastUpdated) > instant(list[list.length - 1].lastUpdated)) list.reverse();
  return list
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const d = instant(a.r.lastUpdated) - instant(b.r.lastUpdated);
      if (d !== 0) return d;
      if (a.r.id === b.r.id && /^\d+$/.test(a.r.version) && /^\d+$/.test(b.r.version))
        return Number(a.r.version) - Number(b.r.version);
      return a.i - b.i;
    })
    .map((x) => x.r);
}

function* inBatches(records: RegistryRecord[], size: number): Generator<Batch> {
  for (let i = 0; i < records.length; i += size) {
    const batch = records.slice(i, i + size);
    yield { records: batch, cursor: batch[batch.length - 1].lastUpdated };
  }
}

function historyRecords(reader: PageReader, pages: BundlePage[]): RegistryRecord[] {
  const out: RegistryRecord[] = [];
  // a deletion without lastModified takes the instant of the entry before it in the answer
  let previous: string | undefined;
  for (const page of pages)
    for (const r of reader.records(page, previous)) {
      out.push(r);
      previous = r.lastUpdated;
    }
  return out;
}

export async function* historyFeed(reader: PageReader, cursor: string | undefined, first?: BundlePage) {
  const query: Query = { _since: cursor, _count: reader.pageSize };
  const pages = first ? [first] : [await reader.get('/Location/_history', query)];
  while (pages[pages.length - 1].next) {
    if (pages.length >= MAX_PAGES) throw tooManyPages('GET /Location/_history');
    pages.push(await reader.get(pages[pages.length - 1].next!));
  }
  assertWhole(pages);
  yield* inBatches(inTimeOrder(unique(historyRecords(reader, pages))), reader.pageSize);
}

/**
 * History comes newest first, so an answer cut short (a page with fewer entries and no `next`, a
 * proxy's truncated page) loses the oldest changes, and the mark set from what was read would step
 * over them for good. Fewer entries than the first page's Bundle.total is refused (the run fails,
 * the mark stays); more is fine (changes made during the read shift entries onto two pages).
 */
function assertWhole(pages: BundlePage[]): void {
  const total = pages[0].total;
  const listed = pages.reduce((n, p) => n + p.entries.length, 0);
  if (total !== undefined && listed < total)
    throw malformedAnswer(
      REGISTRY,
      `GET /Location/_history listed ${listed} of the ${total} versions its Bundle.total counts (a page cut short, or a next link missing): nothing of it is taken and the high-water mark stays`,
      makeRegistryError,
      'transient',
    );
}

/**
 * Each version once: offset paging over a newest-first history shifts by one for every change
 * made while it is read, so an entry can come on two pages (never on none).
 */
function unique(records: RegistryRecord[]): RegistryRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(keyOf(r)) && !!seen.add(keyOf(r)));
}

function ascending(records: RegistryRecord[]): boolean {
  for (let i = 1; i < records.length; i++)
    if (instant(records[i].lastUpdated) < instant(records[i - 1].lastUpdated)) return false;
  return true;
}

export async function* lastUpdatedFeed(reader: PageReader, cursor: string | undefined): AsyncGenerator<Batch> {
  const search = (since: string | undefined): Query => ({
    _lastUpdated: since === undefined ? undefined : `ge${since}`,
    _sort: '_lastUpdated',
    _count: reader.pageSize,
  });
  const seen = new Set<string>();
  let since = cursor;
  let next: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = next ? await reader.get(next) : await reader.get('/Location', search(since));
    const records = reader.records(page);
    if (!ascending(records)) {
      // the server ignored _sort: keyset paging would skip, so read the whole answer and sort it
      const rest = page.next ? await readAllPages(reader, page.next, {}) : [];
      const all = [records, ...rest.map((p) => reader.records(p))].flat().filter((r) => !seen.has(keyOf(r)));
      yield* inBatches(inTimeOrder(all), reader.pageSize);
      return;
    }
    const fresh = records.filter((r) => !seen.has(keyOf(r)));
    for (const r of fresh) seen.add(keyOf(r));
    const newest = records.reduce<string | undefined>((m, r) => later(m, r.lastUpdated), since);
    if (fresh.length) yield { records: fresh, cursor: newest! };
    if (!page.next) return;
    if (fresh.length && (since === undefined || instant(newest!) > instant(since))) {
      since = newest;
      next = undefined;
    } else next = page.next; // a page all at one instant already seen: page on through the ties
  }
  throw tooManyPages('GET /Location?_lastUpdated');
}
