/**
 * The RTS bridge's marks in the hour an autumn clock change repeats, on a DHIS2 server in Berlin
 * (2026-10-25: 03:00 summer time is 02:00 winter time again). DHIS2 keeps updatedAt as wall time
 * without an offset, so a mark read in the earlier pass (02:50 summer time) is later, as a wall
 * time, than what is updated next in the later pass (02:20 winter time, half an hour after it).
 * Moved back only by the overlap (02:40), the run never read it: a requisition never fulfilled.
 * Found by review S5. Through the real connectors, both sandboxes and the store (SQLite, and
 * PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { engineCases } from '../../support/outbox-engines.js';
import { drain, instanceAOn, raiseRequisitions } from './rts-rig.js';

const ZONE = 'Europe/Berlin';
const MARK = '2026-10-25T02:50:00.000'; // read in the earlier pass: 00:50Z
const AFTER = '2026-10-25T02:20:00.000'; // updated in the later pass: 01:20Z

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a requisition completed in the later pass, below the mark's wall time, is read`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: ZONE });
      const [raised] = await raiseRequisitions(sb.dhis2, 1);
      sb.dhis2.tracker.events.get(raised.event)!.updatedAt = AFTER;
      await store.setCursor(RTS_REQUISITIONS_CURSOR, MARK);
      const run = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(run.counts, { read: 1, created: 1 }, 'read and sent to Open mSupply (before: read 0)');
      t.equal(await store.getCursor(RTS_REQUISITIONS_CURSOR), MARK, 'the mark never moves back');
    },
  );
}
