/**
 * PostgreSQL with several mediator instances on one database: Bundles that share keys in opposite
 * orders never deadlock (keys are claimed in one order), two instances claiming at once never take
 * the same job, an expired lease hands a job over and the stale owner can no longer settle it, and
 * an instance whose clock is far off the server's refuses to start (leases compare clocks).
 */
import t from 'tap';
import { openStore, type NewJob, type Store } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

function job(id: string, key: string, over: Partial<NewJob> = {}): NewJob {
  return {
    id,
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: key,
    payloadHash: `h-${key}`,
    payload: { key },
    status: 'pending',
    attempts: 0,
    nextAttemptAt: 1_000,
    createdAt: 1_000,
    ...over,
  };
}

t.test('PostgreSQL, several instances', { skip: postgres.skip }, async (t) => {
  const { store, databaseUrl } = await freshStore(postgres, t);
  const other: Store = await openStore({ databaseUrl });
  t.teardown(() => other.close());

  t.test('Bundles sharing keys in opposite orders do not deadlock', async (t) => {
    for (let round = 0; round < 30; round++) {
      const [a, b] = [`DL-${round}-a`, `DL-${round}-b`];
      const results = await Promise.allSettled([
        store.recordWrites([job(`x-${round}-1`, a), job(`x-${round}-2`, b)], []),
        other.recordWrites([job(`y-${round}-1`, b), job(`y-${round}-2`, a)], []),
      ]);
      const failed = results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason));
      if (failed.length) {
        t.fail(`round ${round}: ${failed.join('; ')}`);
        return;
      }
      const [x, y] = results.map(
        (r) => (r as PromiseFulfilledResult<Awaited<ReturnType<Store['recordWrites']>>>).value,
      );
      t.equal(
        x.filter((r) => r.created).length + y.filter((r) => r.created).length,
        2,
        `round ${round}: each key recorded once`,
      );
      t.equal(x[0].job.id, y[1].job.id, 'results stay in request order');
    }
  });

  t.test('two instances claiming at once never take the same job', async (t) => {
    const jobs = Array.from({ length: 60 }, (_, i) => job(`c-${i}`, `CL-${i}`, { flow: 'claim' }));
    await store.recordWrites(jobs, []);
    const claimed: string[] = [];
    for (let pass = 0; pass < 20 && claimed.length < jobs.length; pass++) {
      const batches = await Promise.all(
        [store, other, store, other].map((s, i) =>
          s.claimJobs({
            system: 'openlmis',
            flows: ['claim'],
            limit: 4,
            leaseOwner: `owner-${pass}-${i}`,
            leaseMs: 60_000,
            now: 2_000,
          }),
        ),
      );
      claimed.push(...batches.flat().map((j) => j.id));
    }
    t.equal(claimed.length, jobs.length, 'every job claimed');
    t.equal(new Set(claimed).size, claimed.length, 'none twice');
  });

  t.test('an expired lease hands the job over; the stale owner cannot settle it', async (t) => {
    await store.recordWrite(job('l-1', 'LEASE-1', { flow: 'lease' }));
    const [first] = await store.claimJobs({
      system: 'openlmis',
      flows: ['lease'],
      limit: 1,
      leaseOwner: 'A',
      leaseMs: 1_000,
      now: 2_000,
    });
    t.equal(first.id, 'l-1');
    t.same(
      await other.claimJobs({
        system: 'openlmis',
        flows: ['lease'],
        limit: 1,
        leaseOwner: 'B',
        leaseMs: 1_000,
        now: 2_500,
      }),
      [],
      'not while the lease holds',
    );
    const [taken] = await other.claimJobs({
      system: 'openlmis',
      flows: ['lease'],
      limit: 1,
      leaseOwner: 'B',
      leaseMs: 1_000,
      now: 3_001,
    });
    t.match(taken, { id: 'l-1', leaseOwner: 'B', attempts: 2 });
    t.notOk(
      await store.finishJob('l-1', 'A', { status: 'done', result: { system: 'openlmis', ids: { r: 'stale' } } }, 3_100),
      'the stale owner is refused',
    );
    t.notOk(await store.rescheduleJob('l-1', 'A', 4_000, 'late', false, 3_100));
    t.ok(
      await other.finishJob('l-1', 'B', { status: 'done', result: { system: 'openlmis', ids: { r: 'fresh' } } }, 3_200),
    );
    t.same((await store.getJob('l-1'))?.result?.ids, { r: 'fresh' });
  });

  t.test('an instance whose clock is far off the server refuses to start', async (t) => {
    const realNow = Date.now;
    Date.now = () => realNow() + 60_000;
    try {
      await t.rejects(openStore({ databaseUrl }), /clock is 60 s off the PostgreSQL server's.*NTP/);
    } finally {
      Date.now = realNow;
    }
    const fine = await openStore({ databaseUrl });
    await fine.close();
  });
});
