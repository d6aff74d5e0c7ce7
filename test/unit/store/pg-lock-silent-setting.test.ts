/**
 * store.lockSilentMs (STORE_LOCK_SILENT_MS) reaches the scheduled runs' locks: an operator whose
 * PostgreSQL can stall longer than 3 s (a loaded server, a checkpoint on slow disks) raises it, and
 * a run is then not stopped for a stall it would have outlived. Read from the environment as the
 * server reads it, opened as the server opens its store (openStore), the run's lock session made
 * silent (test/support/silent-proxy.ts): the stop names the configured bound. Real PostgreSQL.
 */
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import { AdvisoryLockLost } from '../../../src/store/pg-held-lock.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { proxyTo, throughProxy } from '../../support/silent-proxy.js';
import { waitFor } from '../../support/wait-for.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

t.test('STORE_LOCK_SILENT_MS is read as a whole number of milliseconds, 3000 unless set', async (t) => {
  t.equal(loadSettings({ AUTH_MODE: 'off' })['store.lockSilentMs'], 3000);
  t.equal(loadSettings({ AUTH_MODE: 'off', STORE_LOCK_SILENT_MS: '450' })['store.lockSilentMs'], 450);
});

t.test(
  'PostgreSQL: a run whose lock session goes silent stops after the configured store.lockSilentMs',
  { skip: postgres.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(postgres, t);
    const proxy = await proxyTo(new URL(databaseUrl));
    const settings = loadSettings({ AUTH_MODE: 'off', STORE_LOCK_SILENT_MS: '450' });
    const store = await openStore({
      databaseUrl: throughProxy(databaseUrl, proxy),
      lockSilentMs: settings['store.lockSilentMs'] as number,
    });
    // the proxy closed first: the store's close does not wait for a silent server
    t.teardown(async () => {
      await proxy.close();
      await store.close().catch(() => undefined);
    });
    let signal: AbortSignal | undefined;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    t.teardown(finish);
    const run = store.withAdvisoryLock('schedule:x', (s) => {
      signal = s;
      return finished;
    });
    run.catch(() => undefined);
    await waitFor('the run started', () => signal !== undefined, 10_000);
    proxy.partition(); // every connection silent, none closed
    await waitFor('the run stopped', () => signal!.aborted, 30_000);
    const reason = signal!.reason as AdvisoryLockLost;
    t.type(reason, AdvisoryLockLost);
    t.equal(reason.databaseAway, true, 'as the database away');
    t.match(reason.message, /did not answer within 450 ms; not taken again within 450 ms more/);
    finish();
    await run;
  },
);
