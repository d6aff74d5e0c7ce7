/**
 * Store.withLock, which serialises our OpenLMIS requisition initiates per facility/program/
 * period/emergency: two Store objects on one database (two mediator instances on PostgreSQL; two
 * store objects on one SQLite file) never run the same lock's critical sections at once, other
 * names do not wait, a bounded wait gives up without running, and a lock held by a dead
 * connection is free again.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../../../src/store/index.js';
import { LockWaitTimeout } from '../../../../src/store/keyed-mutex.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(`withLock across two store instances (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store: a, databaseUrl } = await freshStore(engine, t);
    const b = await openStore({ databaseUrl });
    t.teardown(() => b.close());

    // 20 critical sections on one name, alternating instances, each yielding inside: never two at once
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).withLock('openlmis:initiate:F|P|Q|true', async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(5);
          order.push(i);
          inside--;
        }),
      ),
    );
    t.equal(order.length, 20, 'every section ran');
    t.equal(most, 1, 'never two holders of one lock at once, across instances');

    // another name does not wait for a held one
    let release!: () => void;
    let entered!: () => void;
    // held once its function runs: a fixed sleep can end before the lock is taken under load
    const holding = new Promise<void>((r) => {
      entered = r;
    });
    const held = a.withLock(
      'name-1',
      () =>
        new Promise<void>((r) => {
          release = r;
          entered();
        }),
    );
    await holding;
    const other = await b.withLock('name-2', async () => 'ran');
    t.equal(other, 'ran', 'a different name runs while name-1 is held');

    // a bounded wait on the held name gives up, and its function never runs
    let ran = false;
    const err = await b
      .withLock(
        'name-1',
        async () => {
          ran = true;
        },
        { waitMs: 200 },
      )
      .then(
        () => undefined,
        (e) => e,
      );
    t.type(err, LockWaitTimeout, 'waiting past waitMs fails with LockWaitTimeout');
    t.notOk(ran, 'the timed-out caller did not run');
    release();
    await held;
    t.equal(
      await b.withLock('name-1', async () => 'free'),
      'free',
      'released, the lock is free for the other instance',
    );

    // a waiter that gives up does not let the one queued behind it skip ahead of the holder
    let releaseH!: () => void;
    const events: string[] = [];
    const h = a.withLock(
      'queue',
      () =>
        new Promise<void>((r) => {
          releaseH = () => {
            events.push('holder done');
            r();
          };
        }),
    );
    await sleep(20);
    const gaveUp = a
      .withLock(
        'queue',
        async () => {
          events.push('gave-up ran');
        },
        { waitMs: 50 },
      )
      .catch(() => events.push('gave up'));
    const behind = a.withLock('queue', async () => {
      events.push('behind ran');
    });
    await sleep(150);
    releaseH();
    await Promise.all([h, gaveUp, behind]);
    t.same(
      events,
      ['gave up', 'holder done', 'behind ran'],
      'the one behind ran only after the holder, the one that gave up never',
    );

    // an error inside releases the lock
    await t.rejects(
      a.withLock('name-3', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    t.equal(await b.withLock('name-3', async () => 'after error', { waitMs: 1_000 }), 'after error');
  });
}

t.test(
  'PostgreSQL: the lock of an instance whose connection died is free again',
  { skip: engineCases()[1].skip },
  async (t) => {
    const engine = engineCases()[1];
    const { databaseUrl } = await freshStore(engine, t);
    const pg = (await import('pg')).default;
    // a "dead instance": a raw session that takes the same advisory lock, then is terminated
    const a = await openStore({ databaseUrl });
    t.teardown(() => a.close());
    let gotIt!: () => void;
    const taken = new Promise<void>((r) => {
      gotIt = r;
    });
    let pid = 0;
    const holding = a
      .withLock('crash-me', async () => {
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        const { rows } = await c.query(
          "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
        );
        pid = rows[0].pid;
        await c.query('SELECT pg_terminate_backend($1)', [pid]);
        await c.end();
        gotIt();
        await sleep(100);
      })
      .catch(() => undefined);
    await taken;
    const b = await openStore({ databaseUrl });
    t.teardown(() => b.close());
    t.equal(
      await b.withLock('crash-me', async () => 'taken over', { waitMs: 2_000 }),
      'taken over',
      'the lock went with the killed connection',
    );
    await holding;
    t.ok(pid > 0);
  },
);
