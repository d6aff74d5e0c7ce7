/**
 * Two data managers deciding at the same moment (two console tabs, two mediator instances on one
 * PostgreSQL database). A decision carrying `seenDecidedAt` must act only on the row as it was
 * shown: of two sent at once on the same record one is taken, the other is a 409 saying who
 * decided; and one registry facility is linked to at most one record of a system, however close
 * together two accepts of it arrive. Both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';
import { openStore, type Store } from '../../../src/store/index.js';

const TOKEN = 'review-race-token';
const registry = [
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
  fac('R6', 'Mutomo Health Centre', 'Kitui South', 'Kitui'),
];
const left = [
  fac('L4', 'Kasikeu', 'Kilome', 'Makueni'),
  fac('L6', 'Unrelated Place', 'Nowhere', 'Elsewhere'),
  fac('L7', 'Other Place', 'Nowhere', 'Elsewhere'),
];

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', left, registry);
    // two instances: on PostgreSQL each with its own store (pool) on the one database; SQLite is
    // owned by one process
    const other = engine.name === 'postgres' ? await openStore({ databaseUrl }) : store;
    if (other !== store) t.teardown(() => other.close());
    const apps = await Promise.all([store, other].map((s) => reviewApp(s)));
    t.teardown(() => Promise.all(apps.map((a) => a.close())));
    const instanceOf = { alice: apps[0], bob: apps[1] } as Record<string, (typeof apps)[0]>;
    const post = (actor: string, path: string, payload: object) =>
      (instanceOf[actor] ?? apps[0]).inject({
        method: 'POST',
        url: `/admin/reconcile/emr/${path}`,
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': actor },
        payload,
      });
    const decisions = async (subject: string) =>
      (await store.listAudit({ subject, limit: 100 })).filter((e) => e.action.startsWith('review.'));

    t.test('two decisions on one record shown alike: one is taken, the other refused', async (t) => {
      const shown = await store.getCrosswalk('emr', 'L4');
      t.equal(shown?.state, 'review', 'L4 waits for a person');
      const seenDecidedAt = shown?.decidedAt ?? '';
      const [alice, bob] = await Promise.all([
        post('alice', 'L4/accept', { registryId: 'R4', seenDecidedAt }),
        post('bob', 'L4/no-match', { seenDecidedAt }),
      ]);
      const codes = [alice.statusCode, bob.statusCode].sort();
      t.same(codes, [200, 409], `one taken, one refused (alice ${alice.statusCode}, bob ${bob.statusCode})`);
      const [taken, refused] = alice.statusCode === 200 ? [alice, bob] : [bob, alice];
      const winner = alice.statusCode === 200 ? 'alice' : 'bob';
      t.match(refused.json(), {
        resourceType: 'OperationOutcome',
        issue: [{ code: 'conflict', diagnostics: new RegExp(`changed since it was shown.*by ${winner}`) }],
      });
      const row = await store.getCrosswalk('emr', 'L4');
      t.same(
        { state: row?.state, by: row?.decidedBy },
        { state: taken.json().row.state, by: winner },
        'the row is the decision taken',
      );
      t.equal((await decisions('emr/L4')).length, 1, 'one decision audited');
    });

    t.test('two records accepted to one registry facility at once: one link', async (t) => {
      const [l7, l6] = await Promise.all([
        post('alice', 'L7/accept', { registryId: 'R6' }),
        post('bob', 'L6/accept', { registryId: 'R6' }),
      ]);
      t.same([l7.statusCode, l6.statusCode].sort(), [200, 409], `L7 ${l7.statusCode}, L6 ${l6.statusCode}`);
      const holders = (await store.listCrosswalkByRegistryId('R6')).filter(
        (r) => r.system === 'emr' && r.state === 'manual-match',
      );
      t.equal(holders.length, 1, 'R6 links one emr record');
      const refused = l7.statusCode === 409 ? l7 : l6;
      t.match(refused.json(), { issue: [{ code: 'conflict', diagnostics: /already linked to emr\/L[67]/ }] });
    });

    t.test("an undo and a colleague's decision at once: one acts, the other is refused", async (t) => {
      const linked = await post('alice', 'L6/flag', { comment: 'check the name' });
      t.equal(linked.statusCode, 200);
      const shown = linked.json().row.decidedAt as string;
      const [undo, flag] = await Promise.all([
        post('alice', 'L6/undo', { decidedBy: 'alice' }),
        post('bob', 'L6/break', { seenDecidedAt: shown }),
      ]);
      t.same(
        [undo.statusCode, flag.statusCode].sort(),
        [200, 409],
        `undo ${undo.statusCode}, break ${flag.statusCode}`,
      );
      const row = await store.getCrosswalk('emr', 'L6');
      t.equal(row?.decidedBy, undo.statusCode === 200 ? 'alice' : 'bob', 'the row is what the one taken left');
    });

    t.test('an undo never links a registry facility linked to another record since', async (t) => {
      // whichever record holds R6 (the race above may have gone either way, and the undo race may
      // have freed it): break it, link R6 to L4 meanwhile, then undo the break
      const held = (await store.listCrosswalkByRegistryId('R6')).find(
        (r) => r.system === 'emr' && r.state === 'manual-match',
      )?.systemId;
      const holder = held ?? 'L7';
      if (!held) t.equal((await post('carol', `${holder}/accept`, { registryId: 'R6' })).statusCode, 200);
      t.equal((await post('carol', `${holder}/break`, {})).statusCode, 200, `${holder} broken`);
      if ((await store.getCrosswalk('emr', 'L4'))?.state === 'manual-match')
        t.equal((await post('dave', 'L4/break', {})).statusCode, 200, 'L4 free for R6');
      t.equal((await post('dave', 'L4/accept', { registryId: 'R6' })).statusCode, 200, 'R6 linked to L4');
      const before = await store.getCrosswalk('emr', holder);
      const undo = await post('carol', `${holder}/undo`, { decidedBy: 'carol' });
      t.equal(undo.statusCode, 409, 'refused');
      t.match(undo.json(), { issue: [{ code: 'conflict', diagnostics: /R6 is already linked to emr\/L4/ }] });
      t.same(await store.getCrosswalk('emr', holder), before, 'nothing changed');
    });
  });

async function reviewApp(store: Store) {
  const app = Fastify();
  await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => registry });
  await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
  return app;
}
