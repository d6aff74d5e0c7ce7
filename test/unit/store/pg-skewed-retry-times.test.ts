/**
 * An instance whose clock is ahead of the PostgreSQL server's keeps due times in the server's
 * time (53f6788): an operator's retry too, and every read of a job shows them in the reader's own
 * time, so "next attempt in …" (console) and a linked parent's wait are not off by the skew.
 * Needs TEST_DATABASE_URL.
 */
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
/** The server's time of each step; instance A's clock reads AHEAD more, B's is the server's. */
const T = 10_000_000;
const AHEAD = 3_000;
const audit = { actor: 'op', action: 'outbox.retry', subject: 'R1' };

t.test('a clock ahead of the server: retry and reads in server time', { skip: pgCase.skip }, async (t) => {
  const { store: a, databaseUrl } = await freshStore(pgCase, t);
  const b = await openStore({ databaseUrl });
  t.teardown(() => b.close());
  (a as PostgresStore).useServerClock(AHEAD);
  (b as PostgresStore).useServerClock(0);

  await a.recordWrite(newJob('R1', { system: 'ops', nextAttemptAt: T + AHEAD, createdAt: T + AHEAD }));
  t.equal((await a.getJob('R1'))?.nextAttemptAt, T + AHEAD, 'A reads back the due time it wrote, in its own time');
  t.equal((await b.getJob('R1'))?.nextAttemptAt, T, 'B reads it in its own (the server) time');
  t.equal((await a.listJobs({ system: 'ops' }))[0]?.nextAttemptAt, T + AHEAD, "A's list shows its own time too");
  t.equal((await a.findJobsByKey('key-R1'))[0]?.nextAttemptAt, T + AHEAD, 'and a look-up by key');

  const claim = { system: 'ops', flows: ['order'], limit: 1, leaseOwner: 'B', leaseMs: 60_000 };
  t.equal((await b.claimJobs({ ...claim, now: T + 1_000 })).length, 1, 'B claims it when due');
  const leased = await a.getJob('R1');
  t.equal(leased?.leaseUntil, T + 61_000 + AHEAD, "B's lease end shown in A's time");
  await b.finishJob(
    'R1',
    'B',
    { status: 'dead', error: { name: 'UpstreamError', status: 502, issues: [] } },
    T + 2_000,
  );

  // the operator retries on A at server time T + 5 s (A's clock: T + 8 s)
  const requeued = await a.requeueJob('R1', audit, T + 5_000 + AHEAD);
  t.equal(requeued?.nextAttemptAt, T + 5_000 + AHEAD, 'the retry is due now, in A’s time');
  t.equal((await b.getJob('R1'))?.nextAttemptAt, T + 5_000, 'stored in the server’s time: due now for B too');
  t.equal(
    (await b.claimJobs({ ...claim, now: T + 5_000 })).length,
    1,
    'B takes the retried job at once, not AHEAD ms later',
  );
});
