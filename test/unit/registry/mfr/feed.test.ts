/**
 * The change feeds' ordering and paging rules on answers the sandbox never gives: HAPI's paging
 * links at the base, a bulk import with more Locations at one instant than a page holds, a server
 * that ignores `_sort`, a history answer that shifted while it was read, deletions without
 * lastModified, and the CapabilityStatement probe.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import type { BundlePage } from '../../../../src/registry/mfr/bundle.js';
import { instantBeforeDate, pathUnderBase, readBundle } from '../../../../src/registry/mfr/bundle.js';
import { declaresLocationHistory } from '../../../../src/registry/mfr/client.js';
import { decodeRegistryError } from '../../../../src/registry/mfr/errors.js';
import { heldSinceTracker, markHeldReporter, registryName } from '../../../../src/registry/mfr/feed-held.js';
import {
  FROM_THE_START,
  historyFeed,
  inTimeOrder,
  lastUpdatedFeed,
  type MarkHeld,
  type PageReader,
} from '../../../../src/registry/mfr/feed.js';
import { locationKind } from '../../../../src/registry/mfr/location-kind.js';
import { historyEntryOf, recordOf } from '../../../../src/registry/mfr/record.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';

type Json = Record<string, any>;
const SYSTEM = 'urn:test:registry';
const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
const location = (id: string, version: number, instant: string, name = id): Json => ({
  resourceType: 'Location',
  id,
  meta: { versionId: String(version), lastUpdated: instant },
  name,
  status: 'active',
});

/** A reader over fixed pages: `respond(path, query)` → the page the server would give. */
function fakeReader(respond: (path: string, query: Json | undefined) => BundlePage, pageSize = 3) {
  const calls: string[] = [];
  const reader: PageReader = {
    pageSize,
    get: async (path, query) => {
      calls.push(`${path} ${JSON.stringify(query ?? {})}`);
      return respond(path, query);
    },
    records: (page) => page.entries.map((e) => recordOf(e, SYSTEM)).filter((r) => !!r),
    historyEntries: (page) => page.entries.map((e) => historyEntryOf(e, SYSTEM)).filter((r) => !!r),
  };
  return { reader, calls };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

t.test('the instant a search was made: Bundle.meta.lastUpdated, else the Date header less a minute', async (t) => {
  const bundle = (meta?: Json) => ({ resourceType: 'Bundle', type: 'searchset', meta, entry: [] });
  const base = 'https://mfr.example.org/fhir';
  t.equal(readBundle(bundle({ lastUpdated: at(6) }), 'GET /Location', base).at, at(6));
  t.equal(readBundle(bundle({ lastUpdated: 'soon' }), 'GET /Location', base).at, undefined, 'not an instant');
  t.equal(readBundle(bundle(), 'GET /Location', base).at, undefined, 'no meta');
  // sent after the search, maybe by a proxy whose clock runs ahead of the registry's: a minute less
  t.equal(instantBeforeDate('Wed, 01 Jan 2025 00:01:07 GMT'), at(7));
  t.equal(instantBeforeDate('yesterday'), undefined);
  t.equal(instantBeforeDate(undefined), undefined);
});

t.test('next links: only path and query are kept, under the configured base', async (t) => {
  t.equal(
    pathUnderBase('http://internal:8080/fhir?_getpages=abc&_getpagesoffset=20', 'https://mfr.example.org/fhir'),
    '?_getpages=abc&_getpagesoffset=20',
  );
  t.equal(
    pathUnderBase('https://evil.example.com/fhir/Location?_offset=5', 'https://mfr.example.org/fhir'),
    '/Location?_offset=5',
  );
  t.equal(pathUnderBase('Location?_offset=5', 'https://mfr.example.org/fhir'), '/Location?_offset=5');
  t.equal(pathUnderBase('/other/Location', 'https://mfr.example.org/fhir'), '/other/Location');
  t.throws(
    () => readBundle({ resourceType: 'OperationOutcome' }, 'GET /Location', 'http://x/fhir'),
    /answered OperationOutcome, not a Bundle/,
  );
});

t.test('history: newest first in, oldest first out; versions of one Location in order; shifted pages', async (t) => {
  const entries = [
    { resource: location('b', 2, at(3), 'B renamed') },
    { request: { method: 'DELETE', url: 'Location/c' }, response: { etag: 'W/"2"' } },
    { resource: location('c', 1, at(2)) },
    { resource: location('b', 1, at(1)) },
    { resource: location('a', 1, at(1)) },
  ];
  const pages: BundlePage[] = [
    { entries: entries.slice(0, 2), next: '/p2' },
    // a change made while reading shifted the list: the first entry of this page was on the last
    { entries: entries.slice(1, 4), next: '/p3' },
    { entries: entries.slice(4) },
  ];
  const { reader } = fakeReader(
    (path) => (path === '/Location/_history' ? pages[0] : path === '/p2' ? pages[1] : pages[2]),
    2,
  );
  const batches = await collect(historyFeed(reader, undefined));
  const records = batches.flatMap((b) => b.records);
  t.same(
    records.map((r) => `${r.id}@${r.version}`),
    ['a@1', 'b@1', 'c@1', 'c@2', 'b@2'],
    'each version once, in the order the server gave them reversed, versions of b in order',
  );
  const deletion = records.find((r) => r.id === 'c' && r.version === '2')!;
  t.notOk(deletion.facility, 'the deletion has no facility');
  t.equal(
    deletion.lastUpdated,
    at(2),
    'a deletion without lastModified takes the instant of the entry before it in time (after it in the answer)',
  );
  t.same(
    batches.map((b) => b.cursor),
    [at(1), at(2), at(3)],
  );
});

/**
 * A facility re-created and deleted again: v1, DELETE (v2), v3 (re-created), DELETE (v4), the
 * deletions without response.lastModified (with or without an etag), the history listed newest
 * first (FHIR) or oldest first, at four instants or all at one. Whatever the answer, the versions
 * come out in the order they were made, so the facility ends closed; without the last DELETE, open.
 */
t.test('history: re-create + delete pairs without lastModified, in every order the answer may come', async (t) => {
  const made = (instants: number[], etags: boolean, last = 4) =>
    [
      { resource: location('x', 1, at(instants[0]), 'X') },
      { request: { method: 'DELETE', url: 'Location/x' }, ...(etags ? { response: { etag: 'W/"2"' } } : {}) },
      { resource: location('x', 3, at(instants[2]), 'X again') },
      { request: { method: 'DELETE', url: 'Location/x' }, ...(etags ? { response: { etag: 'W/"4"' } } : {}) },
    ].slice(0, last);
  const kinds = (records: RegistryRecord[]) => records.map((r) => (r.facility ? r.version : 'deleted'));
  for (const instants of [
    [1, 2, 3, 4],
    [5, 5, 5, 5],
  ])
    for (const etags of [true, false])
      for (const last of [4, 3])
        for (const newestFirst of [true, false]) {
          const entries = made(instants, etags, last);
          const answer = newestFirst ? [...entries].reverse() : entries;
          const { reader } = fakeReader(() => ({ entries: answer }), 10);
          const records = (await collect(historyFeed(reader, undefined))).flatMap((b) => b.records);
          const what = `${instants[0] === instants[3] ? 'one instant' : 'four instants'}, ${etags ? 'etags' : 'no etag'}, ${newestFirst ? 'newest' : 'oldest'} first`;
          t.same(kinds(records), ['1', 'deleted', '3', 'deleted'].slice(0, last), `${what}: in the order made`);
          t.ok(
            records.every((r, i) => i === 0 || Date.parse(r.lastUpdated) >= Date.parse(records[i - 1].lastUpdated)),
            `${what}: instants never go back`,
          );
          t.equal(new Set(records.map((r) => r.version)).size, records.length, `${what}: each version its own key`);
        }
});

t.test('history: an undated deletion at either end of the answer is placed, not refused', async (t) => {
  const del = { request: { method: 'DELETE', url: 'Location/y' } };
  // newest first, the deletion the newest change: it happened after y@1, at(4) or later
  const newest = fakeReader(() => ({ entries: [del, { resource: location('y', 1, at(4)) }] }));
  const records = (await collect(historyFeed(newest.reader, undefined))).flatMap((b) => b.records);
  t.same(
    records.map((r) => [r.version, r.lastUpdated]),
    [
      ['1', at(4)],
      ['1+deleted', at(4)],
    ],
  );
  // the only entry since the mark: no earlier than the mark
  const alone = fakeReader(() => ({ entries: [del] }));
  const [batch] = await collect(historyFeed(alone.reader, at(9)));
  t.same(batch.records, [{ id: 'y', version: `deleted@${at(9)}`, lastUpdated: at(9) }]);
  t.equal(batch.cursor, at(9), 'the mark does not move back');
  // nothing dates it at all
  const undatable = fakeReader(() => ({ entries: [del] }));
  await t.rejects(collect(historyFeed(undatable.reader, undefined)), {
    message: /deleting Location\/y has no response.lastModified and no entry of the answer dates it/,
  });
});

t.test('history: an undated deletion without an etag listed twice by shifted pages is one deletion', async (t) => {
  const del = { request: { method: 'DELETE', url: 'Location/z' } };
  const pages: BundlePage[] = [
    { entries: [{ resource: location('w', 1, at(6)) }, del], next: '/p2' },
    { entries: [del, { resource: location('z', 1, at(2)) }] },
  ];
  const { reader } = fakeReader((path) => (path === '/p2' ? pages[1] : pages[0]), 2);
  const records = (await collect(historyFeed(reader, undefined))).flatMap((b) => b.records);
  t.same(
    records.map((r) => `${r.id}@${r.version}`),
    ['z@1', 'z@1+deleted', 'w@1'],
  );
});

t.test('history: an answer cut short of its Bundle.total is refused, not taken as all there is', async (t) => {
  // newest first: what a cut-off answer loses are the oldest changes, which the high-water mark
  // (the newest instant read) would then step over for good
  const entries = [
    { resource: location('b', 2, at(3), 'B renamed') },
    { resource: location('c', 1, at(2)) },
    { resource: location('b', 1, at(1)) },
  ];
  const cut = fakeReader(() => ({ entries: entries.slice(0, 2), total: 3 }), 2);
  await t.rejects(collect(historyFeed(cut.reader, undefined)), {
    message: /GET \/Location\/_history listed 2 of the 3 versions its Bundle.total counts/,
  });
  const whole = fakeReader(
    (path) =>
      path === '/p2'
        ? { entries: entries.slice(2), total: 3 }
        : { entries: entries.slice(0, 2), next: '/p2', total: 3 },
    2,
  );
  t.same(
    (await collect(historyFeed(whole.reader, undefined))).flatMap((b) => b.records.map((r) => `${r.id}@${r.version}`)),
    ['b@1', 'c@1', 'b@2'],
    'a complete answer is taken',
  );
});

t.test('inTimeOrder: ties between versions of one Location by versionId', async (t) => {
  const r = (id: string, v: string, s: number): RegistryRecord => ({ id, version: v, lastUpdated: at(s) });
  t.same(
    inTimeOrder([r('x', '3', 5), r('x', '2', 5), r('y', '1', 4)]).map((x) => `${x.id}@${x.version}`),
    ['y@1', 'x@2', 'x@3'],
  );
});

t.test('lastUpdated: more Locations at one instant than a page holds (a bulk import)', async (t) => {
  const bulk = ['a', 'b', 'c', 'd', 'e'].map((id) => location(id, 1, at(1)));
  const later = location('f', 1, at(2));
  const all = [...bulk, later];
  const { reader, calls } = fakeReader((path, query) => {
    // the server's offset paging over `_lastUpdated=ge…` sorted ascending
    const offset = path.startsWith('/Location?') ? Number(new URLSearchParams(path.split('?')[1]).get('_offset')) : 0;
    const since = path.startsWith('/Location?')
      ? new URLSearchParams(path.split('?')[1]).get('since')
      : query?._lastUpdated?.slice(2);
    const matching = all.filter((l) => !since || Date.parse(l.meta.lastUpdated) >= Date.parse(since));
    const page = matching.slice(offset, offset + 3);
    const more = offset + 3 < matching.length;
    return {
      entries: page.map((resource) => ({ resource })),
      next: more ? `/Location?since=${since ?? ''}&_offset=${offset + 3}` : undefined,
    };
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    batches.flatMap((b) => b.records.map((r) => r.id)),
    ['a', 'b', 'c', 'd', 'e', 'f'],
    'nothing lost in the tie, nothing twice',
  );
  t.ok(
    calls.some((c) => c.includes('_offset=3')),
    'paged on through the tie with next',
  );
});

t.test('lastUpdated: a sorting registry paged through a tie is not taken for one ignoring _sort', async (t) => {
  // HAPI gives every Location of one transaction the same instant: a bulk import of 5, then 5 more
  // one by one. The registry sorts, pages by offset over the live list and counts (_summary=count).
  let list = ['a', 'b', 'c', 'd', 'e'].map((id) => location(id, 1, at(1)));
  list = [...list, ...['f', 'g', 'h', 'i', 'j'].map((id, i) => location(id, 1, at(2 + i)))];
  const when = (l: Json) => Date.parse(l.meta.lastUpdated);
  const matching = (range: string[]) =>
    list
      .filter((l) =>
        range.every((r) => (r.startsWith('ge') ? when(l) >= Date.parse(r.slice(2)) : when(l) < Date.parse(r.slice(2)))),
      )
      .sort((x, y) => when(x) - when(y));
  const { reader, calls } = fakeReader((path, query) => {
    const q = path.startsWith('/Location?') ? Object.fromEntries(new URLSearchParams(path.split('?')[1])) : query!;
    const range = [q._lastUpdated ?? []].flat().filter((r: string) => r !== '');
    const ids = q._id === undefined ? undefined : String(q._id).split(',');
    if (q._summary === 'count')
      return { entries: [], total: matching(range).filter((l) => !ids || ids.includes(l.id)).length };
    const offset = Number(q._offset ?? 0);
    const page = matching(range).slice(offset, offset + 3);
    // while the tie is paged through, Location d is renamed: it moves to the end of the list
    if (offset === 3) list = [...list.filter((l) => l.id !== 'd'), location('d', 2, at(9), 'D renamed')];
    const more = offset + 3 < matching(range).length;
    return {
      entries: page.map((resource) => ({ resource })),
      next: more ? `/Location?_lastUpdated=${range[0] ?? ''}&_offset=${offset + 3}` : undefined,
    };
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    'no Location skipped by the shift the rename made',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
  t.ok(
    calls.some((c) => c.includes(`"_lastUpdated":"ge${at(2)}"`)),
    'past the tie, a fresh search from its newest instant, not the rest by offset',
  );
});

t.test('lastUpdated: a Location of an earlier page changed while a tie is paged skips no other', async (t) => {
  // A bulk import of 5 at one instant, then 5 more one by one; the registry sorts, pages by offset
  // over the live list and counts. Location a, read on the tie's first page, is renamed before the
  // second page is read: it moves to the end, the list shifts by one and d is on no page. The count
  // of [tie, newest) has lost a and not d: it equals what was read, yet d was never read.
  let list = ['a', 'b', 'c', 'd', 'e'].map((id) => location(id, 1, at(1)));
  list = [...list, ...['f', 'g', 'h', 'i', 'j'].map((id, i) => location(id, 1, at(2 + i)))];
  const when = (l: Json) => Date.parse(l.meta.lastUpdated);
  const matching = (range: string[]) =>
    list
      .filter((l) =>
        range.every((r) => (r.startsWith('ge') ? when(l) >= Date.parse(r.slice(2)) : when(l) < Date.parse(r.slice(2)))),
      )
      .sort((x, y) => when(x) - when(y));
  const { reader } = fakeReader((path, query) => {
    const q = path.startsWith('/Location?') ? Object.fromEntries(new URLSearchParams(path.split('?')[1])) : query!;
    const range = [q._lastUpdated ?? []].flat().filter((r: string) => r !== '');
    const ids = q._id === undefined ? undefined : String(q._id).split(',');
    if (q._summary === 'count')
      return { entries: [], total: matching(range).filter((l) => !ids || ids.includes(l.id)).length };
    const offset = Number(q._offset ?? 0);
    if (offset === 3 && range.length)
      list = [...list.filter((l) => l.id !== 'a'), location('a', 2, at(9), 'A renamed')];
    const page = matching(range).slice(offset, offset + 3);
    const more = offset + 3 < matching(range).length;
    return {
      entries: page.map((resource) => ({ resource })),
      next: more ? `/Location?_lastUpdated=${range[0] ?? ''}&_offset=${offset + 3}` : undefined,
    };
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    'no Location skipped by the shift the rename made',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
});

t.test('lastUpdated: a Location of the tie changed to an instant inside the page skips no other', async (t) => {
  // As above, but the rename of a (read on the tie's first page) lands before f: the next page holds
  // it, the count is higher than what was read (d), and the whole search is read again, not the rest.
  let list = ['a', 'b', 'c', 'd', 'e'].map((id) => location(id, 1, at(1)));
  list = [...list, ...['f', 'g', 'h', 'i', 'j'].map((id, i) => location(id, 1, at(2 + i)))];
  const when = (l: Json) => Date.parse(l.meta.lastUpdated);
  const matching = (range: string[]) =>
    list
      .filter((l) =>
        range.every((r) => (r.startsWith('ge') ? when(l) >= Date.parse(r.slice(2)) : when(l) < Date.parse(r.slice(2)))),
      )
      .sort((x, y) => when(x) - when(y));
  const between = new Date(Date.parse(at(1)) + 500).toISOString();
  const { reader } = fakeReader((path, query) => {
    const q = path.startsWith('/Location?') ? Object.fromEntries(new URLSearchParams(path.split('?')[1])) : query!;
    const range = [q._lastUpdated ?? []].flat().filter((r: string) => r !== '');
    const ids = q._id === undefined ? undefined : String(q._id).split(',');
    if (q._summary === 'count')
      return { entries: [], total: matching(range).filter((l) => !ids || ids.includes(l.id)).length };
    const offset = Number(q._offset ?? 0);
    if (offset === 3 && range.length && !list.some((l) => l.meta.versionId === '2'))
      list = [...list.filter((l) => l.id !== 'a'), location('a', 2, between, 'A renamed')];
    const page = matching(range).slice(offset, offset + 3);
    const more = offset + 3 < matching(range).length;
    return {
      entries: page.map((resource) => ({ resource })),
      next: more ? `/Location?_lastUpdated=${range[0] ?? ''}&_offset=${offset + 3}` : undefined,
    };
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  const read = batches.flatMap((b) => b.records.map((r) => `${r.id}/${r.version}`));
  t.same(
    [...new Set(read)].sort(),
    ['a/1', 'a/2', 'b/1', 'c/1', 'd/1', 'e/1', 'f/1', 'g/1', 'h/1', 'i/1', 'j/1'],
    'no Location skipped by the shift the rename made',
  );
  t.equal(read.length, new Set(read).size, 'no version given twice');
});

t.test('lastUpdated: a registry ignoring _sort, a Location read changed before the count', async (t) => {
  // Listed in the registry's own order; b, read on page 1, is renamed just before the count: the
  // count of [start, page's newest) lost b and holds y (page 2), as many as page 1 read below it.
  let list = [location('b', 1, at(2)), location('c', 1, at(3)), location('x', 1, at(4)), location('y', 1, at(1))];
  const when = (l: Json) => Date.parse(l.meta.lastUpdated);
  let renamed = false;
  const { reader } = fakeReader((path, query) => {
    const q = path.startsWith('/Location?') ? Object.fromEntries(new URLSearchParams(path.split('?')[1])) : query!;
    const range = [q._lastUpdated ?? []].flat().filter((r: string) => r !== '');
    const inRange = (l: Json) =>
      range.every((r) => (r.startsWith('ge') ? when(l) >= Date.parse(r.slice(2)) : when(l) < Date.parse(r.slice(2))));
    if (q._summary === 'count') {
      if (!renamed) {
        renamed = true;
        list = [...list.filter((l) => l.id !== 'b'), location('b', 2, at(9), 'B renamed')];
      }
      const ids = q._id === undefined ? undefined : String(q._id).split(',');
      return { entries: [], total: list.filter((l) => inRange(l) && (!ids || ids.includes(l.id))).length };
    }
    const offset = Number(q._offset ?? 0);
    const matching = list.filter(inRange);
    return {
      entries: matching.slice(offset, offset + 3).map((resource) => ({ resource })),
      next: offset + 3 < matching.length ? `/Location?_offset=${offset + 3}` : undefined,
    };
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['b', 'c', 'x', 'y'],
    'y, listed after a page that ascends by chance, is read',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
});

t.test('lastUpdated: a server that ignores _sort is read whole and sorted', async (t) => {
  const list = [location('c', 1, at(3)), location('a', 1, at(1)), location('b', 1, at(2))];
  // it counts (a registry giving no count holds the mark: 'a registry giving no counts …' below)
  const { reader } = fakeReader((path, query) =>
    query?._summary === 'count'
      ? { entries: [], total: list.length }
      : path === '/Location'
        ? { entries: list.slice(0, 2).map((resource) => ({ resource })), next: '/rest' }
        : { entries: [{ resource: list[2] }] },
  );
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    batches.flatMap((b) => b.records.map((r) => r.id)),
    ['a', 'b', 'c'],
  );
  t.equal(batches.at(-1)!.cursor, at(3));
});

t.test('records: malformed entries are refused with what is missing', async (t) => {
  t.throws(
    () => recordOf({ resource: { resourceType: 'Location', id: 'x' } }, SYSTEM),
    /Location\/x has no valid meta.lastUpdated/,
  );
  t.throws(
    () => recordOf({ request: { method: 'DELETE', url: 'Location/x' }, response: {} }, SYSTEM),
    /deleting Location\/x has no response.lastModified/,
  );
  t.equal(recordOf({ resource: { resourceType: 'Organization', id: 'o' } }, SYSTEM), undefined, 'not a Location');
  t.equal(
    recordOf({ request: { method: 'DELETE', url: 'Organization/o' }, response: { lastModified: at(1) } }, SYSTEM),
    undefined,
  );
  const r = recordOf(
    { resource: { ...location('x', 4, at(1)), partOf: { reference: 'https://mfr/fhir/Location/parent/_history/2' } } },
    SYSTEM,
  );
  t.equal(r?.facility?.partOf, 'parent', 'an absolute, versioned reference');
  // not valid R4 (the push feed's 400): no facility to propagate, and why, instead of a TypeError or garbage
  const invalid = recordOf({ resource: { ...location('z', 2, at(3)), identifier: 'LK-1', status: 'gone' } }, SYSTEM);
  t.match(invalid, { id: 'z', version: '2', lastUpdated: at(3), facility: undefined });
  t.match(invalid?.invalid, /Location\.identifier must be array.*Location\.status/);
  const noVersion = recordOf({ resource: { resourceType: 'Location', id: 'y', meta: { lastUpdated: at(7) } } }, SYSTEM);
  t.equal(noVersion?.version, at(7), 'no versionId: lastUpdated is the version');
});

t.test('kind: mCSD 4.x, GOFR 2019, physicalType', async (t) => {
  const type = (system: string, code: string) => ({ type: [{ coding: [{ system, code }] }] });
  t.equal(
    locationKind(
      type('https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types', 'jurisdiction'),
    ),
    'area',
  );
  t.equal(locationKind(type('urn:ietf:rfc:3986', 'urn:ihe:iti:mcsd:2019:jurisdiction')), 'area');
  t.equal(locationKind(type('urn:ietf:rfc:3986', 'urn:ihe:iti:mcsd:2019:facility')), 'facility');
  t.equal(locationKind({ physicalType: { coding: [{ code: 'jdn' }] } }), 'area');
  t.equal(locationKind({ physicalType: { coding: [{ code: 'bu' }] } }), 'facility');
  t.equal(locationKind({}), 'facility');
});

t.test('CapabilityStatement probe', async (t) => {
  const cs = (interaction: string[]) => ({
    resourceType: 'CapabilityStatement',
    rest: [{ resource: [{ type: 'Location', interaction: interaction.map((code) => ({ code })) }] }],
  });
  t.equal(declaresLocationHistory(cs(['read', 'history-type'])), true);
  t.equal(declaresLocationHistory(cs(['read', 'search-type'])), false);
  t.equal(declaresLocationHistory({ resourceType: 'CapabilityStatement', rest: [{ resource: [] }] }), false);
  t.equal(declaresLocationHistory('<html>'), undefined, 'cannot tell');
});

/**
 * A registry listing `_lastUpdated` searches sorted (or in its own order), paging by offset over
 * its live list and counting (`_summary=count`). `ids`: 'filter' honours `_id`, 'ignore' counts the
 * whole range as if `_id` were not there. `onPage(offset, range)` runs before a page is listed.
 */
function liveRegistry(
  state: { list: Json[] },
  opts: {
    sorted: boolean;
    ids: 'filter' | 'ignore';
    onPage?: (offset: number, range: string[]) => void;
    /** The registry's time on each search page (Bundle.meta.lastUpdated), taken before onPage. */
    at?: () => string;
  },
) {
  const when = (l: Json) => Date.parse(l.meta.lastUpdated);
  const matching = (range: string[]) => {
    const inRange = state.list.filter((l) =>
      range.every((r) => (r.startsWith('ge') ? when(l) >= Date.parse(r.slice(2)) : when(l) < Date.parse(r.slice(2)))),
    );
    return opts.sorted ? inRange.sort((x, y) => when(x) - when(y)) : inRange;
  };
  return fakeReader((path, query) => {
    const q = path.startsWith('/Location?') ? Object.fromEntries(new URLSearchParams(path.split('?')[1])) : query!;
    const range = [q._lastUpdated ?? []].flat().filter((r: string) => r !== '');
    const ids = q._id === undefined || opts.ids === 'ignore' ? undefined : String(q._id).split(',');
    if (q._summary === 'count')
      return { entries: [], total: matching(range).filter((l) => !ids || ids.includes(l.id)).length };
    const offset = Number(q._offset ?? 0);
    const at = opts.at?.();
    opts.onPage?.(offset, range);
    const all = matching(range);
    return {
      at,
      entries: all.slice(offset, offset + 3).map((resource) => ({ resource })),
      next: offset + 3 < all.length ? `/Location?_lastUpdated=${range[0] ?? ''}&_offset=${offset + 3}` : undefined,
    };
  });
}

const rename = (state: { list: Json[] }, id: string, version: number, instant: string) =>
  (state.list = [...state.list.filter((l) => l.id !== id), location(id, version, instant, `${id} renamed`)]);

t.test('lastUpdated: a registry ignoring _id gives no proof, and the search is read whole from the mark', async (t) => {
  // As 'a Location of an earlier page changed while a tie is paged', but the registry ignores _id:
  // its count of the Locations read still in the range is the whole range's, which hid that a left
  // it (and that d, shifted past the tie's second page, was never read). A count above the ids
  // asked is impossible: the search is read whole from the mark instead.
  const state = {
    list: [
      ...['a', 'b', 'c', 'd', 'e'].map((id) => location(id, 1, at(1))),
      ...['f', 'g', 'h', 'i', 'j'].map((id, i) => location(id, 1, at(2 + i))),
    ],
  };
  let renamed = false;
  const { reader, calls } = liveRegistry(state, {
    sorted: true,
    ids: 'ignore',
    onPage: (offset, range) => {
      if (offset !== 3 || !range.length || renamed) return;
      renamed = true;
      rename(state, 'a', 2, at(9));
    },
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    'd, shifted past the page by the rename, is read',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
  t.ok(
    calls.some((c) => c.includes('"_id"')),
    'the registry was asked which Locations read are still there',
  );
});

t.test('lastUpdated: Locations that keep changing end the pull soon, the mark where it is proven', async (t) => {
  // A bulk import of 36 at one instant, then 5 more one by one; a sync job renames a Location of the
  // import each time the page past it is read, so each search from the mark finds one read has
  // changed and the pages shifted. The pull ends after a few searches, not 100,000 pages later.
  const tie = Array.from({ length: 36 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const state = {
    list: [
      ...tie.map((id) => location(id, 1, at(1))),
      ...['f', 'g', 'h', 'i', 'j'].map((id, i) => location(id, 1, at(2 + i))),
    ],
  };
  let renames = 0;
  const { reader, calls } = liveRegistry(state, {
    sorted: true,
    ids: 'filter',
    onPage: (offset, range) => {
      // the page past the import: rename the Location listed first (read on the search's first page)
      const imported = state.list.filter((l) => l.meta.lastUpdated === at(1));
      if (range.length && offset > 0 && offset + 3 > imported.length)
        rename(state, imported[0].id, 2, at(100 + ++renames));
    },
  });
  // told as the client tells it (its base with credentials, held since a fixed instant): logged and counted
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const metrics = new Registry();
  const report = markHeldReporter(metrics, { warn: (obj, msg) => warnings.push({ obj: { ...obj }, msg }) });
  const since = heldSinceTracker(() => new Date(Date.UTC(2025, 1, 1)));
  reader.markHeld = (held) =>
    report({
      ...held,
      registry: registryName('https://u:secret@mfr.example.org/fhir/?k=v'),
      heldSince: since(held.mark),
    });
  const batches: { records: RegistryRecord[]; cursor: string }[] = [];
  await t.rejects(
    (async () => {
      for await (const b of lastUpdatedFeed(reader, at(1))) batches.push(b);
    })(),
    { message: /kept changing while they were read .*issued 10 times in a row.*the high-water mark stays at it/ },
  );
  t.ok(batches.length > 0, 'what was read of the import is taken');
  t.ok(
    batches.every((b) => b.cursor === at(1)),
    'the mark never moves past the import',
  );
  t.ok(calls.length < 200, `ended after ${calls.length} requests`);
  t.match(warnings, [{ obj: { registry: 'https://mfr.example.org/fhir', reason: 'kept-changing', mark: at(1) } }]);
  t.notMatch(JSON.stringify(warnings), 'secret', 'no credentials of the URL in the line');
  t.match(warnings[0].msg, /held at 2025-01-01T00:00:01.000Z since 2025-02-01T00:00:00.000Z \(Locations read kept/);
  t.match(await metrics.metrics(), /^mediator_registry_mark_held_total\{reason="kept_changing"\} 1$/m, 'counted');
});

t.test('lastUpdated: a registry ignoring _sort whose list changes during the whole read reads it again', async (t) => {
  // Listed in the registry's own order (newest-changed last); y is listed on page 1 out of order,
  // so the answer is read whole by offset. While page 2 is read, b (page 1) is renamed: it moves to
  // the end, x shifts onto page 1's place and is on no page. The count after the read says 5
  // Locations, 4 were read: the whole answer is read again.
  const state = {
    list: [location('y', 1, at(5)), location('a', 1, at(1)), location('b', 1, at(2))].concat([
      location('c', 1, at(3)),
      location('x', 1, at(4)),
    ]),
  };
  let renamed = false;
  const { reader } = liveRegistry(state, {
    sorted: false,
    ids: 'filter',
    onPage: (offset) => {
      if (offset !== 3 || renamed) return;
      renamed = true;
      rename(state, 'b', 2, at(9));
    },
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'x', 'y'],
    'x, shifted past page 2 by the rename, is read',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
});

/** A registry clock: a second after the newest Location it lists (every change is later). */
const registryNow = (state: { list: Json[] }) => () =>
  new Date(Math.max(...state.list.map((l) => Date.parse(l.meta.lastUpdated))) + 1000).toISOString();

/** A registry ignoring _sort whose change keeps a Location's place in its list (HAPI's PID order). */
const changeInPlace = (state: { list: Json[] }, id: string, version: number, instant: string) =>
  (state.list = state.list.map((l) => (l.id === id ? location(id, version, instant, `${id} renamed`) : l)));

t.test(
  'lastUpdated: an unsorted whole read marks no later than the search, so a change kept in place is read',
  async (t) => {
    // Listed in creation order, y (page 1) out of order: read whole by offset. While page 2 is read,
    // a (already read, page 1) changes at 8, then x (page 2, not yet read) at 9, both in place: the
    // count still matches. The search was made at 6: no mark goes past a second before it, and the next pull reads a v2.
    const state = {
      list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))],
    };
    let changed = false;
    const { reader } = liveRegistry(state, {
      sorted: false,
      ids: 'filter',
      at: registryNow(state),
      onPage: (offset) => {
        if (offset !== 3 || changed) return;
        changed = true;
        changeInPlace(state, 'a', 2, at(8));
        changeInPlace(state, 'x', 2, at(9));
      },
    });
    const first = await collect(lastUpdatedFeed(reader, undefined));
    const mark = first.at(-1)!.cursor;
    t.equal(mark, at(5), 'the mark: a second before the search was made (6), not x v2 read after it');
    const second = await collect(lastUpdatedFeed(reader, mark));
    const read = [...first, ...second].flatMap((b) => b.records.map((r) => `${r.id}/${r.version}`));
    t.ok(read.includes('a/2'), 'a v2, changed after it was read, is read by the next pull');
    t.equal(second.at(-1)!.cursor, at(9), 'the next mark: x v2');
  },
);

t.test(
  'lastUpdated: an unsorted whole read over instants kept to the second marks a second before the search',
  async (t) => {
    // A registry keeping Locations' instants to the second (OpenMRS on MySQL datetime, which
    // rounds) makes the search at 5.4 s. Right after page 1 is read, a (on page 1) changes at 5.45 s,
    // stored as 5 s, before the search's instant; x (page 2) changes at 7 and is read. A mark at 5.4
    // would step over a v2 for good; a second before the search, the next pull reads it.
    const state = {
      list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))],
    };
    const newest = () => Math.max(...state.list.map((l) => Date.parse(l.meta.lastUpdated)));
    let changed = false;
    const { reader } = liveRegistry(state, {
      sorted: false,
      ids: 'filter',
      at: () => new Date(newest() + 400).toISOString(),
      onPage: (offset) => {
        if (offset !== 3 || changed) return;
        changed = true;
        changeInPlace(state, 'a', 2, at(5));
        changeInPlace(state, 'x', 2, at(7));
      },
    });
    const first = await collect(lastUpdatedFeed(reader, undefined));
    const second = await collect(lastUpdatedFeed(reader, first.at(-1)!.cursor));
    const read = [...first, ...second].flatMap((b) => b.records.map((r) => `${r.id}/${r.version}`));
    t.ok(read.includes('a/2'), 'a v2, stamped to the second before the search, is read by the next pull');
  },
);

t.test('lastUpdated: an unsorted registry changing during every whole read still moves the mark', async (t) => {
  // Every whole read sees a Location created while its second page is read, listed first (the
  // registry lists newest-created first): the pages shift, and the count never equals what was read. Those created after the search are not needed by it (the next pull reads
  // them): the read is taken, the mark moves, and the next pull moves it on.
  const state = { list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))] };
  let n = 0;
  const { reader } = liveRegistry(state, {
    sorted: false,
    ids: 'filter',
    at: registryNow(state),
    onPage: (offset) => {
      if (offset !== 3) return;
      n++;
      state.list = [location(`new${n}`, 1, at(10 + 2 * n)), ...state.list];
    },
  });
  const first = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(first.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'x', 'y'],
    'the first pull applies what it read',
  );
  t.equal(first.at(-1)!.cursor, at(5), 'the mark: y, the newest read');
  const second = await collect(lastUpdatedFeed(reader, first.at(-1)!.cursor));
  t.ok(
    second.flatMap((b) => b.records).some((r) => r.id === 'new1'),
    'the next pull reads what was created',
  );
  t.ok(Date.parse(second.at(-1)!.cursor) > Date.parse(at(5)), 'and moves the mark on');
});

t.test('lastUpdated: an unsorted whole read that skipped an unchanged Location is read again', async (t) => {
  // As 'a registry ignoring _sort whose list changes during the whole read', with the registry's
  // time on each page: b moves to the end while page 2 is read and shifts x off every page. x is
  // unchanged (before the search's instant), so the next pull would not read it: counted missing, read again.
  const state = {
    list: [location('y', 1, at(5)), location('a', 1, at(1)), location('b', 1, at(2)), location('c', 1, at(3))].concat([
      location('x', 1, at(4)),
    ]),
  };
  let renamed = false;
  const { reader } = liveRegistry(state, {
    sorted: false,
    ids: 'filter',
    at: registryNow(state),
    onPage: (offset) => {
      if (offset !== 3 || renamed) return;
      renamed = true;
      rename(state, 'b', 2, at(9));
    },
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'x', 'y'],
    'x, shifted past page 2 by the rename, is read',
  );
});

t.test('lastUpdated: a registry refusing _id in a count gives no proof, and the search is read whole', async (t) => {
  // Sorted, counting, but a 400 to `_id`: page 1 (a, b, c) moves the search past b, and a is renamed
  // before page 2 is read, shifting d off it. No per-id count: the search is read again from the
  // mark, not the rest by offset.
  const state = { list: ['a', 'b', 'c', 'd', 'e'].map((id, i) => location(id, 1, at(1 + i))) };
  let renamed = false;
  const registry = liveRegistry(state, {
    sorted: true,
    ids: 'filter',
    onPage: (offset) => {
      if (offset !== 3 || renamed) return;
      renamed = true;
      rename(state, 'a', 2, at(9));
    },
  });
  const get = registry.reader.get;
  registry.reader.get = async (path, query) => {
    if (query?._id !== undefined) {
      const body = {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'processing', diagnostics: 'Unknown search parameter "_id"' }],
      };
      throw decodeRegistryError(400, body, 'GET', '/Location');
    }
    return get(path, query);
  };
  const batches = await collect(lastUpdatedFeed(registry.reader, undefined));
  t.same(
    [...new Set(batches.flatMap((b) => b.records.map((r) => r.id)))].sort(),
    ['a', 'b', 'c', 'd', 'e'],
    'd, shifted past page 2 by the rename, is read',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
});

t.test('lastUpdated: the last page of a tie paged by offset moves the mark only once proven', async (t) => {
  // A bulk import of 5 at one instant, then f. The search from the import's instant pages through
  // the tie by offset; a (page 1) is renamed before page 2 is read: the list shifts by one, d is on
  // no page, and page 2 (e, f, a renamed) is the last. Its newest instant is the mark only once the
  // registry shows every Location before it was read: here one was not, and the search is read again.
  const state = { list: [...['a', 'b', 'c', 'd', 'e'].map((id) => location(id, 1, at(1))), location('f', 1, at(2))] };
  let renamed = false;
  const { reader } = liveRegistry(state, {
    sorted: true,
    ids: 'filter',
    onPage: (offset, range) => {
      if (offset !== 3 || !range.length || renamed) return;
      renamed = true;
      rename(state, 'a', 2, at(9));
    },
  });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  const read = batches.flatMap((b) => b.records.map((r) => `${r.id}/${r.version}`));
  t.same(
    [...new Set(read)].sort(),
    ['a/1', 'a/2', 'b/1', 'c/1', 'd/1', 'e/1', 'f/1'],
    'd, shifted off page 2, is read',
  );
  t.equal(read.length, new Set(read).size, 'no version given twice');
  const dAt = batches.findIndex((b) => b.records.some((r) => r.id === 'd'));
  t.ok(
    batches.slice(0, dAt).every((b) => Date.parse(b.cursor) <= Date.parse(at(1))),
    'no mark past the import before d is read',
  );
  t.equal(batches.at(-1)!.cursor, at(9), 'the mark: the rename');
});

t.test('lastUpdated: whether the registry filters _id is asked once a pull, not once a page', async (t) => {
  // A sorting registry, 10 Locations one by one, pages of 3: each page moving the search is proven by
  // counts; the one-id count that tells a registry ignoring _id is asked once (it cannot change).
  const state = { list: Array.from({ length: 10 }, (_, i) => location(`l${i}`, 1, at(1 + i))) };
  const { reader, calls } = liveRegistry(state, { sorted: true, ids: 'filter' });
  const batches = await collect(lastUpdatedFeed(reader, undefined));
  t.same(
    batches.flatMap((b) => b.records.map((r) => r.id)),
    state.list.map((l) => l.id),
  );
  const alone = calls.filter((c) => c.includes('"_id"') && !c.includes('_lastUpdated'));
  const counted = calls.filter((c) => c.includes('"_id"') && c.includes('_lastUpdated'));
  t.ok(counted.length > 1, `several pages proven by a per-id count (${counted.length})`);
  t.equal(alone.length, 1, 'one request asks whether _id filters');
});

t.test('lastUpdated: the _id probe meeting a Location deleted since (count 0) keeps keyset paging', async (t) => {
  // A sorting registry filtering _id; the Location the one-id count asks about was deleted after it
  // was read. 0 is a legitimate count for one id, not a registry ignoring _id: no whole read.
  const state = { list: Array.from({ length: 10 }, (_, i) => location(`l${i}`, 1, at(1 + i))) };
  const ids = state.list.map((l) => l.id);
  const registry = liveRegistry(state, { sorted: true, ids: 'filter' });
  const get = registry.reader.get;
  registry.reader.get = async (path, query) => {
    if (query?._id !== undefined && query._lastUpdated === undefined)
      state.list = state.list.filter((l) => l.id !== query._id);
    return get(path, query);
  };
  const batches = await collect(lastUpdatedFeed(registry.reader, undefined));
  t.same(
    batches.flatMap((b) => b.records.map((r) => r.id)),
    ids.slice(1),
    'every Location still there once, in order (l0 deleted before it was taken)',
  );
  // a whole read follows next links (_offset); keyset paging issues a fresh search per page
  t.notOk(
    registry.calls.some((c) => c.includes('_offset')),
    'no whole read by offset',
  );
});

t.test('lastUpdated: a deletion during an unsorted read of a registry ignoring _id skips no Location', async (t) => {
  // Listed in creation order, y (page 1) out of order: read whole by offset. The registry ignores
  // _id and gives no page totals, so only its count of the range shows a Location skipped. While
  // page 2 is read, b (read on page 1) is deleted: c shifts onto page 1's place and is on no page.
  // The count (y, a, c, x) equals the Locations read (y, a, b, x): taken as whole, the mark moved
  // past c (unchanged, before the search) for good. A read is now taken only when the one before
  // it listed the same Locations: a deletion during a read always makes the next read differ.
  const state = {
    list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))],
  };
  let deleted = false;
  const { reader } = liveRegistry(state, {
    sorted: false,
    ids: 'ignore',
    at: registryNow(state),
    onPage: (offset) => {
      if (offset !== 3 || deleted) return;
      deleted = true;
      state.list = state.list.filter((l) => l.id !== 'b');
    },
  });
  const first = await collect(lastUpdatedFeed(reader, undefined));
  const second = await collect(lastUpdatedFeed(reader, first.at(-1)!.cursor));
  t.ok(deleted, 'b was deleted during the read');
  t.ok(
    [...first, ...second].flatMap((b) => b.records).some((r) => r.id === 'c'),
    'c, shifted off the pages by the deletion, is read',
  );
});

t.test('lastUpdated: two unsorted reads listing the same Locations both missing one take neither', async (t) => {
  // A registry listing in its table's storage order (no ORDER BY, ignoring _sort): a changed row's
  // new version lands wherever there is room, before others or after. It ignores _id and gives no
  // page totals. Read 1: a (page 1) is renamed to the end while page 2 is asked, c shifts onto page
  // 1's place, on no page (its count, 5 against 4 read, shows it). Before read 2, x is renamed into
  // the room at the front, c back to page 2's place; while read 2 asks page 2, b (read on page 1)
  // is deleted, c shifts again: read 2 misses c too, and its count (4) equals what it read. Both
  // reads list y, a, b, x: taken on read 2's count and the match, the mark moved past c for good.
  const state = {
    list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))],
  };
  let pages = 0;
  const { reader } = liveRegistry(state, {
    sorted: false,
    ids: 'ignore',
    at: registryNow(state),
    onPage: () => {
      pages++;
      if (pages === 2) rename(state, 'a', 2, at(9));
      if (pages === 3) state.list = [location('x', 2, at(11), 'x renamed'), ...state.list.filter((l) => l.id !== 'x')];
      if (pages === 4) state.list = state.list.filter((l) => l.id !== 'b');
    },
  });
  const first = await collect(lastUpdatedFeed(reader, undefined));
  const second = await collect(lastUpdatedFeed(reader, first.at(-1)!.cursor));
  t.ok(pages >= 4, 'b was deleted during the second read');
  t.ok(
    [...first, ...second].flatMap((b) => b.records).some((r) => r.id === 'c'),
    'c, missed by two reads listing the same Locations, is read',
  );
});

