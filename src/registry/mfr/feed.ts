import type { Query } from '../../upstream/http.js';
import { malformedAnswer } from '../../upstream/errors.js';
import { REGISTRY, RegistryError, makeRegistryError } from './errors.js';
import type { BundlePage } from './bundle.js';
import { isUndated, type HistoryEntry } from './record.js';
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
  /** A search page's records. */
  records(page: BundlePage): RegistryRecord[];
  /** A history page's entries, deletions without response.lastModified among them. */
  historyEntries(page: BundlePage): HistoryEntry[];
  pageSize: number;
  /** Told when a pull ends with the high-water mark kept where it was (feed-held.ts reports it). */
  markHeld?(held: MarkHeld): void;
}

/**
 * A pull that takes what it read but keeps the mark: 'list-moved', a registry ignoring `_sort`
 * whose list moved during each whole read; 'kept-changing', a search from one mark issued again
 * MAX_REREADS times; 'uncounted', a whole read of more than one page from a registry giving no
 * count at all, which nothing proves whole (uncountedRead). A registry doing any of these on every
 * pull never lets the mark move: unseen, its feed stalls while each run looks fine or fails as
 * transient, so each one is logged and counted.
 */
export interface MarkHeld {
  reason: 'list-moved' | 'kept-changing' | 'uncounted';
  /** The mark kept (undefined: the first pull, nothing stored yet). */
  mark: string | undefined;
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
  return versionsInOrder(byInstant(newestFirst(records) ? [...records].reverse() : records));
}

/**
 * Whether an answer lists newest first: by its first and last instants, else (all at one instant)
 * by the versionIds of a Location listed twice, else as FHIR orders history (newest first).
 */
function newestFirst(entries: HistoryEntry[]): boolean {
  const dated = entries.filter((e): e is RegistryRecord => !isUndated(e));
  if (dated.length > 1) {
    const d = instant(dated[0].lastUpdated) - instant(dated[dated.length - 1].lastUpdated);
    if (d !== 0) return d > 0;
  }
  const firstRank = new Map<string, number>();
  for (const e of entries) {
    const rank = rankOf(e);
    if (rank === undefined) continue;
    const seen = firstRank.get(e.id);
    if (seen === undefined) firstRank.set(e.id, rank);
    else if (seen !== rank) return rank < seen;
  }
  return true;
}

/** A numeric versionId (an etag's for a deletion), the order of one Location's versions. */
function rankOf(e: HistoryEntry): number | undefined {
  return e.version !== undefined && /^\d+$/.test(e.version) ? Number(e.version) : undefined;
}

/** Stable: records at one instant keep the order they are in. */
function byInstant(records: RegistryRecord[]): RegistryRecord[] {
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => instant(a.r.lastUpdated) - instant(b.r.lastUpdated) || a.i - b.i)
    .map((x) => x.r);
}

/**
 * Within each run of records at one instant, each Location's numbered versions in versionId order,
 * in the places its versions hold (other Locations', and unnumbered ones, stay where they are).
 */
function versionsInOrder(records: RegistryRecord[]): RegistryRecord[] {
  const out = [...records];
  for (let start = 0; start < out.length;) {
    let end = start + 1;
    while (end < out.length && instant(out[end].lastUpdated) === instant(out[start].lastUpdated)) end++;
    const slots = new Map<string, number[]>();
    for (let i = start; i < end; i++)
      if (rankOf(out[i]) !== undefined) slots.set(out[i].id, [...(slots.get(out[i].id) ?? []), i]);
    for (const places of slots.values()) {
      const ordered = places.map((i) => out[i]).sort((a, b) => rankOf(a)! - rankOf(b)!);
      places.forEach((place, k) => (out[place] = ordered[k]));
    }
    start = end;
  }
  return out;
}

function* inBatches(records: RegistryRecord[], size: number): Generator<Batch> {
  for (let i = 0; i < records.length; i += size) {
    const batch = records.slice(i, i + size);
    yield { records: batch, cursor: batch[batch.length - 1].lastUpdated };
  }
}

/**
 * The whole history answer as records, oldest first. A deletion the server gave no
 * response.lastModified is placed in time by its neighbours once the answer is oldest first: it
 * happened after the entry before it (whose instant it takes: a cursor from it re-reads rather than
 * skips), else no earlier than the `_since` mark, else with the entry after it.
 */
