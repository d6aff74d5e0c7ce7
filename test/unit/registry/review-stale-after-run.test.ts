/**
 * A decision on a record a reconcile run re-scored since it was shown is refused (409), and the
 * refusal says a reconcile run changed it. Before it said "by auto", the store's name for the
 * matcher, which a data manager reads as a colleague's name or as nothing. Both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'stale-after-run-token';

for (const engine of engineCases())
  t.test(`${engine.name}: a record re-scored since it was shown`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY, {
      at: '2026-12-01T08:00:00.000Z',
    });
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, {
      prefix: '/admin',
      store,
      adminToken: () => TOKEN,
      registry: async () => REVIEW_REGISTRY,
    });
    t.teardown(() => app.close());
    const shown = await store.getCrosswalk('emr', 'L4');
    t.equal(shown?.state, 'review');
    // the system renamed its record: the next run re-scores it
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu Disp')], REVIEW_REGISTRY, {
      at: '2026-12-01T09:00:00.000Z',
    });
    const res = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/accept',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
      payload: { registryId: 'R4', seenDecidedAt: shown?.decidedAt },
    });
    t.equal(res.statusCode, 409, 'refused');
    t.equal(
      res.json().issue[0].diagnostics,
      "emr/L4 changed since it was shown: now 'auto-match', by a reconcile run (re-scored) at 2026-12-01T09:00:00.000Z; look at it again (nothing was decided)",
      'says a reconcile run changed it',
    );
    t.equal((await store.getCrosswalk('emr', 'L4'))?.decidedBy, 'auto', 'nothing decided');
  });
