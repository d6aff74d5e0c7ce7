/**
 * DHIS2 restarted in another zone (Colombo, +05:30, to Bogotá, -05:00) between an RTS run's
 * requisitions phase and its receipts phase, a consignment completed after the move. The receipts
 * phase read DHIS2's times in the zone the run asked at its start, so the receipt written back to
 * RTS carried a time ten and a half hours off (s36 Left [V3, X2]): each phase asks the zone itself
 * (reused ZONE_REUSE_MS). Through the real connectors, both sandboxes and the store (SQLite, and
 * PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { ZONE_REUSE_MS } from '../../../src/systems/dhis2/client.js';
import type { Connector } from '../../../src/routing/ports.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  completeConsignment,
  drain,
  instanceAOn,
  raiseRequisitions,
  rtsEvents,
  shipAll,
  type Instance,
} from './rts-rig.js';
import type { RtsSandboxes } from './rts-rig.js';

/** DHIS2 restarts in `zone` as the run starts its receipts phase (its first look at `receipts`). */
function restartBeforeReceipts(sb: RtsSandboxes, a: Instance, zone: string): void {
  const connectors = a.deps.connectors;
  let moved = false;
  const atReceipts = (c: Connector): Connector =>
    new Proxy(c, {
      get(target, prop, receiver) {
        if (prop === 'receipts' && !moved) {
          moved = true;
          sb.dhis2.state.timeZone = zone;
          a.advance(ZONE_REUSE_MS); // a DHIS2 restart takes minutes: past the zone's reuse
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  a.deps.connectors = () => connectors().map((c) => (c.system === 'dhis2' ? atReceipts(c) : c));
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a receipt completed after DHIS2 moved zone mid-run is written at its own time`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: 'Asia/Colombo' });
      await raiseRequisitions(sb.dhis2, 1);
      await a.job.run();
      await drain(a.outbox, store);
      const [shipped] = shipAll(sb.ms);
      t.match(((await a.job.run()) as any).counts, { 'consignments.consigned': 1 });
      await drain(a.outbox, store);

      // completed in Bogotá (after the restart the run meets), kept at Bogotá's wall time; the run
      // starts on the server as it was before
      sb.dhis2.state.timeZone = 'America/Bogota';
      await completeConsignment(sb.dhis2, shipped);
      const completed = [...sb.dhis2.tracker.events.values()].find((e) =>
        e.dataValues.some((d) => d.value === shipped),
      )!.updatedAt;
      sb.dhis2.state.timeZone = 'Asia/Colombo';
      a.advance(ZONE_REUSE_MS);
      const before = new Set(rtsEvents(sb.dhis2).map((e) => e.event));

      restartBeforeReceipts(sb, a, 'America/Bogota');
      const run = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(run.counts, { 'receipts.received': 1, 'receipts.written': 1 });
      const receipt = rtsEvents(sb.dhis2).filter((e) => !before.has(e.event));
      t.ok(receipt.length > 0, 'the receipt is written back to RTS');
      for (const e of receipt)
        t.equal(
          e.occurredAt.slice(0, 19),
          completed.slice(0, 19),
          'at the Bogotá wall time it was completed (before: 10.5 h earlier)',
        );
    },
  );
}