const ms = (instant: string, n: number) => new Date(Date.parse(instant) + n).toISOString();

t.test(
  'lastUpdated: a Location created between two matching unsorted reads and missed marks no later than it',
  async (t) => {
    // The registry of the test above (storage order, ignoring _id, no page totals). Read 1 lists
    // y, a, b, x, its count right. Then, before read 2's search, c is created into free room before
    // x and b is edited in place; while read 2 asks page 2, a (read on page 1) is deleted: c shifts
    // onto page 1's place, on no page, and the count (y, b, c, x) equals the four read. The reads
    // match (c is not in read 1: created since), so read 2 is taken and the mark moves to b's edit,
    // past c: c was never read. Two reads prove nothing created after the first one's search: the
    // mark stops at that instant.
    const state = {
      // instants to the millisecond: no second is taken off the search's instant (searchInstant)
      list: [location('y', 1, ms(at(5), 250)), ...['a', 'b', 'x'].map((id, i) => location(id, 1, ms(at(1 + i), 250)))],
    };
    const now = registryNow(state);
    let searches = 0;
    let pages = 0;
    const { reader } = liveRegistry(state, {
      sorted: false,
      ids: 'ignore',
      at: () => {
        if (++searches !== 3) return now();
        state.list.splice(3, 0, location('c', 1, now()));
        changeInPlace(state, 'b', 2, now());
        return now();
      },
      onPage: () => {
        if (++pages === 4) state.list = state.list.filter((l) => l.id !== 'a');
      },
    });
    const first = await collect(lastUpdatedFeed(reader, undefined));
    const second = await collect(lastUpdatedFeed(reader, first.at(-1)!.cursor));
    t.ok(pages >= 4, 'a was deleted during the second read');
    t.notOk(
      first.flatMap((b) => b.records).some((r) => r.id === 'c'),
      'the first pull missed c',
    );
    t.ok(
      second.flatMap((b) => b.records).some((r) => r.id === 'c'),
      'c, created between the reads and missed, is read by the next pull',
    );
  },
);

