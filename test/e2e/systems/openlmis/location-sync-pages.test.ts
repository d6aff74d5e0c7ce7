/**
 * An incremental download (`_lastUpdated=gt<last sync>`, as the Android FHIR SDK does) over
 * OpenLMIS facilities: OpenLMIS keeps no change time, so the filter is applied by the mediator to
 * each page OpenLMIS answers, and most pages hold no change. A client following next links met a
 * run of empty pages (13 requests to find one renamed facility, session 23's helper H); the
 * mediator now reads on through pages with no match before it answers, so a page is empty only
 * when nothing is left to find.
 */
import t from 'tap';
import { startRig, why, type Rig } from '../../../support/openlmis-e2e.js';

type Entry = { resource: { id: string; name: string; meta: { lastUpdated: string } } };

async function followPages(rig: Rig, first: string): Promise<{ ids: string[]; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let url: string | undefined = first;
  for (let i = 0; url && i < 60; i++) {
    const res = await rig.fhir('GET', url);
    if (res.status !== 200) throw new Error(`${url}: ${why(res)}`);
    const entries = (res.body.entry ?? []) as Entry[];
    ids.push(...entries.map((e) => e.resource.id));
    sizes.push(entries.length);
    const next = (res.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
    url = next ? next.slice(next.indexOf('/fhir')) : undefined;
  }
  return { ids, sizes };
}

t.test('a _lastUpdated download over OpenLMIS pages skips pages with no change', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the first full download: every facility seen, small pages as a phone asks them
  const full = await followPages(rig, '/fhir/Location?_count=3');
  t.ok(full.sizes.length > 4, `the seed spans ${full.sizes.length} pages of 3`);
  const all = await rig.fhir('GET', '/fhir/Location?_sort=name&_count=500');
  t.equal(all.status, 200, why(all));
  const entries = all.body.entry as Entry[];
  const since = entries
    .map((e) => e.resource.meta.lastUpdated)
    .sort()
    .at(-1)!;

  // the facility OpenLMIS lists last (its pages go by name) is renamed in OpenLMIS itself
  const facilities = entries.filter((e) => !e.resource.id.startsWith('zone'));
  const last = [...facilities].sort((a, b) => a.resource.name.localeCompare(b.resource.name)).at(-1)!.resource;
  await new Promise((r) => setTimeout(r, 5));
  const token = await rig.lmis.login();
  const stored = (await rig.lmis.call('GET', `/api/facilities/${last.id}`, token)).body;
  t.ok(stored?.id, `${last.id} is an OpenLMIS facility`);
  const put = await rig.lmis.call('PUT', `/api/facilities/${last.id}`, token, { ...stored, name: `${stored.name} II` });
  t.equal(put.status, 200, 'renamed in OpenLMIS');
  // a read of everything sees the new name first (the sighting that dates the change)
  await followPages(rig, '/fhir/Location?_count=3');

  const sync = await followPages(rig, `/fhir/Location?_count=3&_lastUpdated=gt${encodeURIComponent(since)}`);
  t.same(sync.ids, [last.id], 'the renamed facility, and only it');
  t.ok(sync.sizes.length <= 2, `found in at most two requests (pages: ${sync.sizes.join(', ')})`);
  t.equal(sync.sizes[0], 1, 'the first page holds the change');
});
