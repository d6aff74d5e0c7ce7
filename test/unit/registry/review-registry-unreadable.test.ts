/**
 * An accept of a registry facility that is no candidate of the run is checked against the registry's
 * list. When that list cannot be read (its server down, its `registry.file` refused for its own
 * bad cells), the data manager was answered with the file's own 400, as if the accept were
 * malformed. Now a 503 saying the registry could not be read and why, nothing decided; a candidate
 * is still linked (its check tolerates a registry that cannot be read). The Location export, which
 * names the linked facilities from the list, says the same.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { InvalidInputError } from '../../../src/domain/errors.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'registry-unreadable-token';

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, {
      prefix: '/admin',
      store,
      adminToken: () => TOKEN,
      registry: async () => {
        throw new InvalidInputError('registry.csv line 7, column latitude: "91.5" is beyond 90 degrees', 'latitude');
      },
    });
    t.teardown(() => app.close());
    const before = await store.getCrosswalk('emr', 'L4');
    const candidate = before!.suggestions[0].registryId;
    // an id the registry may have added since the run: only its list can say
    const other = 'R-SINCE-RUN';

    const refused = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/accept',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
      payload: { registryId: other },
    });
    t.equal(refused.statusCode, 503, 'the registry, not the request, is at fault');
    t.match(
      refused.json().issue[0].diagnostics,
      new RegExp(
        `^the registry could not be read to check registryId "${other}", which is no candidate of the run: registry\\.csv line 7, column latitude: "91\\.5" is beyond 90 degrees; nothing was decided \\(try again`,
      ),
    );
    t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');

    const linked = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/accept',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
      payload: { registryId: candidate },
    });
    t.equal(linked.statusCode, 200, 'a candidate is linked without the list');
    t.equal((await store.getCrosswalk('emr', 'L4'))?.registryId, candidate);

    const exported = await app.inject({
      method: 'GET',
      url: '/admin/reconcile/emr/export.json',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    t.equal(exported.statusCode, 503, 'the export, which names the linked facilities, cannot be made');
    t.match(
      exported.json().issue[0].diagnostics,
      /^the registry could not be read to name the linked facilities: .*; no export was made/,
    );
  });
