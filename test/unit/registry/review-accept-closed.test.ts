/**
 * An accept of a registry facility the registry has closed since the run that proposed it. Before:
 * taken like any other, and propagation then deactivated the linked record in its system (a
 * closed registry facility's linked records are closed: propagation/plan.ts), though the data
 * manager only meant to link it. Now a 422 naming the facility and the way to mean it
 * (`"linkClosed": true`), nothing decided and nothing audited; with it, linked and audited as such.
 * Closed as the registry list says (registry.file) and as the registry pull keeps it. An undo
 * that would put back a link to a facility closed since (a break taken back) is held to the same.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import type { Facility } from '../../../src/domain/facility.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'accept-closed-token';

const closed = (f: Facility): Facility => ({ ...f, status: 'inactive' });

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
    // since the run: the registry list closes R4; the registry pull keeps R5 closed
    let registry = REVIEW_REGISTRY.map((f) => (f.id === 'R4' ? closed(f) : f));
    const r5 = closed(REVIEW_REGISTRY[1]);
    await store.putRegistryRecords([
      {
        registryId: 'R5',
        version: '2',
        changedAt: 2,
        seenAt: 2,
        record: { id: 'R5', version: '2', lastUpdated: '2026-12-01T00:00:00Z', facility: r5 },
      },
    ]);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => registry });
    t.teardown(() => app.close());
    const accept = (payload: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/accept',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
        payload,
      });
    const before = await store.getCrosswalk('emr', 'L4');
    const audited = async () => (await store.listAudit({ subject: 'emr/L4' })).length;

    for (const id of ['R4', 'R5']) {
      const refused = await accept({ registryId: id });
      t.equal(refused.statusCode, 422, `${id}, closed: 422`);
      const issue = refused.json().issue[0];
      t.match(
        issue.diagnostics,
        new RegExp(
          `^registry facility ${id} \\(Kasikeu .*\\) is closed in the registry: linked to it, emr/L4 would be deactivated by the next registry propagation; .*"linkClosed": true.*nothing was decided$`,
        ),
      );
      t.same(issue.expression, ['registryId']);
    }
    t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');
    t.equal(await audited(), 0, 'nothing audited');

    const bad = await accept({ registryId: 'R4', linkClosed: 'yes' });
    t.equal(bad.statusCode, 400, 'linkClosed is true or false, nothing else');

    const meant = await accept({ registryId: 'R4', linkClosed: true });
    t.equal(meant.statusCode, 200, 'meant: linked');
    t.equal((await store.getCrosswalk('emr', 'L4'))?.registryId, 'R4');
    const [entry] = await store.listAudit({ subject: 'emr/L4' });
    t.equal((entry.details as { linkClosed?: boolean }).linkClosed, true, 'the audit says it was meant');

    // reopened: an accept needs nothing more
    registry = REVIEW_REGISTRY;
    const { statusCode } = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/break',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
    });
    t.equal(statusCode, 200);
    t.equal((await accept({ registryId: 'R4' })).statusCode, 200, 'an open facility is linked as before');
  });

for (const engine of engineCases())
  t.test(`${engine.name}: an undo putting back a link to a facility closed since`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
    let registry = REVIEW_REGISTRY;
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => registry });
    await app.register(reviewUndoRoutes, {
      prefix: '/admin',
      store,
      adminToken: TOKEN,
      registry: async () => registry,
    });
    t.teardown(() => app.close());
    const post = (op: string, payload: Record<string, unknown> = {}) =>
      app.inject({
        method: 'POST',
        url: `/admin/reconcile/emr/L4/${op}`,
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
        payload,
      });
    t.equal((await post('accept', { registryId: 'R4' })).statusCode, 200);
    const flagged = await post('flag', { comment: 'check the county' });
    t.equal(flagged.statusCode, 200);
    registry = REVIEW_REGISTRY.map((f) => (f.id === 'R4' ? closed(f) : f));
    const unflag = await post('undo', { decidedBy: 'alice' });
    t.equal(unflag.statusCode, 200, 'an undo keeping the link it has (a flag taken back) links nothing new');
    const broken = await post('break');
    t.equal(broken.statusCode, 200);
    const before = await store.getCrosswalk('emr', 'L4');
    const refused = await post('undo', { decidedBy: 'alice' });
    t.equal(refused.statusCode, 422, 'the break taken back would link R4 again: 422');
    t.match(
      refused.json().issue[0].diagnostics,
      /^registry facility R4 \(Kasikeu Dispensary\) is closed in the registry: .*"linkClosed": true to put back the link all the same; nothing was undone$/,
    );
    t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing undone');
    const meant = await post('undo', { decidedBy: 'alice', linkClosed: true });
    t.equal(meant.statusCode, 200, 'meant: put back');
    t.equal((await store.getCrosswalk('emr', 'L4'))?.registryId, 'R4');
  });
