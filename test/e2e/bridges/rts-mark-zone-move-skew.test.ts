/**
 * After a DHIS2 server moved west (Colombo, +05:30, to Bogotá, -05:00), the requisitions mark is
 * held at the wall time now for hours, since events read before the move still read later than
 * new ones (36a5c1e8). That wall time was the mediator's clock: with DHIS2's clock half an hour
 * behind, requisitions completed after the run read before the mark less its 10-minute overlap,
 * and were skipped for good (review RI). The mark is held at DHIS2's own time (system/info
 * serverDate, asked at each run). Through the real connectors, both sandboxes and the store
 * (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { ZONE_REUSE_MS } from '../../../src/systems/dhis2/client.js';
import { engineCases } from '../../support/outbox-engines.js';
import { drain, instanceAOn, raiseRequisitions } from './rts-rig.js';

const MINUTE = 60_000;

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: after a move west, a DHIS2 clock behind the mediator's skips nothing`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: 'Asia/Colombo' });
      await raiseRequisitions(sb.dhis2, 1, 'before');
      t.match(((await a.job.run()) as any).counts, { read: 1, created: 1 }, 'read before the move');
      await drain(a.outbox, store);

      // DHIS2 restarts in Bogotá, its clock half an hour behind the mediator's
      sb.dhis2.state.timeZone = 'America/Bogota';
      sb.dhis2.state.clockOffsetMs = -30 * MINUTE;
      a.advance(ZONE_REUSE_MS); // a DHIS2 restart takes minutes: past the zone's reuse
      const moved = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(moved.counts, { created: 0 }, 'the event read before the move adds nothing');

      const [later] = await raiseRequisitions(sb.dhis2, 1, 'later');
      const updatedAt = sb.dhis2.tracker.events.get(later.event)!.updatedAt;
      const mark = (await store.getCursor(RTS_REQUISITIONS_CURSOR))!;
      t.ok(mark <= updatedAt, `the mark (${mark}) is not past the next requisition (${updatedAt})`);
      const run = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(run.counts, { created: 1 }, 'the next requisition is read (before: created 0, skipped for good)');
    },
  );
}
