/**
 * Issue 18: a Location search pages through OpenLMIS (GET /api/facilities/full with page and
 * size) instead of pulling every facility and zone for each request; zones come from the cache.
 * Paging through every page must give exactly what one unpaged search gives.
 */
import t from 'tap';
import { startRig, why, type Rig } from '../../../support/openlmis-e2e.js';

async function followPages(rig: Rig, first: string): Promise<{ ids: string[]; sizes: number[]; calls: string[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  const from = rig.lmis.sb.state.requestCount();
  let url: string | undefined = first;
  for (let i = 0; url && i < 50; i++) {
    const res = await rig.fhir('GET', url);
    if (res.status !== 200) throw new Error(`${url}: ${why(res)}`);
    const entries = (res.body.entry ?? []) as { resource: { id: string } }[];
    ids.push(...entries.map((e) => e.resource.id));
    sizes.push(entries.length);
    const next = (res.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
    url = next ? next.slice(next.indexOf('/fhir')) : undefined;
  }
  const calls = rig.lmis.sb.state.requestLog(from).map((r) => `${r.method} ${r.path}`);
  return { ids, sizes, calls };
}

t.test('a paged Location search asks OpenLMIS one page at a time and finds what an unpaged one does', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // _sort keeps the edge from pushing paging down: every match, the reference answer
  const all = await rig.fhir('GET', '/fhir/Location?_sort=name&_count=500');
  t.equal(all.status, 200, why(all));
  const expected = (all.body.entry as { resource: { id: string } }[]).map((e) => e.resource.id).sort();
  t.ok(expected.length > 20, `the seed has ${expected.length} Locations`);

  const paged = await followPages(rig, '/fhir/Location?_count=20');
  t.same([...paged.ids].sort(), expected, 'every Location once across the pages');
  t.equal(new Set(paged.ids).size, paged.ids.length, 'no Location twice');
  t.ok(
    paged.sizes.every((n) => n <= 20),
    `pages of at most 20 (${paged.sizes.join(', ')})`,
  );
  t.ok(paged.sizes.length >= 2, 'more than one page');
  t.same(
    paged.calls.filter((c) => c.includes('/api/geographicZones')),
    [],
    'zones come from the cache the unpaged search filled',
  );
  t.ok(
    paged.calls.filter((c) => c === 'GET /api/facilities/full').length <= paged.sizes.length,
    'at most one facility page asked per FHIR page',
  );

  const first = await followPages(rig, '/fhir/Location?_count=20&type=health_center');
  t.ok(first.ids.length > 0, 'a type filter finds health centres');
  const wanted = await rig.fhir('GET', '/fhir/Location?_sort=name&_count=500&type=health_center');
  t.same(
    [...first.ids].sort(),
    (wanted.body.entry as { resource: { id: string } }[]).map((e) => e.resource.id).sort(),
    'the type filter, paged by OpenLMIS, finds what the unpaged search finds',
  );

  const bad = await rig.fhir('GET', '/fhir/Location?_count=20&_cursor=nonsense');
  t.equal(bad.status, 400, 'a cursor this server never gave is refused');
  t.match(bad.body.issue?.[0]?.expression, ['_cursor']);
});
