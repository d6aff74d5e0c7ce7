/**
 * An accept links a system's facility to a registry facility: a registry jurisdiction (a district
 * the propagation pull kept, as it keeps every Location) is not one. Linked, the record would count
 * as matched while propagation writes nothing to it (jurisdictions are never written) and the
 * export would call a health post a district. Refused with 400 naming why, nothing changed.
 * Both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'review-area-token';
const registry = [
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
];
const AREA = 'jur-kilome';

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [fac('L4', 'Kasikeu', 'Kilome', 'Makueni')], registry);
    const area = { id: AREA, identifiers: [], name: 'Kilome Sub-County', status: 'active', kind: 'area' };
    await store.putRegistryRecords([
      {
        registryId: AREA,
        version: '1',
        changedAt: 1,
        seenAt: 1,
        record: { id: AREA, version: '1', lastUpdated: '2026-01-01T00:00:00Z', facility: area },
      },
    ]);
    const app = Fastify();
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => registry });
    t.teardown(() => app.close());
    const before = await store.getCrosswalk('emr', 'L4');
    const res = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/accept',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
      payload: { registryId: AREA },
    });
    t.equal(res.statusCode, 400);
    t.match(res.json(), {
      resourceType: 'OperationOutcome',
      issue: [
        {
          expression: ['registryId'],
          diagnostics: /registryId "jur-kilome" is a registry jurisdiction .*not a facility/,
        },
      ],
    });
    t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing changed');
  });
