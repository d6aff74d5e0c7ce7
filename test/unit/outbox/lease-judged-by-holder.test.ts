/**
 * A peer ends a lease of a holder whose lock is free (pg-lease-holders.ts) only once the holder's
 * attempt is over by the holder's OWN attemptTimeoutMs, stored with the lease (attempt-ends.ts,
 * v61). It judged by its own settings: instance B (leaseMs 300 s, attemptTimeoutMs 30 s) took A's
 * 120 s lease (attempt 100 s) for over 1 s into A's attempt, claimed the job and sent it a second
 * time. Instances with other settings run side by side during a rolling settings change.
 *
 * A's lock is free while A still works, as after a PostgreSQL restart or a cut lock session
 * before A takes it again: its store marks nothing. Both of A's lease forms: a write delivered at
 * once (acceptWrite's insert) and a claim by its worker. On SQLite a free lock is an ended process
 * (the operating system dropped it) and an unmarked holder is never released: the same rule holds.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { until } from '../../support/net.js';
import { newJob } from '../../support/new-job.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const storeA: Store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => storeA.close());
    storeA.holdLeases = undefined; // A's lock free while A works (its lock session cut, not taken again yet)
    const storeB: Store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => storeB.close());

    const sent: string[] = [];
    const released: Array<() => void> = [];
    const outboxA = new Outbox({
      store: storeA,
      options: { instanceId: 'host-a', pollMs: 20, leaseMs: 120_000, attemptTimeoutMs: 100_000 },
    });
    // A's upstream answers only when the test ends: its attempts are live throughout
    outboxA.register('stock', 'dhis2', async (job) => {
      sent.push(`A:${job.idempotencyKey}`);
      await new Promise<void>((resolve) => released.push(resolve));
      return { system: 'dhis2', ids: {} };
    });
    t.teardown(async () => {
      for (const release of released) release();
      await outboxA.stop(5_000);
    });

    void outboxA.acceptWrite({ flow: 'stock', system: 'dhis2', idempotencyKey: 'accepted-by-a', payload: {} });
    await until('A sends the write it accepted', async () => sent.length === 1);
    const due = Date.now();
    await storeA.recordWrite(
      newJob('claimed-by-a', {
        flow: 'stock',
        system: 'dhis2',
        idempotencyKey: 'claimed-by-a',
        nextAttemptAt: due,
        createdAt: due,
      }),
    );
    outboxA.startWorker();
    await until('A sends the write its worker claimed', async () => sent.length === 2);

    const outboxB = new Outbox({
      store: storeB,
      options: { instanceId: 'host-b', pollMs: 20, leaseMs: 300_000, attemptTimeoutMs: 30_000 },
    });
    const sendB = async (job: { idempotencyKey: string }) => {
      sent.push(`B:${job.idempotencyKey}`);
      return { system: 'dhis2', ids: {} };
    };
    outboxB.register('stock', 'dhis2', sendB);
    outboxB.register('order', 'dhis2', sendB); // a flow A does not deliver: A's worker never claims B's own write
    t.teardown(() => outboxB.stop(5_000));
    // B's first pass looks for ended holders, then claims; its own write, due after A's, shows the pass ran
    const later = Date.now() + 1;
    await storeB.recordWrite(
      newJob('b-own', {
        flow: 'order',
        system: 'dhis2',
        idempotencyKey: 'b-own',
        nextAttemptAt: later,
        createdAt: later,
      }),
    );
    outboxB.startWorker();
    await until('B delivers its own write', async () => (await storeB.findJobsByKey('b-own'))[0]?.status === 'done');
    await outboxB.idle();

    t.same(
      [...sent].sort(),
      ['A:accepted-by-a', 'A:claimed-by-a', 'B:b-own'],
      "each write sent once: B never took A's live attempts",
    );
    for (const key of ['accepted-by-a', 'claimed-by-a']) {
      const [job] = await storeB.findJobsByKey(key);
      t.match(job, { status: 'in-flight', attempts: 1, leaseOwner: /^host-a:/ }, `${key} still under A's lease`);
    }
  });
}