function historyRecords(reader: PageReader, pages: BundlePage[], since: string | undefined): RegistryRecord[] {
  const answer = uniqueEntries(pages.flatMap((p) => reader.historyEntries(p)));
  const oldestFirst = newestFirst(answer) ? [...answer].reverse() : answer;
  return versionsInOrder(byInstant(placed(withoutRepeatedDeletions(oldestFirst), since)));
}

const isDeletion = (e: HistoryEntry | undefined) => !!e && (isUndated(e) || (!e.facility && !e.invalid));

/**
 * A Location cannot be deleted twice with no version between: an undated deletion right after
 * another deletion of the same Location is that deletion listed twice (pages shifted under the read).
 */
function withoutRepeatedDeletions(entries: HistoryEntry[]): HistoryEntry[] {
  const last = new Map<string, HistoryEntry>();
  return entries.filter((e) => {
    const repeated = isUndated(e) && e.version === undefined && isDeletion(last.get(e.id));
    last.set(e.id, e);
    return !repeated;
  });
}

function placed(entries: HistoryEntry[], since: string | undefined): RegistryRecord[] {
  const out: RegistryRecord[] = [];
  const previous = new Map<string, RegistryRecord>();
  let before: string | undefined;
  entries.forEach((e, i) => {
    let r: RegistryRecord;
    if (!isUndated(e)) r = e;
    else {
      const at = before ?? since ?? nextInstant(entries, i);
      if (at === undefined)
        throw malformedAnswer(
          REGISTRY,
          `history entry deleting Location/${e.id} has no response.lastModified and no entry of the answer dates it: its place in time is unknown`,
          makeRegistryError,
        );
      // without an etag, named after the version it deletes: the same deletion read again is one
      const prior = previous.get(e.id);
      const version = e.version ?? (prior ? `${prior.version}+deleted` : `deleted@${at}`);
      r = { id: e.id, version, lastUpdated: at };
    }
    if (!isUndated(e)) before = e.lastUpdated;
    previous.set(r.id, r);
    out.push(r);
  });
  return out;
}

function nextInstant(entries: HistoryEntry[], from: number): string | undefined {
  for (let i = from + 1; i < entries.length; i++) {
    const e = entries[i];
    if (!isUndated(e)) return e.lastUpdated;
  }
  return undefined;
}

export async function* historyFeed(reader: PageReader, cursor: string | undefined, first?: BundlePage) {
  const query: Query = { _since: cursor, _count: reader.pageSize };
  const pages = first ? [first] : [await reader.get('/Location/_history', query)];
  while (pages[pages.length - 1].next) {
    if (pages.length >= MAX_PAGES) throw tooManyPages('GET /Location/_history');
    pages.push(await reader.get(pages[pages.length - 1].next!));
  }
  assertWhole(pages);
  yield* inBatches(historyRecords(reader, pages, cursor), reader.pageSize);
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
 * made while it is read, so an entry can come on two pages (never on none). A deletion with
 * neither etag nor lastModified has no key: withoutRepeatedDeletions drops its second listing.
 */
function uniqueEntries(entries: HistoryEntry[]): HistoryEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    if (e.version === undefined) return true;
    const key = `${e.id}\u0000${e.version}`;
    return !seen.has(key) && !!seen.add(key);
  });
}

function ascending(records: RegistryRecord[]): boolean {
  for (let i = 1; i < records.length; i++)
    if (instant(records[i].lastUpdated) < instant(records[i - 1].lastUpdated)) return false;
  return true;
}

/**
 * Whether a page of the search from `since` holds every record the registry has from `since` up to
 * (not at) the page's newest instant, as it does when the registry sorts by _lastUpdated. A page
 * in order proves nothing: a registry that ignores `_sort` (some HAPI configurations, custom mCSD
 * servers) lists in its own order, and a page of records that happen to ascend would move the
 * search, and the mark, past older records on its later pages, for good. So the registry counts
 * that range (`_summary=count`); more than was read, or no count, is a registry not sorting.
 * `records` are every page of this one search so far, not just the last: paging on through a
 * bulk import's ties left the range's older records on earlier pages, and a registry that sorts
 * would otherwise be taken for one that does not and read by offset, which skips under changes.
 * A record read and changed since has left the range (its instant is new), so the count alone
 * can equal what was read while one record was never read (the change shifted the offset pages
 * past it): the registry also counts how many of the records read are still in the range, and
 * fewer is 'changed' (the search is issued again from `since`). A registry that gives no such
 * count (it refuses `_id`, or ignores it and counts the whole range) is 'unproven': the search is
 * read whole from `since`, as for one ignoring `_sort`.
 */
