/**
 * Store.putPropagation given the revision its plan read (store/propagation-revision.ts) writes
 * only over that row: a plan made from a row written since (a decision's plan, a settle, another
 * instance's plan) is not taken, and a plan that read no row does not write over one made since.
 * Every write (plan or settle) moves the revision; a plan given none writes as before. The e2e
 * test of the race this closes: decision-mid-plan.test.ts. Both engines.
 */
import t from 'tap';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import type { Propagation } from '../../../src/store/types.js';

const row = (over: Partial<Propagation> = {}): Propagation => ({
  registryId: 'fac-1',
  system: 'openlmis',
  version: '1',
  action: 'update',
  state: 'held',
  reason: 'in review',
  systemId: 'S-1',
  updatedAt: 1,
  ...over,
});

const revision = async (store: { getPropagation(r: string, s: string): Promise<Propagation | undefined> }) =>
  (await store.getPropagation('fac-1', 'openlmis'))?.revision;

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    t.equal(await store.putPropagation(row(), null), true, 'no row read, none there: inserted');
    t.equal(await revision(store), 1, 'a new row is at revision 1');
    t.equal(
      await store.putPropagation(row({ state: 'skipped' }), null),
      false,
      'no row read, one there now: not taken',
    );

    const seen = (await store.getPropagation('fac-1', 'openlmis'))!;
    // a decision plans the row queued after the pull read it
    t.equal(await store.putPropagation(row({ state: 'queued', reason: undefined }), seen.revision), true);
    t.equal(await revision(store), 2, 'each plan adds one');
    t.equal(
      await store.putPropagation(row({ state: 'held', reason: 'stale' }), seen.revision),
      false,
      "the pull's plan from the row before the decision: not taken",
    );
    t.match(await store.getPropagation('fac-1', 'openlmis'), { state: 'queued', reason: undefined });

    const now = (await store.getPropagation('fac-1', 'openlmis'))!;
    await store.settlePropagation(row({ state: 'done', reason: undefined }));
    t.equal(await revision(store), 3, 'a settle adds one');
    t.equal(
      await store.putPropagation(row({ version: '2', state: 'queued' }), now.revision),
      false,
      'a plan read before the settle: not taken',
    );
    t.equal(await store.putPropagation(row({ version: '2', state: 'queued' }), 3), true, 'read after it: taken');
    t.equal(await store.putPropagation(row({ version: '3', state: 'queued' })), true, 'no revision given: written');
    t.match(await store.getPropagation('fac-1', 'openlmis'), { version: '3', revision: 5 });
  });
