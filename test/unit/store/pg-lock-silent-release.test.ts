/**
 * A scheduled run stopped because its lock session went silent ends at once: its release does not
 * wait for the retake still hanging on the silent server. The retake asks on new sessions (who
 * holds the lock, the lock itself), and each ask waits for the connect or query timeout (15 s,
 * 30 s with the store's pool): release waited for it, so the run's end (its record, the tick tried
 * again, a graceful stop) came 15-30 s after the run was stopped. The retake lets go of whatever
 * it takes afterwards by itself (lockOnNewSession drops a lock taken once stopped). Real
 * PostgreSQL behind a TCP proxy that goes silent (test/support/silent-proxy.ts).
 */
import pgLib from 'pg';
import t from 'tap';
import { AdvisoryLockLost, HeldAdvisoryLock, takeLockUnlessHeld } from '../../../src/store/pg-held-lock.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { proxyTo, throughProxy } from '../../support/silent-proxy.js';
import { waitFor } from '../../support/wait-for.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

/** Longer than any wait of this test: an ask of the retake on the silent server is still pending at the release. */
const HANG_MS = 120_000;

t.test(
  'PostgreSQL: a run stopped for a silent lock session is released without waiting for its retake',
  { skip: postgres.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(postgres, t);
    const proxy = await proxyTo(new URL(databaseUrl));
    // closing the proxy ends the retake's pending asks (their sockets close)
    t.teardown(() => proxy.close());
    const pool = new pgLib.Pool({
      connectionString: throughProxy(databaseUrl, proxy),
      max: 4,
      connectionTimeoutMillis: HANG_MS,
      query_timeout: HANG_MS,
    });
    pool.on('error', () => undefined);
    t.teardown(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    const client = await pool.connect();
    client.on('error', () => undefined);
    const { locked, session } = await takeLockUnlessHeld(client, 'schedule:x');
    t.ok(locked, 'the run holds its lock');
    const silentMs = 300;
    const lock = new HeldAdvisoryLock(pool, client, 'schedule:x', 100, HANG_MS, session, silentMs);
    await waitFor('the standby queued', () => lock.standbyQueued, 10_000);
    proxy.partition(); // every connection silent, none closed

    await waitFor('the run stopped', () => lock.signal.aborted, 20_000);
    t.type(lock.signal.reason, AdvisoryLockLost);
    const retake = (lock as unknown as { moving?: Promise<void> }).moving;
    t.ok(retake, 'its retake still asks the silent server');
    let retakeEnded = false;
    void retake?.finally(() => (retakeEnded = true));
    // old code: release waited for the retake, here up to HANG_MS
    await lock.release();
    t.notOk(retakeEnded, 'released while the retake still hangs on the silent server');
    t.notOk(lock.standbyQueued, 'its standby given up');
  },
);
