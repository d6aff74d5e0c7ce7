/**
 * RTS transactions read from a DHIS2 server not in UTC, through the real connector and a sandbox
 * in Berlin: an event's updatedAt is wall time in the server's zone like its occurredAt (a stock
 * report's lastUpdated), and a date range whose end falls in the later pass of an hour an autumn
 * clock change repeats (2026-10-25: 03:00 summer time is 02:00 winter time again, 01:00 UTC)
 * lists an event kept at a wall time of that hour, which reads as before the end, and nothing
 * that reads after it.
 */
import t from 'tap';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';
import { stockFor } from './rts-stock.js';

t.test('RTS events of a server in Berlin: their times read in its zone, across the clock change', async (t) => {
  const h = await startHarness({ timeZone: 'Europe/Berlin' }, { 'dhis2.rtsProgram': RTS.program });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const [inHour, after] = [...h.sandbox.tracker.events.values()].filter(
    (e) => e.program === RTS.program && e.orgUnit === hc,
  );
  t.ok(inHour && after, 'two RTS events at the facility');
  // 02:45 is read as the earlier pass, summer time: 00:45 UTC; 03:10 is winter time: 02:10 UTC
  inHour.occurredAt = '2026-10-25T02:45:00.000';
  inHour.updatedAt = '2026-12-01T14:45:00.000';
  after.occurredAt = '2026-10-25T03:10:00.000';

  const { items } = await stockFor(h).search({
    facility: hc,
    date: [{ from: '2026-10-25T00:00:00Z', to: '2026-10-25T01:15:00Z' }],
  });
  t.same(
    items.map((r) => [r.source?.id, r.reportedAt]),
    [[inHour.event, '2026-10-25T00:45:00.000Z']],
    'the event at 02:45 listed up to 01:15 UTC (before: not), the one at 03:10 (02:10 UTC) not',
  );
  t.equal(items[0]?.lastUpdated, '2026-12-01T13:45:00.000Z', 'updated at 14:45 in Berlin: 13:45 UTC (before: 14:45)');
});
