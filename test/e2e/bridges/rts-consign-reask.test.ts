/**
 * Consignments DHIS2 refuses because the mediator user may not write the consignment program's
 * data (E1091, its sharing), through the real connectors, both sandboxes and the store (SQLite,
 * and PostgreSQL when TEST_DATABASE_URL is set): the next runs ask DHIS2 again by themselves,
 * although a later shipment moved the store's mark past the refused ones, and once the DHIS2
 * administrator gave the write access, the next run writes each consignment once; the run after
 * asks DHIS2 nothing and adds no twin.
 */
import t, { type Test } from 'tap';
import { consignKey } from '../../../src/bridges/rts-to-msupply.js';
import { SHIPMENT_SYSTEM } from '../../../src/systems/msupply/identifiers.js';
import { engineCases } from '../../support/outbox-engines.js';
import { changeConsignmentProgram, consignments, drain, instanceAOn, raiseRequisitions, shipAll } from './rts-rig.js';

const share = (url: string, access: 'r' | 'rw') => changeConsignmentProgram(url, { dataAccess: { mediator: access } });

const HOUR = 3_600_000;

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: consignments refused for the user's sharing (E1091) are sent again by the next runs`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine);
      const run = async () => {
        const r = (await a.job.run()) as any;
        await drain(a.outbox, store);
        return r;
      };
      const posts = () => sb.dhis2.state.count('POST', '/api/tracker');
      const consigned = () => [...consignments(sb.dhis2).values()];

      // LK-HC-101 and LK-HC-102, both from the regional store: two shipments
      await raiseRequisitions(sb.dhis2, 2);
      await run();
      const early = shipAll(sb.ms);
      t.equal(early.length, 2, 'two shipments');
      await share(sb.dhis2.url, 'r');
      const refused = await run();
      t.match(refused.counts, { 'consignments.shipped': 2, 'consignments.rejected': 2, 'consignments.reasked': 0 });
      t.match(
        refused.detail,
        /rejected: consignment of shipment \S+ at LK-HC-101 \(job [\w-]+\): .*no data write access: the DHIS2 user may not write data of program LkConsignmt \(stage LkConsStage\) at org unit LK-HC-101 \(\w{11}\); a DHIS2 administrator gives the mediator user \(or its user group\) data write access in the program's sharing, then retry the job \(DHIS2 E1091\); until \d{4}-\d\d-\d\dT[\d:.]+Z the next runs also send it again once fixed/,
        "the run's detail: the shipment, facility, job, why, what to change, and that the bridge asks again",
      );
      t.same(consigned(), [], 'nothing written in DHIS2');

      // an hour later the store ships another requisition: the mark moves on to it
      sb.ms.state.advance(HOUR);
      await raiseRequisitions(sb.dhis2, 1, 'later');
      await run();
      t.equal(shipAll(sb.ms).length, 1, 'a later shipment');
      const before = posts();
      const again = await run();
      t.match(again.counts, {
        'consignments.shipped': 3,
        'consignments.reasked': 2,
        'consignments.rejected': 3,
        'consignments.consigned': 0,
      });
      t.equal(posts(), before + 3, 'DHIS2 asked once per consignment, the two refused ones again');

      // the DHIS2 administrator gives the mediator user data write access
      await share(sb.dhis2.url, 'rw');
      const fixed = await run();
      t.match(fixed.counts, { 'consignments.reasked': 3, 'consignments.consigned': 3, 'consignments.rejected': 0 });
      t.notMatch(fixed.detail ?? '', /rejected:/, 'nothing left refused');
      t.equal(consigned().length, 3, 'every shipment consigned, the early ones too');
      for (const id of early) {
        const jobs = await store.findJobsByKey(consignKey({ identifier: { system: SHIPMENT_SYSTEM, value: id } }));
        t.equal(jobs.at(-1)?.status, 'done', `shipment ${id}: accepted`);
        t.equal(jobs.filter((j) => j.status === 'done').length, 1, 'once');
        t.ok(
          jobs.slice(0, -1).every((j) => j.status === 'rejected' && j.supersededBy),
          "each refusal before it superseded by the next run's write",
        );
      }
      const events = consigned().reduce((n, c) => n + c.events, 0);

      const calm = posts();
      const after = await run();
      t.match(after.counts, { 'consignments.reasked': 0, 'consignments.consigned': 0, 'consignments.rejected': 0 });
      t.equal(posts(), calm, 'accepted: DHIS2 is not asked again');
      t.equal(
        consigned().reduce((n, c) => n + c.events, 0),
        events,
        'no twin events',
      );
    },
  );
}
