/**
 * An RTS stock count (InventoryReport → RTS tracker events) DHIS2 refuses because the item's
 * tracked entity is owned by an org unit outside the mediator user's reach (E1102, after an
 * ownership transfer), through the real mediator, its outbox and store (SQLite, and PostgreSQL
 * when TEST_DATABASE_URL is set) and the DHIS2 sandbox: the client gets a 422 naming the item,
 * program, org unit, why and what the DHIS2 administrator changes, and not the user; the job is
 * rejected, not retried; once the administrator gives the user a search scope over the owner, the
 * operator's retry through the admin API writes the event once.
 */
import t, { type Test } from 'tap';
import { RTS, SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
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

const ADMIN = 'rts-ownership-admin-token-Qw7';

async function control(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}/_sandbox/${path}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: RTS events refused for the item's ownership (E1102), retried after the user reaches the owner`,
    { skip: engine.skip },
    async (t: Test) => {
      const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2, { ADMIN_TOKEN: ADMIN, ...RTS_STOCK_ENV });
      const sb = rig.dhis2;
      const mediator = sb.state.userNamed('mediator')!;
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      const te = sb.tracker.teOf(hc, 'FP_CNDM')!.trackedEntity;
      // the condoms of LK-HC-101 transferred to LK-HC-103, which the mediator user neither captures nor searches
      await control(sb.url, `trackedEntities/${te}`, { program: RTS.program, owner: 'LK-HC-103' });
      await control(sb.url, 'users/mediator', { orgUnits: ['LK-HC-101'], searchOrgUnits: ['LK-HC-102'] });
      const location = await locationIdOf(rig, 'LK-HC-101');
      const events = sb.tracker.events.size;

      const posted = await rig.fhir(
        'POST',
        '/fhir/R5/InventoryReport',
        marchStockCount(location, 'HC101-RTS-OWNER-1', 310),
      );
      t.equal(posted.status, 422, JSON.stringify(posted.body?.issue));
      const said = posted.body.issue.map((i: any) => i.diagnostics).join('\n');
      t.match(
        said,
        new RegExp(
          `not the owner's: item FP_CNDM \\(tracked entity ${te}\\) is owned in program LkRtsProgrm at org unit LK-HC-101 \\(${hc}\\) by an org unit outside the DHIS2 user's reach; a DHIS2 administrator adds the owning org unit .*search org units .*then retry the job \\(DHIS2 E1102\\)`,
        ),
        'the item, program, org unit, why and what to change, with the DHIS2 code',
      );
      const answer = JSON.stringify(posted.body);
      t.notOk(answer.includes(SEED_API_TOKEN), 'no credential in the answer');
      t.notOk(answer.includes(sb.state.userUid(mediator)), "not the user's UID DHIS2 named");
      t.equal(sb.tracker.events.size, events, 'nothing written');

      const job = await theRejectedJob(t, rig.mediator.url, ADMIN);
      t.match(job.lastError, /item FP_CNDM .*owned in program LkRtsProgrm .*\(DHIS2 E1102\)/, 'its error says why');
      t.notOk(String(job.lastError).includes(sb.state.userUid(mediator)), "nor the job's error");

      await control(sb.url, 'users/mediator', { searchOrgUnits: ['LK-HC-102', 'LK-HC-103'] });
      const posts = sb.state.count('POST', '/api/tracker');
      await retryUntilDelivered(t, rig.mediator.url, ADMIN, job.id);
      rtsCountWrittenOnce(t, sb, { posts, events }, '310');
    },
  );
}
