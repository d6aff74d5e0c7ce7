/**
 * The RTS bridge's marks on a DHIS2 server west of UTC (Bogotá, -05:00, no clock change).
 * RTS receipts refused (E1095),
 * the earlier completed an hour before the later: one run reads both, the later moves the feed's
 * mark, yet the next run reads the earlier again and asks DHIS2 again for it. The mark is wall
 * time in the server's zone; the earlier receipt's, written as UTC wall time, read five hours
 * after it, so the mark passed it and the next run (reading from the mark, 10 minutes back) never
 * found it: refused once, never sent again. A requisition held for want of a supplying store
 * holds the requisitions mark alike. Through the real connectors, both sandboxes and the
 * store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_RECEIPTS_CURSOR, RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import type { SupplyingStores } from '../../../src/bridges/rts-supplier.js';
import { CONSIGNMENT, RTS } from '../../../sandbox/dhis2/index.js';
import { wallTime } from '../../../sandbox/dhis2/server-zone.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  SUPPLYING_STORES,
  completeConsignment,
  drain,
  instanceAOn,
  raiseRequisitions,
  rtsEvents,
  shipAll,
  type Instance,
} from './rts-rig.js';
import type { Store } from '../../../src/store/types.js';

const HOUR = 3_600_000;
const ZONE = 'America/Bogota';

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
    `${engine.name}: a receipt refused on a server west of UTC is asked again by the next runs`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: ZONE });
      const run = runner(a, store);
      const posts = () => sb.dhis2.state.count('POST', '/api/tracker');

      await raiseRequisitions(sb.dhis2, 2);
      await run();
      const shipped = shipAll(sb.ms);
      t.match((await run()).counts, { 'consignments.consigned': 2 });

      // the first consignment completed an hour before the second, in the server's wall time
      await completeConsignment(sb.dhis2, shipped[0]);
      const hourAgo = wallTime(new Date(Date.now() - HOUR), ZONE);
      for (const e of sb.dhis2.tracker.events.values())
        if (e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === shipped[0]))
          e.updatedAt = hourAgo;
      await completeConsignment(sb.dhis2, shipped[1]);
      const counts = rtsEvents(sb.dhis2).length;

      await shareRtsStage(sb.dhis2.url, 'r');
      const refused = await run();
      t.match(refused.counts, { 'receipts.received': 2, 'receipts.rejected': 2 }, 'both refused during the run');
      const mark = await store.getCursor(RTS_RECEIPTS_CURSOR);
      t.ok(mark && mark <= hourAgo, `the mark (${mark}) held at the earlier receipt (${hourAgo})`);

      const before = posts();
      const again = await run();
      t.match(again.counts, { 'receipts.received': 2, 'receipts.reasked': 2, 'receipts.rejected': 2 });
      t.equal(posts(), before + 2, 'DHIS2 asked again once per receipt, the earlier one too');

      await shareRtsStage(sb.dhis2.url, 'rw');
      const fixed = await run();
      t.match(fixed.counts, { 'receipts.reasked': 2, 'receipts.written': 2, 'receipts.rejected': 0 });
      t.equal(rtsEvents(sb.dhis2).length, counts + 4, 'one RTS count per item received, of both consignments');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a requisition held on a server west of UTC holds the mark`,
    { skip: engine.skip },
    async (t: Test) => {
      // no default store: the facilities of Tsangano (LK-HC-103) and LK-HC-104 are held
      const rules: SupplyingStores = { rules: SUPPLYING_STORES.rules, default: null };
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: ZONE, supplyingStores: () => rules });
      const raised = await raiseRequisitions(sb.dhis2, 10);
      // those no rule covers were completed an hour before the rest: beyond the re-read overlap
      const held = raised.filter((r) => ['LK-HC-103', 'LK-HC-104'].includes(r.facility)).map((r) => r.event);
      const hourAgo = wallTime(new Date(Date.now() - HOUR), ZONE);
      for (const uid of held) sb.dhis2.tracker.events.get(uid)!.updatedAt = hourAgo;
      const first = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(first.counts, { read: 10, held: held.length }, 'those no rule covers held');
      t.equal(
        await store.getCursor(RTS_REQUISITIONS_CURSOR),
        hourAgo,
        "the mark waits at the oldest held requisition, in the server's wall time",
      );
      const again = (await a.job.run()) as any;
      t.match(again.counts, { held: held.length }, 'read again by the next run, still held');
    },
  );
}
