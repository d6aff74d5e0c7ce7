/**
 * HAPI JPA answers a search asked again within 60 s (`reuseCachedSearchResultsForMillis`) from its
 * cache: the same Locations, in their current versions. An idle registry's feed asks the very same
 * search each pull (its mark has not moved): a Location created since is missing from the cached
 * answer while one in it, changed later, moves the mark past the first for good. The client asks
 * for a fresh search (`Cache-Control: no-cache`, which HAPI honours).
 */
import t from 'tap';
import { startMfrSandbox } from '../../../../sandbox/mfr/index.js';
import { createRegistryClient, type RegistryPage } from '../../../../src/registry/mfr/index.js';

t.test('a pull asking the same search again is answered fresh, not from the search cache', async (t) => {
  const s = await startMfrSandbox({ port: 0, pageSize: 50, reuseSearchesMs: 60_000 });
  t.teardown(() => s.close());
  const c = createRegistryClient(
    { 'registry.url': s.url, 'registry.token': 'mfr-sandbox-token', 'registry.changeFeed': 'lastUpdated' },
    { retries: 0, retryDelayMs: 1 },
  )!;
  t.teardown(() => c.close());
  const pull = async (cursor?: string) => {
    const pages: RegistryPage[] = [];
    for await (const p of c.changesSince(cursor)) pages.push(p);
    return pages;
  };
  const listed = s.state.visible('Location');
  const newest = s.state.rename(listed[0].id, 'Newest');
  const first = await pull();
  const mark = first.at(-1)!.cursor;
  t.equal(mark, newest.lastUpdated, 'the mark: the newest Location');
  t.same(
    (await pull(mark)).flatMap((p) => p.records.map((r) => r.id)),
    [newest.id],
    'an idle pull: the mark again',
  );
  // within the minute: another Location changes, then the newest one again
  const other = s.state.rename(listed[1].id, 'Changed meanwhile');
  s.state.rename(newest.id, 'Newest again');
  const third = await pull(mark);
  t.ok(
    third.some((p) => p.records.some((r) => r.id === other.id && r.version === String(other.versionId))),
    'the Location changed meanwhile is read',
  );
});
