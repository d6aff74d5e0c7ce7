/**
 * The instant a caller was shown (`seenDecidedAt` on a decision, `decidedAt` on an undo) is an
 * instant, not a spelling: the same moment written with `+00:00` instead of `Z` is the same
 * decision, and a value that is no instant ("yesterday") is a 400 naming the field, not a 409
 * claiming that a colleague changed the record. Nothing changes on a refusal. Both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'seen-instant-token';
const registry = [
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
];
const left = [fac('L4', 'Kasikeu', 'Kilome', 'Makueni')];
/** 2026-12-05T07:23:49.663Z written as 2026-12-05T07:23:49.663+00:00, or 09:23:49.663+02:00 */
const otherSpelling = (iso: string) => iso.replace(/Z$/, '+00:00');
const inNairobi = (iso: string) => new Date(Date.parse(iso) + 3 * 3600_000).toISOString().replace(/Z$/, '+03:00');

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', left, registry);
    const app = Fastify();
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    t.teardown(() => app.close());
    const post = (path: string, payload: object) =>
      app.inject({
        method: 'POST',
        url: `/admin/reconcile/emr/${path}`,
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
        payload,
      });
    const before = await store.getCrosswalk('emr', 'L4');
    t.equal(before?.state, 'review');

    for (const bad of ['yesterday', '2026-13-45T99:00:00Z', '1']) {
      const r = await post('L4/no-match', { seenDecidedAt: bad });
      t.equal(r.statusCode, 400, `seenDecidedAt ${bad}: 400`);
      t.same(r.json().issue[0].expression, ['seenDecidedAt']);
      t.match(r.json().issue[0].diagnostics, /seenDecidedAt .*instant/);
    }
    t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing changed');

    const decided = await post('L4/no-match', { seenDecidedAt: inNairobi(before!.decidedAt!) });
    t.equal(decided.statusCode, 200, 'the instant shown, written in another zone, is the row as shown');
    const decidedAt = decided.json().row.decidedAt as string;

    const nonsense = await post('L4/undo', { decidedBy: 'alice', decidedAt: 'last tuesday' });
    t.equal(nonsense.statusCode, 400, 'an undo naming no instant: 400');
    t.same(nonsense.json().issue[0].expression, ['decidedAt']);
    t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'no-match', 'nothing undone');

    const undone = await post('L4/undo', { decidedBy: 'alice', decidedAt: otherSpelling(decidedAt) });
    t.equal(undone.statusCode, 200, 'the decision named by its instant in another spelling is undone');
    t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review');
    const again = await post('L4/undo', { decidedBy: 'alice', decidedAt: otherSpelling(decidedAt) });
    t.equal(again.statusCode, 409, 'sent again: already undone');
    t.match(again.json().issue[0].diagnostics, /already undone/);
  });
}