async function holdsAllBefore(
  reader: PageReader,
  since: string | undefined,
  newest: string,
  records: RegistryRecord[],
  idProbe: IdProbe,
): Promise<'holds' | 'changed' | 'unsorted' | 'unproven'> {
  const { range, total, ids } = await rangeCount(reader, since, newest, records);
  if (total === undefined || total > ids.length) return 'unsorted';
  const still = await stillInRange(reader, range, ids, idProbe);
  // no per-id count: a change that shifted the pages past an unread record cannot be ruled out
  if (still === undefined) return 'unproven';
  // every record in the range is one read and still there; else one read has left and one is unread
  return total <= still ? 'holds' : 'changed';
}

/**
 * The range from `since` up to (not at) `upTo`, what the registry counts in it, and the ids of the
 * Locations read there: what holdsAllBefore and nothingSkipped each compare (their per-id counts
 * asked by the caller, which knows when they are worth asking).
 */
async function rangeCount(reader: PageReader, since: string | undefined, upTo: string, records: RegistryRecord[]) {
  const range = since === undefined ? `lt${upTo}` : [`ge${since}`, `lt${upTo}`];
  const total = await countOf(reader, { _lastUpdated: range, _summary: 'count' });
  const ids = [...new Set(records.filter((r) => instant(r.lastUpdated) < instant(upTo)).map((r) => r.id))];
  return { range, total, ids };
}

/** Ids per `_id` count request: a URL stays well under a server's limit (8 KiB on Jetty). */
const IDS_PER_COUNT = 50;

/** Whether the registry filters counts by `_id`: asked once a pull (its answer does not change meanwhile). */
interface IdProbe {
  filters?: boolean;
}

/**
 * How many of `ids` the registry still lists in `range`; undefined when it gives no count or does
 * not filter by `_id`. A registry ignoring `_id` counts the whole range, which is the very total
 * this is checked against: the sum would hide a record that left the range. So it is first asked
 * to count one of the ids alone: more than one is a registry that ignores `_id` (the search that
 * came here had more than one page, so it holds more than one; 0 is an id deleted since, taken as
 * filtering, since a registry ignoring `_id` would have counted the whole search), and so is a
 * count above the ids asked.
 */
async function stillInRange(
  reader: PageReader,
  range: string | string[],
  ids: string[],
  idProbe: IdProbe,
): Promise<number | undefined> {
  if (ids.length === 0) return 0;
  idProbe.filters ??= await filtersById(reader, ids[0]);
  if (!idProbe.filters) return undefined;
  let n = 0;
  for (let i = 0; i < ids.length; i += IDS_PER_COUNT) {
    const part = ids.slice(i, i + IDS_PER_COUNT);
    const total = await countOf(reader, { _id: part.join(','), _lastUpdated: range, _summary: 'count' });
    if (total === undefined || total > part.length) return undefined;
    n += total;
  }
  return n;
}

async function filtersById(reader: PageReader, id: string): Promise<boolean> {
  const alone = await countOf(reader, { _id: id, _summary: 'count' });
  return alone !== undefined && alone <= 1;
}

/** Statuses of a registry refusing `_summary=count` itself (unknown or unsupported parameter). */
const NO_COUNT = [400, 422, 501];

/** A search's Bundle.total; undefined when the registry gives none or refuses to count. */
async function countOf(reader: PageReader, query: Query): Promise<number | undefined> {
  try {
    return (await reader.get('/Location', query)).total;
  } catch (err) {
    if (err instanceof RegistryError && !err.transient && NO_COUNT.includes(err.upstreamStatus ?? 0)) return undefined;
    throw err;
  }
}

/**
 * Searches issued again in a row from one mark, each finding a record read had changed, before
 * the pull ends: a registry whose records keep changing (a sync job rewriting them) would otherwise
 * repeat the search until MAX_PAGES, thousands of requests, and then fail with a misleading reason.
 */
const MAX_REREADS = 10;

function keptChanging(since: string | undefined) {
  const mark = since === undefined ? 'from the start' : `from ${since}`;
  return malformedAnswer(
    REGISTRY,
    `GET /Location?_lastUpdated: Locations kept changing while they were read (the search ${mark} was issued ${MAX_REREADS} times in a row and each time a Location read had changed since, so one may have been skipped): the changes before that instant are taken, the high-water mark stays at it and the next run goes on from there`,
    makeRegistryError,
    'transient',
  );
}