/**
 * A registry that gives no count at all: no Bundle.total on its pages, and to `_summary=count`
 * either a Bundle without a total or a 400 (an unknown parameter). Counts of anything else pass.
 */
function withoutCounts(reader: PageReader, refusal: 'no-total' | 400): PageReader {
  const get = reader.get;
  reader.get = async (path, query) => {
    if (query?._summary === 'count') {
      if (refusal === 'no-total') return { entries: [] };
      const body = {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'processing', diagnostics: 'Unknown search parameter "_summary"' }],
      };
      throw decodeRegistryError(400, body, 'GET', '/Location');
    }
    const { total: _total, ...page } = await get(path, query);
    return page;
  };
  return reader;
}

const ids = (batches: { records: RegistryRecord[] }[]) => batches.flatMap((b) => b.records.map((r) => r.id));

t.test('lastUpdated: a registry giving no counts holds the mark on a read of more than one page', async (t) => {
  // The registry of 'two unsorted reads listing the same Locations both missing one take neither',
  // giving no count at all. Its two reads list the same Locations (y, a, b, x), both missing c:
  // read 1 because a moved to the end shifted c off the pages, read 2 because b was deleted. With
  // no count to tell, the match was taken and the mark moved past c for good. Now a read of more
  // than one page with no count is not proven: it is applied and the mark held, each pull reads
  // again from it, and the pull after the list stops moving reads c.
  for (const refusal of ['no-total', 400] as const) {
    const state = {
      list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))],
    };
    let pages = 0;
    const registry = liveRegistry(state, {
      sorted: false,
      ids: 'ignore',
      at: registryNow(state),
      onPage: () => {
        pages++;
        if (pages === 2) rename(state, 'a', 2, at(9));
        if (pages === 3)
          state.list = [location('x', 2, at(11), 'x renamed'), ...state.list.filter((l) => l.id !== 'x')];
        if (pages === 4) state.list = state.list.filter((l) => l.id !== 'b');
      },
    });
    const reader = withoutCounts(registry.reader, refusal);
    const held: MarkHeld[] = [];
    reader.markHeld = (h) => held.push(h);
    const pulls: { records: RegistryRecord[]; cursor: string }[][] = [];
    let mark: string | undefined;
    for (let pull = 0; pull < 3; pull++) {
      const batches = await collect(lastUpdatedFeed(reader, mark));
      pulls.push(batches);
      mark = batches.at(-1)?.cursor ?? mark;
    }
    const [first, second, third] = pulls;
    t.notOk(ids(first).includes('c'), `${refusal}: the first pull missed c`);
    t.ok(
      first.length > 0 && first.every((b) => b.cursor === FROM_THE_START),
      `${refusal}: what it read is applied, the mark held at the start`,
    );
    t.notOk(ids(second).includes('c'), `${refusal}: the second pull missed c too`);
    t.ok(
      second.every((b) => b.cursor === FROM_THE_START),
      `${refusal}: its mark held at the start`,
    );
    t.same(
      held.slice(0, 2),
      [
        { reason: 'uncounted', mark: undefined },
        { reason: 'uncounted', mark: undefined },
      ],
      `${refusal}: each held mark told, as the start`,
    );
    t.ok(ids(third).includes('c'), `${refusal}: c, missed by both reads, is read by the next pull`);
  }
});

