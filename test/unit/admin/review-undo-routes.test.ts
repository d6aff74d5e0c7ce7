/** Undo of review decisions through fastify.inject: the row comes back exactly, once, and never over newer work. */
import t from 'tap';
import Fastify from 'fastify';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'undo-secret-token';
const registry = [
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
  fac('R6', 'Kasikeu Annex', 'Kilome', 'Makueni'),
];
const left = [fac('L4', 'Kasikeu', 'Kilome', 'Makueni'), fac('L6', 'Kasikeu Annex Post', 'Kilome', 'Makueni')];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', left, registry);
    const app = Fastify();
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    t.teardown(() => app.close());
    const post = (path: string, payload: object = {}, actor = 'alice', token = TOKEN) =>
      app.inject({
        method: 'POST',
        url: `/admin/reconcile/emr/${path}`,
        headers: { authorization: `Bearer ${token}`, 'x-actor': actor },
        payload,
      });
    const initial = await store.getCrosswalk('emr', 'L4');
    t.equal(initial?.state, 'review');
    t.ok((initial?.suggestions.length ?? 0) >= 2, 'two candidates at least');

    await t.test('no token: 401, nothing changes', async (t) => {
      await post('L4/accept', { registryId: 'R4' });
      const r = await post('L4/undo', {}, 'mallory', 'wrong-token-xxxxxxx');
      t.equal(r.statusCode, 401);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'manual-match');
    });

    await t.test('without a named actor: 400', async (t) => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/undo',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      t.equal(r.statusCode, 400);
      t.match(r.json().issue[0].diagnostics, /X-Actor/);
    });

    await t.test('undo of an accept: the row as it was, decided by the one who undid', async (t) => {
      const r = await post('L4/undo', {}, 'bob');
      t.equal(r.statusCode, 200, r.body);
      const row = await store.getCrosswalk('emr', 'L4');
      t.equal(row?.state, 'review');
      t.equal(row?.registryId, undefined);
      t.same(row?.suggestions, initial?.suggestions, 'every candidate is back');
      t.equal(row?.decidedBy, 'bob');
      const [entry] = await store.listAudit({ subject: 'emr/L4', limit: 1 });
      t.match(entry, {
        actor: 'bob',
        action: 'review.undo',
        details: { undidAction: 'review.accept', undidActor: 'alice', from: 'manual-match', to: 'review' },
      });
    });

    await t.test('a second undo is refused: the last action was an undo', async (t) => {
      const r = await post('L4/undo');
      t.equal(r.statusCode, 409);
      t.match(r.json().issue[0].diagnostics, /already undone/);
    });

    await t.test("with decidedBy, only that person's decision is taken back", async (t) => {
      t.equal((await post('L4/accept', { registryId: 'R4' }, 'alice')).statusCode, 200);
      const r = await post('L4/undo', { decidedBy: 'bob' }, 'bob');
      t.equal(r.statusCode, 409);
      t.match(r.json().issue[0].diagnostics, /review\.accept by alice, not bob/);
      t.match(await store.getCrosswalk('emr', 'L4'), { state: 'manual-match', registryId: 'R4' }, "alice's stands");
      t.equal((await post('L4/undo', { decidedBy: 'alice' }, 'alice')).statusCode, 200);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review');
    });

    await t.test('undo of a reject brings the rejected candidate back and forgets the rejection', async (t) => {
      const before = await store.getCrosswalk('emr', 'L4');
      const top = before!.suggestions[0].registryId;
      t.equal((await post('L4/reject', { registryId: top })).statusCode, 200);
      t.notOk((await store.getCrosswalk('emr', 'L4'))?.suggestions.some((s) => s.registryId === top));
      t.equal((await post('L4/undo')).statusCode, 200);
      const after = await store.getCrosswalk('emr', 'L4');
      t.same(after?.suggestions, before?.suggestions);
      t.notOk((after?.rejectedRegistryIds ?? []).includes(top), 'no longer remembered as rejected');
    });

    await t.test('a row changed since the decision is not overwritten', async (t) => {
      t.equal((await post('L4/flag', { comment: 'check on site' })).statusCode, 200);
      // someone changes the row outside the review API after the flag
      const row = (await store.getCrosswalk('emr', 'L4'))!;
      await store.upsertCrosswalk({ ...row, state: 'no-match', decidedBy: 'carol' });
      const r = await post('L4/undo');
      t.equal(r.statusCode, 409);
      t.match(r.json().issue[0].diagnostics, /changed after review\.flag/);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'no-match', 'untouched');
    });

    await t.test('unknown record: 404; a record never decided: 409', async (t) => {
      t.equal((await post('NOPE/undo')).statusCode, 404);
      const r = await post('L6/undo');
      t.equal(r.statusCode, 409);
      t.match(r.json().issue[0].diagnostics, /no review decision/);
    });
  });
}
