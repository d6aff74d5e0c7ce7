/**
 * A lock session whose answer came while this process's event loop was held up (a long
 * synchronous stretch, a GC pause on a loaded host) is not silent. Its liveness check is bounded
 * by silentMs; after a stall past that bound, Node runs the due timers before the poll that reads
 * the answer waiting in the socket, so the check took the live session for a silent one, cut it
 * and took the lock again (or, not taken again within silentMs, stopped the run as the database
 * away). Real PostgreSQL; the stall is a busy loop right after the check's query went out.
 */
import type pg from 'pg';
import pgLib from 'pg';
import t from 'tap';
import { HeldAdvisoryLock, lockHolders, takeLockUnlessHeld } from '../../../src/store/pg-held-lock.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

/** The event loop held up for `ms` (nothing else runs meanwhile: the answer waits in the socket). */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

t.test(
  'PostgreSQL: a lock session answering while the event loop stalled is not taken for silent',
  { skip: postgres.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(postgres, t);
    const pool = new pgLib.Pool({ connectionString: databaseUrl, max: 4 });
    pool.on('error', () => undefined);
    t.teardown(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    const watch = new pgLib.Client({ connectionString: databaseUrl });
    await watch.connect();
    t.teardown(() => watch.end());
    const client = await pool.connect();
    client.on('error', () => undefined);
    const { locked, session } = await takeLockUnlessHeld(client, 'schedule:x');
    t.ok(locked, 'the run holds its lock');
    const silentMs = 300;
    // the first liveness check's query sent, the loop stalls well past silentMs: PostgreSQL answers meanwhile
    let checks = 0;
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
      const answer = query(...args);
      if (args[0] === 'SELECT 1' && ++checks === 1) setImmediate(() => stall(silentMs + 2_000));
      return answer;
    };
    const lock = new HeldAdvisoryLock(pool, client as pg.PoolClient, 'schedule:x', 100, 60_000, session, silentMs);
    t.teardown(() => lock.release().catch(() => undefined));
    await waitFor('the standby queued', () => lock.standbyQueued, 10_000);
    // old code: the stalled check cut the session (its checks stop, the standby holds the lock)
    await waitFor('three more checks on the same session', () => checks >= 4, 20_000);
    t.notOk(lock.signal.aborted, 'the run goes on');
    t.same(
      (await lockHolders(watch, 'schedule:x')).map((h) => h.pid),
      [session!.pid],
      'its lock still held by the session that took it',
    );
    await lock.release();
    t.same(await lockHolders(watch, 'schedule:x'), [], 'given back at the run’s end');
  },
);
