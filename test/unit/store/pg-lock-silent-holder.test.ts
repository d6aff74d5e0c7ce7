/**
 * A scheduled run whose lock session goes silent (a network cut: nothing answers, nothing is
 * refused or reset). Its liveness check used to wait for the pool's query_timeout (30 s) and the
 * retake up to LOCK_RETAKE_WITHIN_MS more, while the server (or the network) may have dropped the
 * session and its lock and another instance run the job beside it. Now the check is bounded by
 * silentMs and the retake by silentMs more: the run is stopped within seconds, as for the
 * database away (its tick tried again once it is back). Real PostgreSQL behind a TCP proxy that
 * goes silent (test/support/silent-proxy.ts).
 */
import pgLib from 'pg';
import t from 'tap';
import { AdvisoryLockLost, HeldAdvisoryLock, takeLockUnlessHeld } from '../../../src/store/pg-held-lock.js';
import { QUERY_TIMEOUT_MS } from '../../../src/store/postgres.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { proxyTo, throughProxy } from '../../support/silent-proxy.js';
import { waitFor } from '../../support/wait-for.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

t.test(
  'PostgreSQL: a lock session gone silent stops its run within its bound, as the database away',
  { skip: postgres.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(postgres, t);
    const proxy = await proxyTo(new URL(databaseUrl));
    t.teardown(() => proxy.close());
    // as the store's pool: the shipped query_timeout, a short connect bound (the retake's asks fail fast)
    const pool = new pgLib.Pool({
      connectionString: throughProxy(databaseUrl, proxy),
      max: 3,
      connectionTimeoutMillis: 500,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    pool.on('error', () => undefined);
    // a client the silent proxy never answers would hold the pool's end for good
    t.teardown(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    const client = await pool.connect();
    client.on('error', () => undefined);
    const { locked, session } = await takeLockUnlessHeld(client, 'schedule:x');
    t.ok(locked, 'the run holds its lock');
    const silentMs = 400;
    const lock = new HeldAdvisoryLock(pool, client, 'schedule:x', 100, 60_000, session, silentMs);
    await waitFor('the standby queued', () => lock.standbyQueued, 10_000);
    proxy.partition(); // every connection silent, none closed

    // old code: the check waited QUERY_TIMEOUT_MS (30 s), then the retake up to 60 s more
    await waitFor('the run stopped', () => lock.signal.aborted, QUERY_TIMEOUT_MS / 2);
    const reason = lock.signal.reason as AdvisoryLockLost;
    t.type(reason, AdvisoryLockLost);
    t.equal(reason.databaseAway, true, 'as the database away: its tick is tried again once it is back');
    t.match(reason.message, new RegExp(`did not answer within ${silentMs} ms; not taken again within ${silentMs} ms`));
    await lock.release(); // the run ends
    t.notOk(lock.standbyQueued, 'its standby given up');
  },
);
