/**
 * Store.withLocks: several locks held at once (a FHIR transaction's conditional entries), on both
 * engines, between two store objects on one database (two instances).
 */
import t from 'tap';
import { LockWaitTimeout } from '../../../src/store/keyed-mutex.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of engineCases()) {
  t.test(`withLocks (${engine.name})`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const a = await openStore({ databaseUrl: db.databaseUrl });
    const b = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(async () => {
      await a.close();
      await b.close();
    });

    t.test('overlapping sets named in opposite orders at once: both run, one after the other', async (t) => {
      const held: string[] = [];
      let inside = 0;
      const run = (store: typeof a, names: string[], tag: string) =>
        store.withLocks(
          names,
          async () => {
            inside++;
            t.equal(inside, 1, `${tag} runs alone`);
            await pause(50);
            held.push(tag);
            inside--;
          },
          { waitMs: 5_000 },
        );
      await Promise.all([run(a, ['x', 'y', 'z'], 'first'), run(b, ['z', 'y', 'x'], 'second')]);
      t.same(held.sort(), ['first', 'second']);
    });

    t.test('withLock of one of the names waits for withLocks holding it', async (t) => {
      const order: string[] = [];
      const many = a.withLocks(['p', 'q'], async () => {
        await pause(100);
        order.push('many');
      });
      await pause(20);
      await b.withLock('q', async () => order.push('one'), { waitMs: 5_000 });
      await many;
      t.same(order, ['many', 'one']);
    });

    t.test('a wait that runs out gives back the locks already taken', async (t) => {
      let release!: () => void;
      const holding = a.withLock('m4', () => new Promise<void>((r) => (release = r)));
      await pause(50);
      await t.rejects(
        b.withLocks(['m1', 'm4'], async () => t.fail('must not run'), { waitMs: 200 }),
        LockWaitTimeout,
      );
      // m1 comes first in both orders (by name; by hashtext on PostgreSQL) and was taken before m4
      // timed out: it is free again for anyone
      t.equal(await a.withLock('m1', async () => 'free', { waitMs: 500 }), 'free');
      release();
      await holding;
      t.equal(await b.withLocks(['m1', 'm4'], async () => 'both', { waitMs: 500 }), 'both');
    });
  });
}
