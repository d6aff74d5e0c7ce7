/**
 * meta.lastUpdated is real (issue 16): an object whose system keeps no change time is stamped with
 * the time the mediator first saw that content (store table content_seen), so an incremental
 * download (`_lastUpdated=gt…`, `_sort=_lastUpdated`) sees exactly the facilities that changed.
 * On both engines.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import type { Connector } from '../../../src/routing/ports.js';
import { fhirJson, testApp } from '../../support/app.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { listedFacilities, listedFacility } from '../../support/listed-facilities.js';

const facility = listedFacility;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a facility's lastUpdated moves when, and only when, it changes`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const upstream = [facility(1), facility(2), facility(3)];
      const connector = listedFacilities(upstream);
      const outbox = new Outbox({ store });
      const { app } = await testApp({ services: createRoutingServices({ connectors: [connector], outbox, store }) });
      t.teardown(async () => {
        await outbox.stop();
        await app.close();
      });
      const search = async (query = '') =>
        (await app.inject({ method: 'GET', url: `/fhir/Location?${query}`, headers: fhirJson })).json();
      const stamps = (bundle: { entry?: { resource: { id: string; meta: { lastUpdated: string } } }[] }) =>
        Object.fromEntries((bundle.entry ?? []).map((e) => [e.resource.id, e.resource.meta.lastUpdated]));

      const before = Date.now();
      const first = stamps(await search());
      t.equal(Object.keys(first).length, 3);
      for (const at of Object.values(first)) {
        t.ok(Date.parse(at) >= before - 1 && Date.parse(at) <= Date.now(), `stamped when first seen (${at}), not 1970`);
      }
      await sleep(15);
      t.same(stamps(await search()), first, 'nothing changed: the same times on the next read');
      const read = await app.inject({ method: 'GET', url: '/fhir/Location/fac-2', headers: fhirJson });
      t.equal(read.json().meta.lastUpdated, first['fac-2'], 'a read agrees with the search');
      t.equal(read.headers['last-modified'], new Date(first['fac-2']).toUTCString());

      const mark = new Date().toISOString();
      await sleep(15);
      upstream[1] = facility(2, 'Facility 2 (renamed)');
      const after = stamps(await search());
      t.ok(after['fac-2'] > mark, 'the renamed facility is stamped later');
      t.equal(after['fac-1'], first['fac-1']);
      t.equal(after['fac-3'], first['fac-3']);
      const changed = await search(`_lastUpdated=gt${mark}`);
      t.same(
        changed.entry.map((e: { resource: { id: string } }) => e.resource.id),
        ['fac-2'],
        'an incremental download sees only the change',
      );
      const sorted = await search('_sort=-_lastUpdated');
      t.equal(sorted.entry[0].resource.id, 'fac-2', '_sort=-_lastUpdated puts it first');
      upstream[1] = facility(2);
      const back = stamps(await search());
      t.ok(back['fac-2'] >= after['fac-2'], 'changed back is a change too (never an older time)');
    },
  );
}

t.test('an upstream change time is kept as it is', async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  const connector: Connector = {
    system: 'lmis',
    facilities: {
      async get() {
        return undefined;
      },
      async search() {
        return { items: [{ ...facility(9), lastUpdated: '2024-05-06T07:08:09.000Z' }] };
      },
    },
  };
  const outbox = new Outbox({ store });
  const { app } = await testApp({ services: createRoutingServices({ connectors: [connector], outbox, store }) });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
  });
  const bundle = (await app.inject({ method: 'GET', url: '/fhir/Location', headers: fhirJson })).json();
  t.equal(bundle.entry[0].resource.meta.lastUpdated, '2024-05-06T07:08:09.000Z');
});
