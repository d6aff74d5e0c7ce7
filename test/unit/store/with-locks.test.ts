/**
 * Store.withLocks: several locks held at once (a FHIR transaction's conditional entries), on both
 * engines, between two store objects on one database (two instances).
 */
import t from 'tap';
import { LockWaitTimeout } from '../../../src/store/keyed-mutex.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Holds the locks of `names` from `store` until `release` is called; `held` resolves once they are
 * taken (a fixed pause before the next step raced a slow first connection on a loaded machine).
 */
function holdLocks(take: (fn: () => Promise<void>) => Promise<void>) {
  let release!: () => void;
  let taken!: () => void;
  const held = new Promise<void>((r) => (taken = r));
  const done = take(
    () =>
      new Promise<void>((r) => {
        release = r;
        taken();
      }),
  );
  return { held, done, release: () => release() };
}

for (const engine of engineCases()) {
  t.test(`withLocks (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { a, b } = await twoStoresOn(engine, t);

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
      const many = holdLocks((fn) => a.withLocks(['p', 'q'], fn));
      await many.held;
      const one = b.withLock('q', async () => order.push('one'), { waitMs: 5_000 });
      await pause(100);
      order.push('many');
      many.release();
      await Promise.all([many.done, one]);
      t.same(order, ['many', 'one']);
    });

    t.test('a wait that runs out gives back the locks already taken', async (t) => {
      const m4 = holdLocks((fn) => a.withLock('m4', fn));
      await m4.held;
      await t.rejects(
        b.withLocks(['m1', 'm4'], async () => t.fail('must not run'), { waitMs: 200 }),
        LockWaitTimeout,
      );
      // m1 comes first in both orders (by name; by hashtext on PostgreSQL) and was taken before m4
      // timed out: it is free again for anyone
      t.equal(await a.withLock('m1', async () => 'free', { waitMs: 500 }), 'free');
      m4.release();
      await m4.done;
      t.equal(await b.withLocks(['m1', 'm4'], async () => 'both', { waitMs: 500 }), 'both');
    });

    t.test("a holder's locks stay held when another holder of this instance gives its own back", async (t) => {
      const s1 = holdLocks((fn) => a.withLocks(['s1'], fn));
      await s1.held;
      t.equal(await a.withLocks(['s2'], async () => 'done'), 'done', 'another name, taken and given back meanwhile');
      await t.rejects(
        b.withLocks(['s1'], async () => t.fail('must not run while s1 is held'), { waitMs: 200 }),
        LockWaitTimeout,
        's1 is still held',
      );
      s1.release();
      await s1.done;
      t.equal(await b.withLocks(['s1'], async () => 'free', { waitMs: 500 }), 'free', 'and free once given back');
    });

    /** 12 holders of `outer` names at once, each taking a lock inside: all run, or 'stuck' after 10 s. */
    const nested = async (outer: (name: string, fn: () => Promise<number>) => Promise<number>) => {
      const holders = Array.from({ length: 12 }, (_, i) =>
        outer(`outer-${i}`, async () => {
          await pause(20);
          return a.withLock(`inner-${i}`, async () => i, { waitMs: 5_000 });
        }),
      );
      const stuck = new Promise<string>((r) => setTimeout(() => r('stuck'), 10_000).unref());
      return Promise.race([Promise.all(holders), stuck]);
    };
    const all12 = Array.from({ length: 12 }, (_, i) => i);

    t.test('more holders at once than a store has lock connections, each taking a lock inside', async (t) => {
      // every FHIR write holds its resource's lock, and an OpenLMIS requisition's delivery takes a
      // lock of its own (Store.withLock) inside it: holders must not keep every lock connection
      t.same(await nested((name, fn) => a.withLocks([name], fn)), all12, 'all 12 ran');
    });

    t.test('more withLock holders at once than a store has lock connections, each taking another inside', async (t) => {
      // withLock's single name (a requisition's write ledger, a propagation) is held as withLocks'
      // are: on the shared session, so holders of it keep no connection either
      t.same(await nested((name, fn) => a.withLock(name, fn)), all12, 'all 12 ran');
    });
  });
}