/** Full reads of an unsorted answer before the pull ends because the list changed under each. */
const WHOLE_READS = 3;

/**
 * The mark a first pull keeps when no whole read was proven: before any Location's instant, so
 * the next pull's `_lastUpdated=ge` search is the whole search again. A first pull of a registry
 * whose list moved under each read otherwise applied nothing and failed, run after run.
 */
export const FROM_THE_START = new Date(0).toISOString();

/** A held mark as told (feed-held.ts): FROM_THE_START is the start, as no mark is, held since the first pull held it. */
function heldMark(since: string | undefined): string | undefined {
  return since === FROM_THE_START ? undefined : since;
}

/**
 * A registry may keep its Locations' instants to the second while its search's instant has
 * milliseconds (OpenMRS on MySQL `datetime`, which rounds): a change made just after the search,
 * to a Location already read, can carry an instant before the search's. When every instant read
 * is a whole second, a whole read's marks stop a second before the search: that second is read
 * again, no such change is stepped over (a registry keeping milliseconds shows them).
 */
const INSTANT_RESOLUTION_MS = 1000;

function searchInstant(at: string | undefined, records: RegistryRecord[]): string | undefined {
  if (at === undefined) return undefined;
  const toTheSecond = records.every((r) => instant(r.lastUpdated) % INSTANT_RESOLUTION_MS === 0);
  return toTheSecond ? new Date(instant(at) - INSTANT_RESOLUTION_MS).toISOString() : at;
}

/** A whole answer, and the instant its batches' marks stop at (none: the newest instant read). */
interface Whole {
  records: RegistryRecord[];
  cap?: string;
}

/**
 * The whole answer of a search from `since` read by offset, when the registry does not sort. A
 * Location changed during the read may keep its place (HAPI lists by its own key): read in its old
 * version, then a later-listed one changes and is read, and a mark at the newest instant read would
 * step over the first's new version. So when the registry tells the instant the search was made
 * (`at`: its first page's Bundle.meta.lastUpdated, else its Date header), no mark of this read goes
 * past it: whatever changed during the read is at or after it, and the next pull reads it again (a
 * version read twice is applied as the same version). A Location changed, created or deleted
 * during the read can also shift the pages past an unchanged one never read: that is ruled out by
 * the registry counting the range before `at` against the Locations read there still in it (else,
 * without `_id` counts, its count of the search against the distinct Locations read and a second
 * read listing the same ones: steady()), and the answer is read again. Changes after `at` need no second read, so a busy registry makes progress;
 * after WHOLE_READS moved lists what was read is taken and the mark stays at `since` (a first pull's at FROM_THE_START). A registry
 * telling no `at` keeps the count check alone, and fails the pull when the list moves each time;
 * one giving no count at all proves no read of more than one page: the mark is held at once
 * (uncountedRead).
 * `started` is the first page already read, when the read may go on from it.
 */
async function wholeAnswer(
  reader: PageReader,
  query: Query,
  started: BundlePage | undefined,
  since: string | undefined,
  idProbe: IdProbe,
): Promise<Whole> {
  let last: Whole | undefined;
  let before: WholeRead | undefined; // the read before this one, for steady()
  for (let attempt = 1; attempt <= WHOLE_READS; attempt++) {
    const pages =
      attempt === 1 && started
        ? [started, ...(started.next ? await readAllPages(reader, started.next, {}) : [])]
        : await readAllPages(reader, '/Location', query);
    const records = pages.flatMap((p) => reader.records(p));
    const at = searchInstant(pages[0].at, records);
    const read: WholeRead = { pages, records, at, before };
    before = read;
    if (at === undefined) {
      if (pages.length === 1) return { records };
      const proof = await steady(reader, query, read);
      if (proof === 'uncounted') return uncountedRead(reader, records, since);
      if (proof) return { records, cap: provenTo(read.before!, since) };
      continue;
    }
    const cap = since !== undefined && instant(at) < instant(since) ? since : at;
    if (pages.length === 1) return { records, cap };
    const proof = await nothingSkipped(reader, query, read, since, at, idProbe);
    if (proof === 'uncounted') return uncountedRead(reader, records, since);
    if (proof) return { records, cap: proof === 'two-reads' ? provenTo(read.before!, since) : cap };
    last = { records, cap: since };
  }
  // the list moved under every read: what was read is applied, and the mark stays to read it again
  // (a first pull's, with no mark yet, at the start: the next pull reads the whole search again)
  reader.markHeld?.({ reason: 'list-moved', mark: heldMark(since) });
  if (last) return { records: last.records, cap: since ?? FROM_THE_START };
  throw malformedAnswer(
    REGISTRY,
    `GET /Location?_lastUpdated: the registry does not sort by _lastUpdated and its list changed during each of ${WHOLE_READS} whole reads (its count of the search differed from the Locations read): nothing of it is taken and the high-water mark stays`,
    makeRegistryError,
    'transient',
  );
}