t.test('lastUpdated: a registry giving no counts reads once a pull, and a single page moves the mark', async (t) => {
  // A still registry ignoring _sort, with no instant of its search and no count: a read of two pages
  // cannot be proven, so it is not read again within the pull (no read could prove it): applied
  // once, the mark held at the one it came from. A search of one page is whole and moves the mark.
  const state = {
    list: [location('y', 1, at(5)), ...['a', 'b', 'c', 'x'].map((id, i) => location(id, 1, at(1 + i)))],
  };
  const registry = liveRegistry(state, { sorted: false, ids: 'ignore' });
  const reader = withoutCounts(registry.reader, 'no-total');
  const held: MarkHeld[] = [];
  reader.markHeld = (h) => held.push(h);
  const batches = await collect(lastUpdatedFeed(reader, at(1)));
  t.same([...ids(batches)].sort(), ['a', 'b', 'c', 'x', 'y'], 'every Location read is applied');
  t.ok(
    batches.every((b) => b.cursor === at(1)),
    'the mark held where it was',
  );
  t.same(held, [{ reason: 'uncounted', mark: at(1) }], 'the held mark told');
  t.equal(registry.calls.filter((c) => c.includes('_offset')).length, 1, 'one whole read: its second page once');

  state.list = state.list.filter((l) => ['a', 'y'].includes(l.id));
  const one = await collect(lastUpdatedFeed(reader, at(1)));
  t.same(ids(one), ['a', 'y'], 'a search of one page');
  t.equal(one.at(-1)!.cursor, at(5), 'moves the mark');
  t.equal(held.length, 1, 'no mark held');
});
