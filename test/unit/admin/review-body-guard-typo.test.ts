/**
 * A review decision or an undo guarded by what the caller saw (`seenDecidedAt`, `decidedAt`,
 * `decidedBy`) with that field misspelt lost its guard: the body schema dropped the unknown field
 * (ajv removeAdditional) and the decision overruled a colleague's newer one it never saw, or the
 * undo took back a decision other than the one named. Now a 400 naming the field, and nothing is
 * decided or undone. Through the admin API on both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'body-guard-token';
const registry = [
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
];
const left = [fac('L4', 'Kasikeu', 'Kilome', 'Makueni')];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', left, registry);
    const app = Fastify();
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    t.teardown(() => app.close());
    const post = (path: string, payload: object, actor: string) =>
      app.inject({
        method: 'POST',
        url: `/admin/reconcile/emr/${path}`,
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': actor },
        payload,
      });
    const row = () => store.getCrosswalk('emr', 'L4');
    const reviews = async () => (await store.listAudit({ subject: 'emr/L4' })).length;

    const shown = await row();
    t.equal(shown?.state, 'review', 'the record waits for a person');
    // a colleague decides first
    t.equal((await post('L4/flag', { comment: 'check the county' }, 'alice')).statusCode, 200);
    const flagged = await row();

    await t.test('a decision with seenDecidedAt misspelt overrules nothing', async (t) => {
      const audited = await reviews();
      const r = await post('L4/accept', { registryId: 'R4', seenDecidedAT: shown?.decidedAt ?? 'never' }, 'bob');
      t.equal(r.statusCode, 400, 'refused');
      t.equal(r.json().resourceType, 'OperationOutcome');
      t.same(r.json().issue[0].expression, ['seenDecidedAT'], 'naming the field');
      t.match(r.json().issue[0].diagnostics, /body element 'seenDecidedAT' is not one this decision takes/);
      t.same(await row(), flagged, "alice's flag stands");
      t.equal(await reviews(), audited, 'nothing audited');
    });

    await t.test('an undo with decidedAt misspelt undoes nothing', async (t) => {
      const audited = await reviews();
      const r = await post('L4/undo', { decidedBy: 'alice', decided_at: 'whatever' }, 'alice');
      t.equal(r.statusCode, 400);
      t.same(r.json().issue[0].expression, ['decided_at']);
      t.same(await row(), flagged, 'the flag stands');
      t.equal(await reviews(), audited);
    });

    await t.test('the fields spelt right still act', async (t) => {
      const r = await post('L4/undo', { decidedBy: 'alice', decidedAt: flagged?.decidedAt }, 'alice');
      t.equal(r.statusCode, 200, 'undone');
      t.equal((await row())?.state, 'review');
    });
  });
}
