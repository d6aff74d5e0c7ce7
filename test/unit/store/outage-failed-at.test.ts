/**
 * Migration v65 and outbox_jobs.outage_failed_at (others-failing.ts): when a job last failed with
 * its own system serving nobody, set by rescheduleJob's `ownOutage`, cleared by any other failure,
 * renewed by a deferral because its breaker is open ('renew'; a job without one gets none), not by
 * a deferral for another cause (busy, behind a write), left as it was (with
 * failing_since) by our own database's failure ('keep'); read by Store.othersFailingTogether for the other writes of the
 * job's system only. Upgraded from a database written before v65 with jobs failing: nothing is
 * backfilled (a job failing as the migration runs counts from its next failure). Both engines.
 */
import t from 'tap';
import type { Store } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const job = (id: string, system: string, status: string, failingSince: number | null, updatedAt: number) =>
  `('${id}', 'order', '${system}', 'key-${id}', 'hash-${id}', '{}', '${status}', 1, 900000, ${failingSince === null ? 'NULL' : "'Gateway Timeout'"}, 10, ${updatedAt}, 0, ${failingSince ?? 'NULL'})`;

/** Jobs as v64 left them: lmis delivered last at 100; two of its writes failing since after it. */
const OLD = `
INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts, next_attempt_at,
  last_error, created_at, updated_at, requeues, failing_since) VALUES
  ${job('delivered', 'lmis', 'done', null, 100)},
  ${job('held', 'lmis', 'pending', 200, 800)},
  ${job('other', 'lmis', 'pending', 300, 800)},
  ${job('registry-write', 'registry', 'pending', 300, 800)};
`;

/** `id` claimed at `now` and rescheduled with `reason` (none: a wait, not a failure), its own system's outage or not. */
async function failed(
  store: Store,
  id: string,
  now: number,
  reason: string | undefined,
  ownOutage: boolean | 'keep' | 'renew',
) {
  const system = id === 'registry-write' ? 'registry' : 'lmis';
  const claimed = await store.claimJobs({ system, flows: ['order'], limit: 10, leaseOwner: 'w', leaseMs: 60_000, now });
  if (!claimed.some((j) => j.id === id)) throw new Error(`${id} not claimed at ${now}`);
  for (const j of claimed) if (j.id !== id) await store.rescheduleJob(j.id, 'w', now + 100_000, undefined, true, now);
  const done = await store.rescheduleJob(id, 'w', now + 100_000, reason, reason === undefined, now + 10, ownOutage);
  if (!done) throw new Error(`${id} not rescheduled`);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 65, OLD);
    const together = (id: string, since = 0) => store.othersFailingTogether('lmis', id, since);

    t.notOk(await together('held'), 'nothing backfilled: the failing jobs count from their next failure');

    await failed(store, 'other', 900_000, 'Gateway Timeout', true);
    t.ok(await together('held'), 'another lmis write failing 504 since after the delivery holds it');
    t.notOk(await together('other'), 'a job does not hold itself');
    t.notOk(await together('held', 900_011), 'a failure before `failedSince` does not count');

    // busy (concurrency limit), behind an earlier write, a slot race: given back untried, no sign of lmis
    await failed(store, 'other', 1_000_000, undefined, false);
    t.ok(await together('held'), 'a deferral for another cause keeps the mark');
    t.notOk(await together('held', 1_000_000), 'but does not renew it: it is still that of the 504');

    // its breaker opened with it in flight (BrokenCircuitError): given back untried, still failing so
    await failed(store, 'other', 1_100_000, undefined, 'renew');
    t.ok(await together('held'), 'a deferral because its breaker is open keeps the mark');
    t.ok(await together('held', 1_100_000), 'and renews it: a deferred job counts from its deferral');

    await failed(store, 'other', 1_200_000, 'Internal Server Error', false);
    t.notOk(await together('held'), 'a failure of another kind clears it');

    await failed(store, 'registry-write', 1_300_000, 'Service Unavailable', true);
    t.notOk(await together('held'), "another system's outage does not hold an lmis write");
  });
}

