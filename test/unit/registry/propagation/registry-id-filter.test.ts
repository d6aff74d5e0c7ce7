/**
 * The propagation list's registryId filter as pasted (" R-1 ", from a spreadsheet cell) lists
 * R-1's changes on both store engines, as the review's accept takes " R4 " for R4: no registry id
 * has spaces around it, and the padded one listed nothing, as if R-1 had no change. A blank one is
 * a 400 naming the parameter, not an empty list nor every change.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../../src/fhir/outcome.js';
import { propagationRoutes } from '../../../../src/registry/propagation/routes.js';
import type { Propagator } from '../../../../src/registry/propagation/propagator.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';

const TOKEN = 'registry-id-filter-token';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    for (const [registryId, updatedAt] of [
      ['R-1', 1],
      ['R-2', 2],
    ] as const)
      await store.putPropagation({
        registryId,
        version: '1',
        system: 'dhis2',
        action: 'update',
        state: 'done',
        updatedAt,
      });
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(propagationRoutes, {
      prefix: '/admin',
      store,
      propagator: {} as Propagator,
      adminToken: TOKEN,
      systems: () => ['dhis2'],
    });
    t.teardown(() => app.close());
    const list = async (registryId: string) => {
      const r = await app.inject({
        method: 'GET',
        url: `/admin/propagation?registryId=${encodeURIComponent(registryId)}`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return { status: r.statusCode, body: r.json() };
    };

    const pasted = await list(' R-1 ');
    t.equal(pasted.status, 200);
    t.same(
      pasted.body.items.map((i: { registryId: string }) => i.registryId),
      ['R-1'],
      '" R-1 " lists the changes of R-1',
    );
    for (const blank of ['   ', '']) {
      const refused = await list(blank);
      t.equal(refused.status, 400, `${JSON.stringify(blank)}: refused`);
      t.equal(refused.body.resourceType, 'OperationOutcome');
      t.same(refused.body.issue[0].expression, ['registryId'], 'naming the parameter');
      t.equal(
        refused.body.issue[0].diagnostics,
        `registryId ${JSON.stringify(blank)} is blank: give the registry id whose changes to list, or leave registryId out`,
        'quoted as sent, so the spaces show',
      );
    }
    const all = await list('R-2');
    t.same(
      all.body.items.map((i: { registryId: string }) => i.registryId),
      ['R-2'],
      'an id as typed lists its changes',
    );
  });
}
