/**
 * ClaimRequest.inOrder on both engines: a pending job of a flow delivered in order is not claimed
 * while a job of the same flow, system and resource (payload id), accepted before it, is still
 * pending or in flight, whatever their due times; other resources, other flows and flows not
 * named go on as before.
 */
import t from 'tap';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const facility = (id: string, resource: string, over: Parameters<typeof newJob>[1] = {}) =>
  newJob(id, { flow: 'facility', payload: { id: resource, name: id }, ...over });

function claimer(store: Store, inOrder: string[] | undefined) {
  return async (now: number, owner: string) =>
    (
      await store.claimJobs({
        system: 'openlmis',
        flows: ['facility', 'order'],
        ...(inOrder ? { inOrder } : {}),
        limit: 10,
        leaseOwner: owner,
        leaseMs: 100_000,
        now,
      })
    )
      .map((j) => j.id)
      .sort();
}

for (const engine of engineCases()) {
  t.test(`claims keep a resource's writes in acceptance order (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const claim = claimer(store, ['facility']);
    // F1 accepted first but in backoff (due at 5,000); F2, F3 of the same facility due now
    await store.recordWrite(facility('F1', 'loc-a', { createdAt: 1_000, nextAttemptAt: 5_000 }));
    await store.recordWrite(facility('F2', 'loc-a', { createdAt: 1_001, nextAttemptAt: 1_001 }));
    await store.recordWrite(facility('F3', 'loc-a', { createdAt: 1_002, nextAttemptAt: 1_002 }));
    // another facility, and order jobs sharing nothing: not held
    await store.recordWrite(facility('G1', 'loc-b', { createdAt: 1_003, nextAttemptAt: 1_003 }));
    await store.recordWrite(newJob('O1', { createdAt: 900, nextAttemptAt: 5_000, payload: { id: 'loc-a' } }));
    await store.recordWrite(newJob('O2', { createdAt: 1_004, nextAttemptAt: 1_004, payload: { id: 'loc-a' } }));

    t.same(await claim(2_000, 'A'), ['G1', 'O2'], 'F2 and F3 wait for F1; other resources and flows go');
    t.same(await claim(5_000, 'A'), ['F1', 'O1'], 'F1 when due; F2 still waits while F1 is in flight');
    t.ok(await store.finishJob('F1', 'A', { status: 'done', result: { system: 'openlmis', ids: {} } }, 5_001));
    t.same(await claim(5_002, 'B'), ['F2'], 'F1 delivered: F2 next, F3 behind it');
    await store.rescheduleJob('F2', 'B', 9_000, 'openlmis failed', false, 5_003);
    t.same(await claim(6_000, 'B'), [], 'F2 back in backoff: F3 still behind it');
    t.same(await claim(9_000, 'C'), ['F2'], 'F2 when due');
    t.ok(await store.finishJob('F2', 'C', { status: 'done', result: { system: 'openlmis', ids: {} } }, 9_001));
    t.same(await claim(9_002, 'C'), ['F3'], 'then F3');
  });

  t.test(
    `a later write left in flight by a crash waits for the earlier one (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const claim = claimer(store, ['facility']);
      // F1 in backoff; F2 accepted behind it and recorded in flight by its request (acceptWrites),
      // the process died before giving it back: its lease lapses at 1,500, F1 is due at 5,000
      await store.recordWrite(facility('F1', 'loc-a', { createdAt: 1_000, nextAttemptAt: 5_000 }));
      await store.recordWrite(
        facility('F2', 'loc-a', {
          createdAt: 1_001,
          nextAttemptAt: 1_001,
          status: 'in-flight',
          attempts: 1,
          leaseOwner: 'dead-request',
          leaseUntil: 1_500,
        }),
      );
      t.same(await claim(2_000, 'A'), [], 'F2 (lease lapsed) is not taken while F1 still waits');
      t.same(await claim(5_000, 'A'), ['F1'], 'F1 when due');
      t.ok(await store.finishJob('F1', 'A', { status: 'done', result: { system: 'openlmis', ids: {} } }, 5_001));
      t.same(await claim(5_002, 'B'), ['F2'], 'then F2');
    },
  );

  t.test(`a flow not named in inOrder is claimed by due time (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await store.recordWrite(facility('F1', 'loc-a', { createdAt: 1_000, nextAttemptAt: 5_000 }));
    await store.recordWrite(facility('F2', 'loc-a', { createdAt: 1_001, nextAttemptAt: 1_001 }));
    t.same(await claimer(store, undefined)(2_000, 'A'), ['F2'], 'no inOrder: F2 goes before F1');
  });
}
