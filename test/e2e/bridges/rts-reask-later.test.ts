/**
 * Writes to DHIS2 the RTS bridge queued and the outbox worker saw refused after the run (the
 * mediator user's sharing: E1091 for consignments, E1095 for RTS receipts), and receipts refused
 * during the run, through the real connectors, both sandboxes and the store (SQLite, and
 * PostgreSQL when TEST_DATABASE_URL is set). A later shipment or receipt moves the mark past them
 * in the same run; still the next runs ask DHIS2 again by themselves, as for a consignment refused
 * during the run (rts-consign-reask.test.ts), and once the DHIS2 administrator gave the access,
 * the next run writes each once; the run after asks DHIS2 nothing.
 */
import t, { type Test } from 'tap';
import { consignKey } from '../../../src/bridges/rts-to-msupply.js';
import { SHIPMENT_SYSTEM } from '../../../src/systems/msupply/identifiers.js';
import { CONSIGNMENT, RTS } from '../../../sandbox/dhis2/index.js';
import { stamp } from '../../../sandbox/dhis2/state.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  changeConsignmentProgram,
  completeConsignment,
  consignments,
  drain,
  instanceAOn,
  raiseRequisitions,
  responses,
  rtsEvents,
  shipAll,
  type Instance,
} from './rts-rig.js';
import type { Store } from '../../../src/store/types.js';

const HOUR = 3_600_000;

const shareConsignments = (url: string, access: 'r' | 'rw') =>
  changeConsignmentProgram(url, { dataAccess: { mediator: access } });

/** The RTS stage's data sharing for the mediator user (E1095 when it may not write). */
async function shareRtsStage(url: string, access: 'r' | 'rw'): Promise<void> {
  const res = await fetch(`${url}/_sandbox/programStages/${RTS.stage}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dataAccess: { mediator: access } }),
  });
  if (res.status !== 200) throw new Error(await res.text());
}

/** One run of the bridge, then the outbox worker until nothing waits: the run's result. */
const runner = (a: Instance, store: Store) => async () => {
  const r = (await a.job.run()) as any;
  await drain(a.outbox, store);
  return r;
};

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: consignments queued, then refused to the outbox worker (E1091), are sent again by the next runs`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine);
      const run = runner(a, store);
      const posts = () => sb.dhis2.state.count('POST', '/api/tracker');
      const consigned = () => [...consignments(sb.dhis2).values()];

      await raiseRequisitions(sb.dhis2, 3);
      await run();
      // two shipments now, the third an hour later: one run reads all three
      const early = responses(sb.ms)
        .slice(0, 2)
        .map((r) => sb.ms.state.shipResponse(r.id).outbound.id);
      sb.ms.state.advance(HOUR);
      t.equal(shipAll(sb.ms).length, 1, 'a later shipment');

      await shareConsignments(sb.dhis2.url, 'r');
      a.deps.deadlineMs = 0; // DHIS2 answers after the run: each consignment is queued
      const queued = await run();
      a.deps.deadlineMs = undefined;
      t.match(queued.counts, { 'consignments.shipped': 3, 'consignments.queued': 3, 'consignments.rejected': 0 });
      for (const id of early) {
        const [job] = await store.findJobsByKey(consignKey({ identifier: { system: SHIPMENT_SYSTEM, value: id } }));
        t.equal(job.status, 'rejected', `shipment ${id}: refused to the outbox worker`);
        t.match(JSON.stringify(job.error), /DHIS2 E1091/, 'for the sharing');
      }

      const before = posts();
      const again = await run();
      t.match(again.counts, {
        'consignments.shipped': 3,
        'consignments.reasked': 3,
        'consignments.rejected': 3,
        'consignments.consigned': 0,
      });
      t.equal(posts(), before + 3, 'DHIS2 asked again once per consignment, the early ones too');
      t.match(again.detail, /the next runs also send it again once fixed/);

      await shareConsignments(sb.dhis2.url, 'rw');
      const fixed = await run();
      t.match(fixed.counts, { 'consignments.reasked': 3, 'consignments.consigned': 3, 'consignments.rejected': 0 });
      t.equal(consigned().length, 3, 'every shipment consigned, the early ones too');

      const calm = posts();
      const after = await run();
      t.match(after.counts, { 'consignments.reasked': 0, 'consignments.consigned': 0, 'consignments.rejected': 0 });
      t.equal(posts(), calm, 'accepted: DHIS2 is not asked again');
    },
  );

  t.test(
    `${engine.name}: RTS receipts refused (E1095), queued or not, are sent again by the next runs`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine);
      const run = runner(a, store);
      const posts = () => sb.dhis2.state.count('POST', '/api/tracker');

      await raiseRequisitions(sb.dhis2, 2);
      await run();
      const shipped = shipAll(sb.ms);
      t.match((await run()).counts, { 'consignments.consigned': 2 });

      // the first consignment completed an hour before the second: one run reads both
      await completeConsignment(sb.dhis2, shipped[0]);
      const hourAgo = stamp(new Date(Date.now() - HOUR));
      for (const e of sb.dhis2.tracker.events.values())
        if (e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === shipped[0]))
          e.updatedAt = hourAgo;
      await completeConsignment(sb.dhis2, shipped[1]);
      const counts = rtsEvents(sb.dhis2).length;

      await shareRtsStage(sb.dhis2.url, 'r');
      a.deps.deadlineMs = 0; // DHIS2 answers after the run: each receipt is queued
      const queued = await run();
      a.deps.deadlineMs = undefined;
      t.match(queued.counts, { 'receipts.received': 2, 'receipts.queued': 2, 'receipts.rejected': 0 });
      t.match(await store.countJobsByStatus(), { rejected: 2 }, 'both refused to the outbox worker');
      t.equal(rtsEvents(sb.dhis2).length, counts, 'nothing written in RTS');

      // refused during the run this time
      const before = posts();
      const again = await run();
      t.match(again.counts, { 'receipts.received': 2, 'receipts.reasked': 2, 'receipts.rejected': 2 });
      t.equal(posts(), before + 2, 'DHIS2 asked again once per receipt, the earlier one too');
      t.match(
        again.detail,
        /rejected: receipt of consignment \S+ at LK-HC-10\d \(job [\w-]+\): .*\(DHIS2 E1095\); until \S+ the next runs also send it again once fixed/,
      );

      // refused during the run, and the run after reads it again
      const inline = await run();
      t.match(inline.counts, { 'receipts.reasked': 2, 'receipts.rejected': 2 });

      await shareRtsStage(sb.dhis2.url, 'rw');
      const fixed = await run();
      t.match(fixed.counts, { 'receipts.reasked': 2, 'receipts.written': 2, 'receipts.rejected': 0 });
      t.equal(rtsEvents(sb.dhis2).length, counts + 4, 'one RTS count per item received, of both consignments');
      const written = rtsEvents(sb.dhis2).length;

      const calm = posts();
      const after = await run();
      t.match(after.counts, { 'receipts.reasked': 0, 'receipts.written': 0, 'receipts.rejected': 0 });
      t.equal(posts(), calm, 'accepted: DHIS2 is not asked again');
      t.equal(rtsEvents(sb.dhis2).length, written, 'no count twice');
    },
  );
}
