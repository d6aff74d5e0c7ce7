/**
 * The per-record delivery order (ClaimRequest.inOrder, Store.waitsBehind, Store.waitingWriteOf) on
 * both engines, keyed by the record a write is for (NewJob.orderKey), in the order the database
 * took the jobs:
 * - two jobs of one record under two payload ids (a POST of a Location by its code, a PUT of it by
 *   its OpenLMIS id) keep their order;
 * - an instance whose clock lags writes a later job with an earlier created_at: it still waits for
 *   the job accepted before it (skew simulated by created_at, the column the order was read from).
 */
import t from 'tap';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const facility = (id: string, payloadId: string, over: Parameters<typeof newJob>[1] = {}) =>
  newJob(id, { flow: 'facility', payload: { id: payloadId, name: id }, ...over });

function claimer(store: Store) {
  return async (now: number, owner: string) =>
    (
      await store.claimJobs({
        system: 'openlmis',
        flows: ['facility'],
        inOrder: ['facility'],
        limit: 10,
        leaseOwner: owner,
        leaseMs: 100_000,
        now,
      })
    )
      .map((j) => j.id)
      .sort();
}

const done = { status: 'done' as const, result: { system: 'openlmis', ids: {} } };

for (const engine of engineCases()) {
  t.test(`one record under two payload ids keeps its order (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const claim = claimer(store);
    // P: a POST by code (its id derived from the code), in backoff; U: a PUT by the OpenLMIS id, due
    await store.recordWrite(
      facility('P', 'from-code', { orderKey: 'code|HC-1', createdAt: 1_000, nextAttemptAt: 5_000 }),
    );
    await store.recordWrite(
      facility('U', 'lmis-uuid', { orderKey: 'code|HC-1', createdAt: 1_001, nextAttemptAt: 1_001 }),
    );
    // another record: not held
    await store.recordWrite(facility('V', 'other', { orderKey: 'code|HC-2', createdAt: 1_002, nextAttemptAt: 1_002 }));

    t.ok(await store.waitsBehind('U'), 'U is behind P');
    t.notOk(await store.waitsBehind('P'), 'P is behind nothing');
    t.ok(await store.waitingWriteOf('facility', 'openlmis', ['code|HC-1']), 'a write of the record waits');
    t.notOk(await store.waitingWriteOf('facility', 'openlmis', ['code|HC-3']), 'none of another');
    t.same(await claim(2_000, 'A'), ['V'], 'U waits for P');
    t.same(await claim(5_000, 'A'), ['P'], 'P when due');
    t.ok(await store.finishJob('P', 'A', done, 5_001));
    t.same(await claim(5_002, 'B'), ['U'], 'then U');
  });

  t.test(`jobs without a key keep their order by payload id (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const claim = claimer(store);
    await store.recordWrite(facility('F1', 'loc-a', { createdAt: 1_000, nextAttemptAt: 5_000 }));
    await store.recordWrite(facility('F2', 'loc-a', { createdAt: 1_001, nextAttemptAt: 1_001 }));
    await store.recordWrite(facility('F3', 'loc-a', { orderKey: 'code|HC-1', createdAt: 1_002, nextAttemptAt: 1_002 }));
    t.same(await claim(2_000, 'A'), [], 'F2 and F3 (keyed, the same payload id) wait for F1');
    t.same(await claim(5_000, 'A'), ['F1'], 'F1 when due');
  });

  t.test(
    `a later job from a lagging clock still waits for the earlier one (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const claim = claimer(store);
      // E accepted first by an instance at 10,000, in backoff; L accepted after it (the write lock
      // serialised them) by an instance whose clock is 5 s behind: created_at 5,100
      await store.recordWrite(
        facility('E', 'loc-a', { orderKey: 'code|HC-1', createdAt: 10_000, nextAttemptAt: 20_000 }),
      );
      await store.recordWrite(
        facility('L', 'loc-a', { orderKey: 'code|HC-1', createdAt: 5_100, nextAttemptAt: 5_100 }),
      );

      t.ok(await store.waitsBehind('L'), 'L, accepted second, is behind E');
      t.notOk(await store.waitsBehind('E'), 'E is behind nothing');
      t.same(await claim(12_000, 'A'), [], 'L is not claimed before E');
      t.same(await claim(20_000, 'A'), ['E'], 'E when due');
      t.ok(await store.finishJob('E', 'A', done, 20_001));
      t.same(await claim(20_002, 'B'), ['L'], 'then L');
    },
  );
}