/**
 * A whole read of more than one page from a registry that gives no count at all (no Bundle.total
 * on its pages, no `_summary=count` or a 400, 422 or 501 to it): nothing shows a Location was not
 * shifted off the pages. Two reads listing the same Locations prove nothing without counts: a
 * change moving one off the pages during the first and a deletion during the second skip the same
 * one. So what was read is applied and the mark stays (a first pull's at FROM_THE_START): each pull
 * reads again from the mark, at once rather than after WHOLE_READS reads no count could prove.
 */
function uncountedRead(reader: PageReader, records: RegistryRecord[], since: string | undefined): Whole {
  reader.markHeld?.({ reason: 'uncounted', mark: heldMark(since) });
  return { records, cap: since ?? FROM_THE_START };
}

/** One whole read of an unsorted answer, and the read before it in the same pull. */
interface WholeRead {
  pages: BundlePage[];
  records: RegistryRecord[];
  /** The instant the registry made the search, when it tells it. */
  at?: string;
  before?: WholeRead;
  /** Whether the registry's counts, asked after the read, equalled the distinct Locations read. */
  counted?: boolean | 'uncounted';
}

/**
 * Whether a whole read is proven to hold every Location without per-id counts: the registry's
 * counts (of each page, of the search) equal the distinct Locations read, the same held for the
 * read before it in this pull, and the two listed the same ones (sameLocations). The counts alone
 * miss a deletion during the read: a Location of a page already read deleted shifts an unchanged
 * one onto that page, never read, and the count drops by the one it hid. The earlier read's own
 * counts are needed too: a change moving a Location to another place in an unsorted list (a row's
 * new version stored elsewhere) skips one with the counts off, and a later read missing the same
 * one through a deletion would list the same Locations with its counts right.
 */
async function steady(reader: PageReader, query: Query, read: WholeRead): Promise<boolean | 'uncounted'> {
  read.counted = await countsMatch(reader, query, read);
  if (read.counted === 'uncounted') return 'uncounted';
  return read.counted && read.before?.counted === true && sameLocations(read.before, read.records);
}

/**
 * Whether the registry's counts of a whole read (each page's, then the search's) equal the
 * distinct Locations read; 'uncounted' when it gives none at all (uncountedRead).
 */
async function countsMatch(reader: PageReader, query: Query, read: WholeRead): Promise<boolean | 'uncounted'> {
  const ids = new Set(read.records.map((r) => r.id)).size;
  const totals = read.pages.flatMap((p) => (p.total === undefined ? [] : [p.total]));
  if (!totals.every((total) => total === ids)) return false;
  const total = await countOf(reader, { _lastUpdated: query._lastUpdated, _summary: 'count' });
  if (total === undefined) return totals.length > 0 || 'uncounted';
  return total === ids;
}

/**
 * The mark a read taken by steady() may reach: the search instant of the read before it (else that
 * read's newest Location's instant). The two reads prove only Locations there when the earlier was
 * made: one created after it, then shifted off the later read's pages by a deletion, leaves the
 * reads matching and the later's count right, and a mark at the later's instant stepped over it.
 */
function provenTo(earlier: WholeRead, since: string | undefined): string | undefined {
  const bound = earlier.at ?? earlier.records.reduce<string | undefined>((m, r) => later(m, r.lastUpdated), since);
  return bound !== undefined && since !== undefined && instant(bound) < instant(since) ? since : bound;
}

/**
 * Whether two whole reads in a row list the same Locations: every one of the earlier read is in
 * the later, and every one of the later listed before the earlier's search instant (all, when
 * the registry tells none) was in the earlier (one created since proves nothing either way). A
 * Location skipped by the later read was then skipped by the earlier too, which with its counts
 * right took a deletion during the earlier read of a Location it read: one the later read cannot
 * list, so they differ (unless the registry re-created that id in between: not ruled out here).
 */
