/**
 * An operator's retry on PostgreSQL when another instance's clock is ahead (postgres.ts
 * requeueJob). "Already due with a fresh attempt budget: nothing to retry" took the row's
 * updated_at, in its writer's own time, as "now": an instance 3 s ahead that put a facility back
 * to look at its parent again 2 s later (uncharged: attempts back to 0) wrote an updated_at past
 * that due time, and a retry on an instance with the server's time was refused although the job
 * was not due. The row's time now counts only within the skew an instance keeps its own time
 * for (250 ms), and two retries at once still act once, on either instance. Needs TEST_DATABASE_URL.
 */
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
/** The server's time of each step; instance B's clock reads AHEAD more, A's is the server's. */
const T = 10_000_000;
const AHEAD = 3_000;
/** A facility looks at its parent again this long after a look (routing/linked-parent.ts). */
const LOOK_AGAIN_MS = 2_000;
const CLAIM = { system: 'ops', flows: ['order'], limit: 1, leaseOwner: 'B', leaseMs: 60_000 };
const audit = (actor: string) => ({ actor, action: 'outbox.retry', subject: 'W1' });

t.test(
  'a retry of a job waiting uncharged, its wait written by an instance ahead',
  { skip: pgCase.skip },
  async (t) => {
    const { store: a, databaseUrl } = await freshStore(pgCase, t);
    const b = await openStore({ databaseUrl });
    t.teardown(() => b.close());
    (a as PostgresStore).useServerClock(0);
    (b as PostgresStore).useServerClock(AHEAD);

    /** B takes the job at server time `at` and puts it back, uncharged, to look again LOOK_AGAIN_MS later. */
    const waitOnB = async (at: number) => {
      const [job] = await b.claimJobs({ ...CLAIM, now: at + AHEAD });
      t.equal(job?.id, 'W1', `B claims it at T+${at - T}`);
      await b.rescheduleJob('W1', 'B', at + AHEAD + LOOK_AGAIN_MS, 'waiting for the parent', true, at + AHEAD);
      t.match(
        await a.getJob('W1'),
        { status: 'pending', attempts: 0, nextAttemptAt: at + LOOK_AGAIN_MS },
        'waiting, uncharged, due 2 s later',
      );
    };

    await a.recordWrite(newJob('W1', { system: 'ops', nextAttemptAt: T, createdAt: T }));
    await waitOnB(T);
    const retried = await a.requeueJob('W1', audit('Ama'), T + 500, 'pending');
    t.ok(retried, 'retried on A half a second later: the job was due only at T+2s');
    t.equal(retried?.nextAttemptAt, T + 500, 'due at once');
    t.equal((await b.claimJobs({ ...CLAIM, now: T + 500 + AHEAD })).length, 1, 'and B takes it at once');
    await b.rescheduleJob('W1', 'B', T + 500 + AHEAD + LOOK_AGAIN_MS, 'waiting for the parent', true, T + 500 + AHEAD);

    const both = await Promise.all([
      a.requeueJob('W1', audit('Ama'), T + 1_000, 'pending'),
      b.requeueJob('W1', audit('Kofi'), T + 1_000 + AHEAD, 'pending'),
    ]);
    t.equal(both.filter(Boolean).length, 1, 'two retries at once on the two instances: one acts');
    t.equal(
      await b.requeueJob('W1', audit('Esi'), T + 1_000 + AHEAD, 'pending'),
      undefined,
      'and a retry after it on the instance ahead finds nothing to retry',
    );
    t.equal(await a.requeueJob('W1', audit('Esi'), T + 1_000, 'pending'), undefined, 'nor on the other one');
    t.equal((await a.listAudit({ subject: 'W1' })).length, 2, 'two retries audited: the first, and one of the pair');
  },
);
