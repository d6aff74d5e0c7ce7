/**
 * A registry that ignores `_sort` on the `_lastUpdated` feed (some HAPI configurations, custom
 * mCSD servers) answers in its own order. A first page that happens to ascend (its last Location
 * renamed since, the rest in the order they were made) once moved the keyset search, and the
 * high-water mark, to that page's newest instant: the older Locations on later pages were never
 * read, then or after. The feed now has the registry count what it left behind before it moves.
 */
import t, { type Test } from 'tap';
import { startMfrSandbox, type MfrSandbox, type MfrSandboxOptions } from '../../../../sandbox/mfr/index.js';
import { createRegistryClient, type RegistryPage } from '../../../../src/registry/mfr/index.js';

const TOKEN = 'mfr-sandbox-token';
const PAGE = 7;

async function sandbox(t: Test, options: MfrSandboxOptions): Promise<MfrSandbox> {
  const s = await startMfrSandbox({ port: 0, pageSize: 6, ...options });
  t.teardown(() => s.close());
  return s;
}

async function drain(s: MfrSandbox, t: Test, cursor?: string): Promise<RegistryPage[]> {
  const c = createRegistryClient(
    {
      'registry.url': s.url,
      'registry.token': TOKEN,
      'registry.pageSize': PAGE,
      'registry.changeFeed': 'lastUpdated',
    },
    { retries: 0, retryDelayMs: 1 },
  )!;
  t.teardown(() => c.close());
  const pages: RegistryPage[] = [];
  for await (const p of c.changesSince(cursor)) pages.push(p);
  return pages;
}

const ids = (pages: RegistryPage[]) => pages.flatMap((p) => p.records.map((r) => r.id)).sort();

for (const ignoreSort of [true, false]) {
  t.test(`a first page that ascends by chance (registry ${ignoreSort ? 'ignores' : 'honours'} _sort)`, async (t) => {
    const s = await sandbox(t, { ignoreSort });
    const listed = s.state.visible('Location');
    t.ok(listed.length > 2 * PAGE, 'more Locations than two pages');
    // the 7th in the directory's own order changes: its first page still ascends, now up to it
    const renamed = s.state.rename(listed[PAGE - 1].id, 'Renamed since');

    const pages = await drain(s, t);
    t.same(ids(pages), listed.map((l) => l.id).sort(), 'every Location read, none skipped');
    t.equal(pages.at(-1)!.cursor, renamed.lastUpdated, 'the mark: the newest instant');
    for (const p of pages.slice(0, -1))
      t.ok(Date.parse(p.cursor) <= Date.parse(renamed.lastUpdated), 'no batch marks past a later one');

    // and from that mark, only what changed since
    const later = s.state.rename(listed[2 * PAGE].id, 'Renamed later');
    const next = await drain(s, t, pages.at(-1)!.cursor);
    t.same(ids(next), [renamed.id, later.id].sort(), 'the mark re-reads its own instant and the new change');
  });
}

t.test('a registry that ignores _sort and refuses _summary=count is read whole', async (t) => {
  const s = await sandbox(t, {
    ignoreSort: true,
    faults: [{ method: 'GET', path: '/fhir/Location?**_summary=count**', action: { type: 'status', status: 400 } }],
  });
  const listed = s.state.visible('Location');
  const renamed = s.state.rename(listed[PAGE - 1].id, 'Renamed since');
  const pages = await drain(s, t);
  t.ok(
    s.requests.some((r) => r.includes('_summary=count')),
    'it was asked to count',
  );
  t.same(ids(pages), listed.map((l) => l.id).sort(), 'every Location read, none skipped');
  t.equal(pages.at(-1)!.cursor, renamed.lastUpdated);
});

t.test('a count answered 503 fails the pull where it stood; the next pull from the mark reads the rest', async (t) => {
  // the second count (the search from the first batch's mark) fails once, retries spent
  const s = await sandbox(t, {
    faults: [
      {
        method: 'GET',
        path: '/fhir/Location?_lastUpdated=ge**_summary=count**',
        action: { type: 'status', status: 503 },
        times: 1,
      },
    ],
  });
  const listed = s.state.visible('Location');
  const c = createRegistryClient(
    { 'registry.url': s.url, 'registry.token': TOKEN, 'registry.pageSize': PAGE, 'registry.changeFeed': 'lastUpdated' },
    { retries: 0, retryDelayMs: 1 },
  )!;
  t.teardown(() => c.close());
  const first: RegistryPage[] = [];
  const err = await (async () => {
    for await (const p of c.changesSince(undefined)) first.push(p);
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(err, { name: 'RegistryError', transient: true, upstreamStatus: 503 }, 'the pull fails, transient');
  t.equal(first.length, 1, 'only the batch counted before the 503 was given');
  t.ok(
    s.requests.some((r) => r.includes('_summary=count') && r.includes('_lastUpdated=ge')),
    'the failing count was asked',
  );
  const rest = await drain(s, t, first[0].cursor);
  t.same(
    [...new Set(ids([...first, ...rest]))],
    listed.map((l) => l.id).sort(),
    'from the mark the batch left, every Location read',
  );
});

t.test('a Location changed in place after it was read is read by the next pull', async (t) => {
  // The sandbox ignoring _sort keeps a changed Location in its place (as HAPI's PID order). The
  // first Location, renamed, puts page 1 out of order: the answer is read whole by offset. While page
  // 2 is asked, the second Location (read on page 1) is renamed, then one on page 2: the count still
  // matches, and a mark at page 2's new instant would step over the second's new version for good.
  const s = await sandbox(t, { ignoreSort: true });
  const listed = s.state.visible('Location');
  s.state.rename(listed[0].id, 'Renamed first');
  let early: { id: string; versionId: number } | undefined;
  const push = s.requests.push.bind(s.requests);
  s.requests.push = (...r: string[]) => {
    if (!early && r.some((x) => x.includes(`_offset=${PAGE}`))) {
      early = s.state.rename(listed[1].id, 'Renamed while read');
      s.state.rename(listed[PAGE + 1].id, 'Renamed later in the list');
    }
    return push(...r);
  };
  const first = await drain(s, t);
  t.ok(early, 'the registry changed during the whole read');
  const next = await drain(s, t, first.at(-1)!.cursor);
  const read = [...first, ...next].flatMap((p) => p.records.map((r) => `${r.id}/${r.version}`));
  t.ok(read.includes(`${early!.id}/${early!.versionId}`), 'the version changed after it was read is read');
});
