/**
 * The RTS bridge's marks just after a spring clock change, on a DHIS2 server in Berlin
 * (2027-03-28: 02:00 winter time is 03:00 summer time). Each run reads from its mark moved back by
 * the overlap (10 minutes); a mark at 03:05 moved back is 02:55, a wall time the change skips,
 * which DHIS2 (a JVM, as java.time) reads moved later by the gap: 03:55. What was updated between
 * 03:05 and 03:55 was never read: a requisition never fulfilled, a receipt never written back.
 * Found by review RC. Through the real connectors, both sandboxes (the DHIS2 one reads a bound
 * as the JVM does) and the store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_RECEIPTS_CURSOR, RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { completeConsignment, drain, instanceAOn, raiseRequisitions, shipAll } from './rts-rig.js';

const ZONE = 'Europe/Berlin';
const MARK = '2027-03-28T03:05:00.000'; // five minutes after the change, summer time
const AFTER = '2027-03-28T03:20:00.000'; // updated after the mark

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a requisition completed after a mark just past the gap is read`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: ZONE });
      const [raised] = await raiseRequisitions(sb.dhis2, 1);
      sb.dhis2.tracker.events.get(raised.event)!.updatedAt = AFTER;
      await store.setCursor(RTS_REQUISITIONS_CURSOR, MARK);
      const run = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(run.counts, { read: 1, created: 1 }, 'read and sent to Open mSupply (before: read 0)');
      t.equal(await store.getCursor(RTS_REQUISITIONS_CURSOR), AFTER, 'the mark moves on to it');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a receipt completed after a mark just past the gap is written back`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: ZONE });
      const run = async () => {
        const r = (await a.job.run()) as any;
        await drain(a.outbox, store);
        return r;
      };
      await raiseRequisitions(sb.dhis2, 1);
      await run();
      const [shipment] = shipAll(sb.ms);
      t.match((await run()).counts, { 'consignments.consigned': 1 });
      await completeConsignment(sb.dhis2, shipment);
      for (const e of sb.dhis2.tracker.events.values())
        if (e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === shipment)) e.updatedAt = AFTER;
      await store.setCursor(RTS_RECEIPTS_CURSOR, MARK);
      const received = await run();
      t.match(received.counts, { 'receipts.received': 1, 'receipts.written': 1 }, 'written back (before: not read)');
      t.equal(await store.getCursor(RTS_RECEIPTS_CURSOR), AFTER, 'the mark moves on to it');
    },
  );
}
