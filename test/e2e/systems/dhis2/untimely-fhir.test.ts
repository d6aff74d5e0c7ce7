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
import { locationIdOf, startDhis2RigOn, STOCK_TO_DHIS2 } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { marchStockCount } from '../../../support/march-stock-count.js';
import { retryUntilDelivered, theRejectedJob } from '../../../support/operator-retry.js';

const ADMIN = 'untimely-admin-token-Qx7';
const march = (location: string) => marchStockCount(location, 'HC101-2024-03', 75);

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
        const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2, { ADMIN_TOKEN: ADMIN });
        const sb = rig.dhis2;
        sb.state.version = c.version;
        sb.state.dataSets.get('LkStockMnth')!.expiryDays = 10;
        sb.state.clockOffsetMs = Date.parse('2024-04-20T08:00:00Z') - Date.now();
        const location = await locationIdOf(rig, 'LK-HC-101');

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

        const job = await theRejectedJob(t, rig.mediator.url, ADMIN);
        t.match(job.lastError, /period 202403 is closed .*data set LkStockMnth/, 'its error says why');

        const ou = sb.state.summary().orgUnits['LK-HC-101'];
        sb.state.dataSets.get('LkStockMnth')!.lockExceptions.add(`${ou}|202403`);
        await retryUntilDelivered(t, rig.mediator.url, ADMIN, job.id);
        t.same(
          [...sb.state.dataValues.values()].map((v) => `${v.period}=${v.value}`),
          ['202403=75'],
          'DHIS2 holds the value once',
        );
      },
    );
  }
}
