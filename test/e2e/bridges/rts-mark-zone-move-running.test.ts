/**
 * A DHIS2 server restarted in a zone west of its old one (Colombo, +05:30, to Bogotá, -05:00)
 * while the mediator keeps running: DHIS2's zone is its JVM's, so it changes when DHIS2 restarts,
 * not when the mediator does. The bridge asked system/info once per process, so it kept reading
 * the mark as Colombo's wall time and skipped the requisitions completed after the move until the
 * clock passed the mark, ten and a half hours (review RI of 36a5c1e8). Each run now asks the
 * server's zone again. Through the real connectors, both sandboxes and the store (SQLite, and
 * PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { ZONE_REUSE_MS } from '../../../src/systems/dhis2/client.js';
import { engineCases } from '../../support/outbox-engines.js';
import { drain, instanceAOn, raiseRequisitions } from './rts-rig.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: requisitions completed after the server moved west, the mediator running on, are read`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: 'Asia/Colombo' });
      await raiseRequisitions(sb.dhis2, 1, 'before');
      t.match(((await a.job.run()) as any).counts, { read: 1, created: 1 }, 'read before the move');
      await drain(a.outbox, store);
      const colomboMark = (await store.getCursor(RTS_REQUISITIONS_CURSOR))!;

      // DHIS2 restarts in another zone; the same mediator process runs on
      sb.dhis2.state.timeZone = 'America/Bogota';
      a.advance(ZONE_REUSE_MS); // a DHIS2 restart takes minutes: past the zone's reuse
      const [after] = await raiseRequisitions(sb.dhis2, 1, 'after');
      const updatedAt = sb.dhis2.tracker.events.get(after.event)!.updatedAt;
      t.ok(updatedAt < colomboMark, 'the new event reads before the stored mark (the case)');

      const run = (await a.job.run()) as any;
      await drain(a.outbox, store);
      t.match(run.counts, { created: 1 }, 'sent to Open mSupply (before: created 0 until the process restarted)');
      t.equal(await store.getCursor(`${RTS_REQUISITIONS_CURSOR}|zone`), 'America/Bogota', 'the mark in the new zone');
      const mark = (await store.getCursor(RTS_REQUISITIONS_CURSOR))!;
      t.ok(mark >= updatedAt && mark < colomboMark, `the mark (${mark}) is a wall time in Bogotá`);
    },
  );
}
