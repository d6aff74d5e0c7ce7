/**
 * An accept's registryId as pasted (" R4 ", from a spreadsheet cell) links R4 on both store engines:
 * no registry id has spaces around it, and it was refused as unknown with the spaces unseen. An id
 * that is unknown is a 400 quoting it, so what was sent shows, spaces and all.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'registry-id-token';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, {
      prefix: '/admin',
      store,
      adminToken: () => TOKEN,
      registry: async () => REVIEW_REGISTRY,
    });
    t.teardown(() => app.close());
    const accept = (registryId: string) =>
      app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/accept',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
        payload: { registryId },
      });

    const unknown = await accept(' R9 ');
    t.equal(unknown.statusCode, 400, 'an unknown id: 400');
    t.equal(
      unknown.json().issue[0].diagnostics,
      'registryId "R9" is neither a candidate of emr/L4 nor a facility the registry lists',
      'quoted as read',
    );
    const inner = await accept('R 4');
    t.match(inner.json().issue[0].diagnostics, /^registryId "R 4" is neither/, 'spaces inside show in the quote');
    const blank = await accept('   ');
    t.equal(blank.statusCode, 400);
    t.same(blank.json().issue[0].expression, ['registryId'], 'a blank id is no id');

    const pasted = await accept(' R4 ');
    t.equal(pasted.statusCode, 200, '" R4 " links R4');
    t.equal(pasted.json().row.registryId, 'R4');
    t.equal((await store.getCrosswalk('emr', 'L4'))?.registryId, 'R4', 'stored without the spaces');
  });
}
