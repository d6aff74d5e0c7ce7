/**
 * A DHIS2 server moved to a zone west of its old one (Colombo, +05:30, to Bogotá, -05:00: the
 * JVM's zone, `serverTimeZoneId`, changed and the mediator restarted). DHIS2 keeps updatedAt as
 * wall time without a zone, so requisitions completed after the move read ten and a half hours
 * before the mark the last run stored in Colombo's wall time: they were skipped until the clock
 * passed the mark. Found by review RC. Through the real connectors, both sandboxes and the store
 * (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { engineCases } from '../../support/outbox-engines.js';
import { drain, instanceAOn, instanceOn, raiseRequisitions } from './rts-rig.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: requisitions completed after the server moved west are read at once`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine, { timeZone: 'Asia/Colombo' });
      await raiseRequisitions(sb.dhis2, 1, 'before');
      t.match(((await a.job.run()) as any).counts, { read: 1, created: 1 }, 'read before the move');
      await drain(a.outbox, store);
      const colomboMark = (await store.getCursor(RTS_REQUISITIONS_CURSOR))!;

      // the server's zone changes; the mediator restarts (a new instance asks system/info again)
      sb.dhis2.state.timeZone = 'America/Bogota';
      const b = instanceOn(store, sb.settings, 'B');
      t.teardown(() => b.close());
      const [after] = await raiseRequisitions(sb.dhis2, 1, 'after');
      const updatedAt = sb.dhis2.tracker.events.get(after.event)!.updatedAt;
      t.ok(updatedAt < colomboMark, 'the new event reads before the stored mark (the case)');

      const run = (await b.job.run()) as any;
      await drain(b.outbox, store);
      t.match(run.counts, { created: 1 }, 'sent to Open mSupply (before: created 0, skipped for hours)');
      const mark = (await store.getCursor(RTS_REQUISITIONS_CURSOR))!;
      t.ok(mark >= updatedAt && mark < colomboMark, `the mark (${mark}) is a wall time in Bogotá`);
      t.equal(await store.getCursor(`${RTS_REQUISITIONS_CURSOR}|zone`), 'America/Bogota', 'written in the new zone');

      // the event read before the move still reads hours later than any new one: the mark is not taken from it
      await raiseRequisitions(sb.dhis2, 1, 'later');
      const again = (await b.job.run()) as any;
      await drain(b.outbox, store);
      t.match(again.counts, { created: 1 }, 'the next requisition is read by the next run');
    },
  );
}
