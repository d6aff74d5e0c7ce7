/**
 * A locked DHIS2 account, end to end: the real mediator process against the DHIS2 sandbox with
 * keyLockMultipleFailedLogins on. Someone's 4 bad logins have locked the account the mediator
 * uses. DHIS2 unlocks it 15 minutes after the last failed login, and every login tried meanwhile
 * restarts that wait. Expected:
 * - the stock report is kept, waiting, not charged attempts and not dead-lettered, with the
 *   reason as its last error;
 * - /ready names the reason (what the console's systems page shows);
 * - DHIS2 hears nothing more from the mediator, so the lock can end;
 * - no credential appears anywhere.
 * The outbox's backoff here is 100 ms to 500 ms, so before this change the job made its 15
 * attempts and was dead-lettered within seconds, and each attempt restarted the lock. On SQLite,
 * and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import t from 'tap';
import { startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';
import { openStore } from '../../../../src/store/index.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startMediatorProcess } from '../../../support/mediator-process.js';
import { until } from '../../../support/net.js';
import { marchStockCount } from '../../../support/march-stock-count.js';

const PASSWORD = 'Mediator-2024!';
const report = (location: string) => marchStockCount(location, 'HC101-2024-03-LOCKED', 300);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a locked DHIS2 account: the write waits, DHIS2 is left alone`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const sb = await startDhis2Sandbox({ version: '2.40.2' });
      const mediator = await startMediatorProcess('dhis2-account-locked', {
        DATABASE_URL: db.databaseUrl,
        DHIS2_BASE_URL: sb.url,
        DHIS2_USERNAME: 'mediator',
        DHIS2_PASSWORD: PASSWORD,
        DHIS2_DATA_SET: 'LkStockMnth',
      });
      t.teardown(async () => {
        await mediator.close();
        await sb.close();
      });
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      // org units are read before the lock, so the write is accepted as it would be on a normal day
      const warm = await mediator.fhir('GET', `/fhir/R5/Location/${hc}`);
      t.ok(warm !== 'no answer' && warm.status === 200, 'DHIS2 reachable before the lock');

      sb.state.logins.lockMultipleFailedLogins = true;
      const bad = `Basic ${Buffer.from('mediator:guess').toString('base64')}`;
      for (let i = 0; i < 4; i++) await fetch(`${sb.url}/api/me`, { headers: { authorization: bad } });
      t.ok(sb.state.logins.isLocked('mediator'), 'locked by four bad logins');

      const posted = await mediator.fhir('POST', '/fhir/R5/InventoryReport', report(hc));
      t.ok(posted !== 'no answer' && [201, 202].includes(posted.status), 'accepted: the write is kept');
      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());
      const job = async () => (await store.listJobs({})).find((j) => j.system === 'dhis2');
      await until('the job told to wait', async () => /Account locked/.test((await job())?.lastError ?? ''), 30_000);

      const hits = () => [...sb.state.hits.values()].reduce((n, c) => n + c, 0);
      const heard = hits();
      // long enough for the old outbox backoff (100–500 ms) to run out its 15 attempts
      await sleep(8_000);
      t.equal(hits(), heard, 'nothing sent to DHIS2 while the hold lasts: the lock is not prolonged');
      const waiting = (await job())!;
      t.match(waiting, { status: 'pending', attempts: 0 }, 'waiting, not charged, not dead-lettered');
      t.match(waiting.lastError, /Account locked: the account in dhis2\.username is locked/);
      t.ok(waiting.nextAttemptAt - Date.now() > 14 * 60_000, 'due once DHIS2 has unlocked it');
      t.equal(sb.state.count('POST', '/api/dataValueSets'), 0);

      const ready = await mediator.fhir('GET', '/ready');
      t.equal(ready !== 'no answer' && ready.status, 200, 'degraded: writes are still queued');
      const body = (ready === 'no answer' ? {} : ready.body) as {
        status?: string;
        checks?: { name: string; status?: string; reason?: string }[];
      };
      t.equal(body.status, 'degraded');
      t.match(
        body.checks?.find((c) => c.name === 'dhis2'),
        { status: 'down', reason: /Account locked/ },
        '/ready says why',
      );
      t.notMatch(JSON.stringify(body) + waiting.lastError, new RegExp(`${PASSWORD}|mediator:`), 'no credential');
      t.equal(hits(), heard, '/ready asked nothing of DHIS2 either');
    },
  );
}
