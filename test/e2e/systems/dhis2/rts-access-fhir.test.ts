/**
 * An RTS stock count (InventoryReport → RTS tracker events) DHIS2 refuses because the facility is
 * outside the mediator user's data capture org units (E1000), through the real mediator, its
 * outbox and store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and the DHIS2 sandbox:
 * the client gets a 422 naming the org unit, why and what the DHIS2 administrator changes, and
 * not the user; the job is rejected (not retried); once the administrator gives the user the
 * org unit, the operator's retry through the admin API writes the event once.
 */
import t, { type Test } from 'tap';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import {
  locationIdOf,
  RTS_STOCK_ENV,
  rtsCountWrittenOnce,
  startDhis2RigOn,
  STOCK_TO_DHIS2,
} from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { marchStockCount } from '../../../support/march-stock-count.js';
import { retryUntilDelivered, theRejectedJob } from '../../../support/operator-retry.js';

const ADMIN = 'rts-access-admin-token-Zp4';
const count = (location: string) => marchStockCount(location, 'HC101-RTS-ACCESS-1', 275);

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: RTS events refused for capture access (E1000), retried after the user gets the org unit`,
    { skip: engine.skip },
    async (t: Test) => {
      const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2, { ADMIN_TOKEN: ADMIN, ...RTS_STOCK_ENV });
      const sb = rig.dhis2;
      const mediator = sb.state.userNamed('mediator')!;
      mediator.captureOrgUnits = ['LK-HC-102'];
      const location = await locationIdOf(rig, 'LK-HC-101');
      const events = sb.tracker.events.size;

      const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', count(location));
      t.equal(posted.status, 422, JSON.stringify(posted.body?.issue));
      const said = posted.body.issue.map((i: any) => i.diagnostics).join('\n');
      t.match(
        said,
        /org unit LK-HC-101 \(\w{11}\) is outside the DHIS2 user's data capture org units; a DHIS2 administrator adds it .*then retry the job \(DHIS2 E1000\)/,
        'the org unit, why and what to change, with DHIS2 code',
      );
      const answer = JSON.stringify(posted.body);
      t.notOk(answer.includes(SEED_API_TOKEN), 'no credential in the answer');
      t.notOk(answer.includes(sb.state.userUid(mediator)), "not the user's UID DHIS2 named");
      t.equal(sb.tracker.events.size, events, 'nothing written');

      const job = await theRejectedJob(t, rig.mediator.url, ADMIN);
      t.match(
        job.lastError,
        /org unit LK-HC-101 .*outside the DHIS2 user's data capture org units/,
        'its error says why',
      );
      t.notOk(String(job.lastError).includes(sb.state.userUid(mediator)), "nor the job's error");

      mediator.captureOrgUnits = ['LKL'];
      const posts = sb.state.count('POST', '/api/tracker');
      await retryUntilDelivered(t, rig.mediator.url, ADMIN, job.id);
      rtsCountWrittenOnce(t, sb, { posts, events }, '275');
    },
  );
}
