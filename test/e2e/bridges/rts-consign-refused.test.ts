/**
 * The RTS → Open mSupply bridge's consignment DHIS2 refuses because the consignment program is
 * not assigned to the facility (E1029), through the real connectors, both sandboxes and the
 * store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set): the run's detail names the
 * shipment, the facility, its job and what the DHIS2 administrator changes; the job is rejected,
 * not retried; once the program is assigned, the operator's retry writes the consignment's
 * events once, and the next run finds it consigned.
 */
import t, { type Test } from 'tap';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  FACILITIES,
  consignments,
  changeConsignmentProgram,
  drain,
  instanceAOn,
  raiseRequisitions,
  shipAll,
} from './rts-rig.js';

const assign = (url: string, orgUnits: string[]) => changeConsignmentProgram(url, { orgUnits });

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a consignment refused for its org unit (E1029), retried after the program is assigned`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine);
      // LK-HC-101 and LK-HC-102: two requisitions, two shipments
      await raiseRequisitions(sb.dhis2, 2);
      await a.job.run();
      await drain(a.outbox, store);
      t.equal(shipAll(sb.ms).length, 2, 'two shipments');
      await assign(
        sb.dhis2.url,
        FACILITIES.filter((f) => f !== 'LK-HC-102'),
      );

      const run = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(run.counts, { 'consignments.shipped': 2, 'consignments.consigned': 1, 'consignments.rejected': 1 });
      t.match(
        run.detail,
        /rejected: consignment of shipment \S+ at LK-HC-102 \(job [\w-]+\): .*not assigned: org unit LK-HC-102 \(\w{11}\) is not assigned to program LkConsignmt; a DHIS2 administrator assigns the org unit to the program .*then retry the job \(DHIS2 E1029\)/,
        "the run's detail: which shipment and facility, its job, why and what to change",
      );
      const jobId = /\(job ([\w-]+)\)/.exec(run.detail)![1];
      t.equal((await store.getJob(jobId))?.status, 'rejected', 'rejected, not retried by the outbox');
      t.same(
        [...consignments(sb.dhis2).values()].map((c) => c.facility),
        ['LK-HC-101'],
        'only the assigned facility has its consignment',
      );

      await assign(sb.dhis2.url, FACILITIES);
      const posts = sb.dhis2.state.count('POST', '/api/tracker');
      t.match(await retryOutboxJob(store, jobId, 'operator', 'rejected'), { ok: true });
      await drain(a.outbox, store);
      t.equal((await store.getJob(jobId))?.status, 'done', 'the retried job delivered');
      t.equal(sb.dhis2.state.count('POST', '/api/tracker'), posts + 1, 'DHIS2 asked once more');
      const made = [...consignments(sb.dhis2).values()];
      t.same(made.map((c) => c.facility).sort(), ['LK-HC-101', 'LK-HC-102'], 'both consigned');
      const events = made.reduce((n, c) => n + c.events, 0);

      const again = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(again.counts, { 'consignments.consigned': 0, 'consignments.rejected': 0 });
      t.equal(
        [...consignments(sb.dhis2).values()].reduce((n, c) => n + c.events, 0),
        events,
        'no twins on the next run',
      );
    },
  );
}
