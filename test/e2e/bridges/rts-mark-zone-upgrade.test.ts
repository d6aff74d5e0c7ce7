/**
 * A requisitions mark stored before marks kept their zone (no `<cursor>|zone`), on a DHIS2 server
 * west of UTC (Bogotá, -05:00): on upgrade it is read as before, a wall time in the server's zone
 * now, neither moved back (a re-read of hours, were it taken as UTC) nor on (review RI of
 * 36a5c1e8). Through the real connectors, both sandboxes and the store (SQLite, and PostgreSQL
 * when TEST_DATABASE_URL is set).
 */
import t, { type Test } from 'tap';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { engineCases } from '../../support/outbox-engines.js';
import { instanceAOn, raiseRequisitions } from './rts-rig.js';

const MINUTE = 60_000;

for (const engine of engineCases()) {
  t.test(`${engine.name}: a mark stored without its zone is read as before`, { skip: engine.skip }, async (t: Test) => {
    const { sb, store, a } = await instanceAOn(t, engine, { timeZone: 'America/Bogota' });
    const [old] = await raiseRequisitions(sb.dhis2, 1, 'old');
    const updatedAt = sb.dhis2.tracker.events.get(old.event)!.updatedAt;
    // as the last release left it: past the old requisition by more than the 10-minute overlap
    const mark = new Date(Date.parse(`${updatedAt}Z`) + 20 * MINUTE).toISOString().replace(/Z$/, '');
    await store.setCursor(RTS_REQUISITIONS_CURSOR, mark);

    const run = (await a.job.run()) as any;
    t.match(run.counts, { read: 0, created: 0 }, 'nothing before the mark read again');
    t.equal(await store.getCursor(RTS_REQUISITIONS_CURSOR), mark, 'the mark as it was');
    t.equal(await store.getCursor(`${RTS_REQUISITIONS_CURSOR}|zone`), 'America/Bogota', 'now kept with its zone');
  });
}
