/**
 * A registry ignoring `_sort` whose search Bundle has no meta.lastUpdated: the instant its search
 * was made is then its HTTP Date header, to the second, and maybe from a proxy whose clock runs
 * ahead: a minute less (bundle.ts instantBeforeDate). A whole read's mark goes no later than that,
 * so a Location changed while it was read, in its place in the list, is read by the next pull.
 */
import t from 'tap';
import { startMfrSandbox } from '../../../../sandbox/mfr/index.js';
import { createRegistryClient, type RegistryPage } from '../../../../src/registry/mfr/index.js';

const TOKEN = 'mfr-sandbox-token';
const PAGE = 7;

t.test('no Bundle.meta.lastUpdated: a whole read marks no later than the Date header less a minute', async (t) => {
  // the directory's clock, moved by hand (its Date header too): no instant depends on the wall clock
  let clock = Date.UTC(2025, 0, 1, 0, 10, 0);
  const s = await startMfrSandbox({
    port: 0,
    pageSize: 6,
    ignoreSort: true,
    searchTime: 'date',
    state: { now: () => clock },
  });
  t.teardown(() => s.close());
  const c = createRegistryClient(
    { 'registry.url': s.url, 'registry.token': TOKEN, 'registry.pageSize': PAGE, 'registry.changeFeed': 'lastUpdated' },
    { retries: 0, retryDelayMs: 1 },
  )!;
  t.teardown(() => c.close());
  const pull = async (cursor?: string) => {
    const pages: RegistryPage[] = [];
    for await (const p of c.changesSince(cursor)) pages.push(p);
    return pages;
  };
  const listed = s.state.visible('Location');
  // ten minutes on, the first Location renamed (in its place: page 1 out of order, read whole)
  clock += 600_000;
  const renamed = s.state.rename(listed[0].id, 'Renamed first');
  // while page 2 is read, the second (already read on page 1) changes in place, then one of page 2:
  // a mark at the newest instant read would step over the second's new version for good
  let early: { id: string; versionId: number } | undefined;
  const push = s.requests.push.bind(s.requests);
  s.requests.push = (...r: string[]) => {
    if (!early && r.some((x) => x.includes(`_offset=${PAGE}`))) {
      clock += 1_000;
      early = s.state.rename(listed[1].id, 'Renamed while read');
      clock += 1_000;
      s.state.rename(listed[PAGE + 1].id, 'Renamed later in the list');
    }
    return push(...r);
  };

  const first = await pull();
  t.ok(early, 'the registry changed during the whole read');
  t.ok(
    first.some((p) => p.records.some((r) => r.id === renamed.id)),
    'the rename before the read is read',
  );
  // Date: 00:20:00 GMT (the search's second); a minute less, never the rename's 00:20:00.000 read after it
  t.equal(first.at(-1)!.cursor, '2025-01-01T00:19:00.000Z', 'the mark: the Date header less a minute');
  for (const p of first) t.ok(Date.parse(p.cursor) <= Date.parse('2025-01-01T00:19:00.000Z'), 'no batch past it');

  const next = await pull(first.at(-1)!.cursor);
  const read = [...first, ...next].flatMap((p) => p.records.map((r) => `${r.id}/${r.version}`));
  t.ok(read.includes(`${early!.id}/${early!.versionId}`), 'the version changed during the read is read next pull');
});