function sameLocations(earlier: WholeRead, later: RegistryRecord[]): boolean {
  const laterIds = new Set(later.map((r) => r.id));
  const earlierIds = new Set(earlier.records.map((r) => r.id));
  const upTo = earlier.at === undefined ? Infinity : instant(earlier.at);
  return (
    [...earlierIds].every((id) => laterIds.has(id)) &&
    later.every((r) => instant(r.lastUpdated) >= upTo || earlierIds.has(r.id))
  );
}

/**
 * Whether a whole read holds every Location the registry lists from `since` up to (not at) `at`,
 * the instant the search was made: those read there still in it are as many as the range counts.
 * Locations changed or created after `at` leave or never enter the range and prove nothing either
 * way (the next pull reads them from the mark). Without per-id counts, steady(): proven only up
 * to the read before it (provenTo), said by 'two-reads'; with no count at all, 'uncounted'.
 */
async function nothingSkipped(
  reader: PageReader,
  query: Query,
  read: WholeRead,
  since: string | undefined,
  at: string,
  idProbe: IdProbe,
): Promise<'ids' | 'two-reads' | 'uncounted' | false> {
  const { range, total, ids } = await rangeCount(reader, since, at, read.records);
  const still = total === undefined ? undefined : await stillInRange(reader, range, ids, idProbe);
  if (still === undefined) {
    const proof = await steady(reader, query, read);
    return proof === 'uncounted' ? proof : proof && 'two-reads';
  }
  return total! <= still && 'ids';
}

/** Batches whose marks stop at `cap`: a record past it is applied, and read again by the next pull. */
function* capped(batches: Iterable<Batch>, cap: string | undefined): Generator<Batch> {
  for (const b of batches) yield cap !== undefined && instant(b.cursor) > instant(cap) ? { ...b, cursor: cap } : b;
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
  let rereads = 0; // searches issued again from `since` in a row
  const idProbe: IdProbe = {}; // one request a pull, not one a page
  const searched: RegistryRecord[] = []; // every page of the current search, for holdsAllBefore
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = next ? await reader.get(next) : await reader.get('/Location', search(since));
    const records = reader.records(page);
    if (!next) searched.length = 0;
    for (const r of records) searched.push(r); // not a copy per page: a long tie stays linear
    const fresh = records.filter((r) => !seen.has(keyOf(r)));
    const newest = records.reduce<string | undefined>((m, r) => later(m, r.lastUpdated), since);
    const moves = fresh.length > 0 && (since === undefined || instant(newest!) > instant(since));
    // the mark moves past this page: before the next search, or at the end of a search paged on by
    // offset through a tie, where a change during the paging may have shifted one off every page
    const jumps = moves && (!!page.next || searched.length > records.length);
    const verdict = ascending(records)
      ? jumps
        ? await holdsAllBefore(reader, since, newest!, searched, idProbe)
        : 'holds'
      : 'unsorted';
    if (verdict === 'changed') {
      // a record read has changed and shifted the offset pages: read this search again from its start
      if (++rereads >= MAX_REREADS) {
        reader.markHeld?.({ reason: 'kept-changing', mark: heldMark(since) });
        throw keptChanging(since);
      }
      next = undefined;
      continue;
    }
    if (verdict === 'unsorted' || verdict === 'unproven') {
      // the server ignored _sort, or cannot show nothing was skipped: keyset paging would skip, so
      // read the whole answer and sort it. Past the search's first page (or unproven), from its
      // start: a record changed meanwhile may have shifted the offset pages past one never read.
      const fromStart = verdict === 'unproven' || searched.length > records.length;
      const whole = await wholeAnswer(reader, search(since), fromStart ? undefined : page, since, idProbe);
      const all = [...new Map(whole.records.map((r) => [keyOf(r), r])).values()].filter((r) => !seen.has(keyOf(r)));
      yield* capped(inBatches(inTimeOrder(all), reader.pageSize), whole.cap);
      return;
    }
    for (const r of fresh) seen.add(keyOf(r));
    if (fresh.length) yield { records: fresh, cursor: newest! };
    if (!page.next) return;
    if (jumps) {
      since = newest;
      rereads = 0;
      next = undefined;
    } else next = page.next; // a page all at one instant already seen: page on through the ties
  }
  throw tooManyPages('GET /Location?_lastUpdated');
}
