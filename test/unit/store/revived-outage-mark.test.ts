/**
 * A job an operator revives (Store.requeueJob: a dead job retried) keeps its old outage mark
 * (outbox_jobs.outage_failed_at, v65) until its next failure, and is no "other write failing
 * together" (Store.othersFailingTogether, others-failing.ts) meanwhile: the revive clears its
 * failing age (failing_since), which the read requires to be set, and every write that sets
 * failing_since again (a failure with a reason) sets or clears the mark in the same statement. A
 * deferral with its breaker open renews the mark but sets no failing age, and our own database's
 * failure sets neither. Its next own-outage failure counts, from that failure. Both engines.
 */
import t from 'tap';
import type { Store } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const job = (id: string, status: string, failingSince: number | null, updatedAt: number) =>
  `('${id}', 'order', 'lmis', 'key-${id}', 'hash-${id}', '{}', '${status}', 1, 900000, ${failingSince === null ? 'NULL' : "'Gateway Timeout'"}, 10, ${updatedAt}, 0, ${failingSince ?? 'NULL'})`;

const OLD = `
INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts, next_attempt_at,
  last_error, created_at, updated_at, requeues, failing_since) VALUES
  ${job('delivered', 'done', null, 100)},
  ${job('held', 'pending', 200, 800)},
  ${job('other', 'pending', 300, 800)};
`;

const DEAD = {
  name: 'UpstreamError',
  status: 504,
  issues: [{ code: 'timeout', diagnostics: 'Gateway Timeout' }],
  system: 'lmis',
  upstreamStatus: 504,
};

async function claim(store: Store, id: string, now: number) {
  const claimed = await store.claimJobs({
    system: 'lmis',
    flows: ['order'],
    limit: 10,
    leaseOwner: 'w',
    leaseMs: 60_000,
    now,
  });
  if (!claimed.some((j) => j.id === id)) throw new Error(`${id} not claimed at ${now}`);
  for (const j of claimed) if (j.id !== id) await store.rescheduleJob(j.id, 'w', now + 100_000, undefined, true, now);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 65, OLD);
    const together = (since = 0) => store.othersFailingTogether('lmis', 'held', since);
    await claim(store, 'other', 900_000);
    t.ok(await store.rescheduleJob('other', 'w', 900_000, 'Gateway Timeout', false, 900_010, true), 'fails 504');
    t.ok(await together(900_010), 'failing 504, it holds `held`');
    await claim(store, 'other', 900_020);
    t.ok(await store.finishJob('other', 'w', { status: 'dead', error: DEAD }, 900_030));
    t.notOk(await together(), 'dead, it holds nothing');
    t.ok(await store.requeueJob('other', { actor: 'op', action: 'retry' }, 900_040, 'dead'), 'retried');
    t.notOk(await together(), 'revived, its old mark counts for nothing');
    await claim(store, 'other', 900_050);
    t.ok(await store.rescheduleJob('other', 'w', 900_050, undefined, true, 900_060, 'renew'));
    t.notOk(await together(), 'revived, deferred with its breaker open');
    await claim(store, 'other', 900_070);
    t.ok(await store.rescheduleJob('other', 'w', 900_070, 'db gone', false, 900_080, 'keep'));
    t.notOk(await together(), 'revived, our database failing');
    await claim(store, 'other', 900_090);
    t.ok(await store.rescheduleJob('other', 'w', 900_090, 'Service Unavailable', false, 900_100, true));
    t.ok(await together(900_100), 'its next own-outage failure counts, from that failure');
  });
}
