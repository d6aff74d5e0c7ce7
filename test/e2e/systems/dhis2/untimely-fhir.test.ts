/**
 * A month's InventoryReport DHIS2 refuses as untimely (sent past the data set's expiry days),
 * through the real mediator, its outbox and store (SQLite, and PostgreSQL when TEST_DATABASE_URL
 * is set) and the DHIS2 sandbox as 2.41 (per-value E7640) and 2.43 (group E8030): the client gets
 * a 422 whose issue names the period, data set and org unit, why and what to change, and no
 * credential; the job is rejected (not retried); once the DHIS2 administrator adds a lock
 * exception, the operator's retry through the admin API delivers it.
 */
import t, { type Test } from 'tap';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import { startDhis2Rig } from '../../../support/dhis2-e2e.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { adminCall, marchStockCount } from '../../../support/march-stock-count.js';

const ADMIN = 'untimely-admin-token-Qx7';
const march = (location: string) => marchStockCount(location, 'HC101-2024-03', 75);

const admin = (base: string, method: string, path: string) => adminCall(base, ADMIN, method, path);

const CASES = [
  { version: '2.41.3', code: 'E7640' },
  { version: '2.43.0', code: 'E8030' },
];

for (const engine of engineCases()) {
  for (const c of CASES) {
    t.test(
      `${engine.name}, DHIS2 ${c.version}: refused as untimely, retried after the period is reopened`,
      { skip: engine.skip },
      async (t: Test) => {
        const db = await engine.freshDatabase();
        const rig = await startDhis2Rig(
          { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } },
          { ADMIN_TOKEN: ADMIN, DATABASE_URL: db.databaseUrl },
        );
        t.teardown(async () => {
          await rig.close();
          await db.drop();
        });
        const sb = rig.dhis2;
        sb.state.version = c.version;
        sb.state.dataSets.get('LkStockMnth')!.expiryDays = 10;
        sb.state.clockOffsetMs = Date.parse('2024-04-20T08:00:00Z') - Date.now();
        const found = await rig.fhir('GET', '/fhir/Location?identifier=LK-HC-101');
        const location = found.body.entry[0].resource.id;

        const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', march(location));
        t.equal(posted.status, 422, JSON.stringify(posted.body?.issue));
        const said = posted.body.issue.map((i: any) => i.diagnostics).join('\n');
        t.match(
          said,
          new RegExp(
            `DHIS2 ${c.code}: .*period 202403 is closed .*data set LkStockMnth.*org unit LK-HC-101.*then retry the job`,
          ),
          'the period, data set and org unit, why and what to change, with DHIS2 code',
        );
        t.notOk(JSON.stringify(posted.body).includes(SEED_API_TOKEN), 'no credential in the answer');
        t.equal(sb.state.dataValues.size, 0, 'nothing written');

        const rejected = await admin(rig.mediator.url, 'GET', '/outbox/jobs?status=rejected&system=dhis2');
        t.equal(rejected.body.jobs.length, 1, 'one rejected job, not retried by the outbox');
        const job = rejected.body.jobs[0];
        t.match(job.lastError, /period 202403 is closed .*data set LkStockMnth/, 'its error says why');

        const ou = sb.state.summary().orgUnits['LK-HC-101'];
        sb.state.dataSets.get('LkStockMnth')!.lockExceptions.add(`${ou}|202403`);
        const retried = await admin(rig.mediator.url, 'POST', `/outbox/jobs/${job.id}/retry?status=rejected`);
        t.equal(retried.status, 200, JSON.stringify(retried.body));
        await until(
          'the retried job delivered',
          async () =>
            (await admin(rig.mediator.url, 'GET', `/outbox/jobs/${job.id}`)).body.job?.status === 'done' || undefined,
          20_000,
        );
        t.same(
          [...sb.state.dataValues.values()].map((v) => `${v.period}=${v.value}`),
          ['202403=75'],
          'DHIS2 holds the value once',
        );
      },
    );
  }
}