/** OLD with one lmis write more, `fresh`: accepted after the delivery, never failed. */
const WITH_FRESH = OLD.replace(/;\s*$/, `,\n  ${job('fresh', 'lmis', 'pending', null, 800)};\n`);

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: our database failing (outbox retryAfterStoreFailure, 'keep') leaves both marks as they were`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await storeMigratedFrom(t, engine, 65, WITH_FRESH);
      const together = (id: string, since = 0) => store.othersFailingTogether('lmis', id, since);
      const STORE_FAILED = "the mediator's database failed (Connection terminated unexpectedly)";

      await failed(store, 'other', 900_000, 'Gateway Timeout', true);
      t.ok(await together('held'), 'another lmis write failing 504 since after the delivery holds it');
      await failed(store, 'other', 1_000_000, STORE_FAILED, 'keep');
      t.ok(await together('held'), 'our database failing is no sign about lmis: the mark is not cleared');
      t.notOk(await together('held', 900_011), 'nor renewed: it is still that of the 504');
      t.equal((await store.getJob('other'))?.failingSince, 300, 'its failing_since unchanged');
      t.equal((await store.getJob('other'))?.lastError, STORE_FAILED, 'the failure kept as its last error');

      await failed(store, 'fresh', 1_100_000, STORE_FAILED, 'keep');
      const fresh = await store.getJob('fresh');
      t.equal(fresh?.failingSince, undefined, 'a write lmis never failed does not start failing for it');
      t.equal(fresh?.lastError, STORE_FAILED, 'yet the next attempt is told one ran before');

      // and the states either side still set and clear
      await failed(store, 'fresh', 1_200_000, 'Service Unavailable', true);
      t.ok(await together('other', 1_200_000), 'a 503 after it sets the mark');
      await failed(store, 'fresh', 1_300_000, 'Internal Server Error', false);
      t.notOk(await together('other', 1_200_000), 'another failure clears it');
    },
  );
}

/**
 * lmis delivered last at 100; `held` and 64 poisoned writes (failing since 50, before it) pending,
 * and `other` failing since after it.
 */
const POISONED = Array.from({ length: 64 }, (_, i) => `poisoned-${String(i).padStart(2, '0')}`);
const CROWDED = `
INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts, next_attempt_at,
  last_error, created_at, updated_at, requeues, failing_since) VALUES
  ${job('delivered', 'lmis', 'done', null, 100)},
  ${job('held', 'lmis', 'pending', 200, 800)},
  ${job('other', 'lmis', 'pending', 300, 800)},
  ${POISONED.map((id) => job(id, 'lmis', 'pending', 50, 800)).join(',\n  ')};
`;

for (const engine of engineCases()) {
  t.test(`${engine.name}: newer marks that do not count hide none that does`, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 65, CROWDED);
    const claimed = await store.claimJobs({
      system: 'lmis',
      flows: ['order'],
      limit: 100,
      leaseOwner: 'w',
      leaseMs: 60_000,
      now: 900_000,
    });
    t.equal(claimed.length, 66, 'every pending lmis job claimed');
    // `other` fails 504 first; then, each a millisecond later, the 64 poisoned writes and last `held`
    const fail = (id: string, at: number) =>
      store.rescheduleJob(id, 'w', 2_000_000, 'Gateway Timeout', false, at, true);
    t.ok(await fail('other', 900_001));
    for (const [i, id] of POISONED.entries()) t.ok(await fail(id, 900_002 + i));
    t.ok(await fail('held', 900_100));
    t.ok(
      await store.othersFailingTogether('lmis', 'held', 0),
      '`other`, behind 64 newer marks of writes failing since before the delivery and `held` itself, holds it',
    );
  });
}
