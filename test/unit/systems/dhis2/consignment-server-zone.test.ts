/**
 * DHIS2 keeps an event's times as wall time in its server's zone (system/info serverTimeZoneId),
 * not UTC: through the real connector and a DHIS2 sandbox running in Colombo (+05:30), a
 * consignment's times read back as the instants DHIS2 means, a confirmation lands at the instant
 * sent, and the zone is asked once.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { instantOfWallTime, serverZoneOf, wallTimeIn } from '../../../../src/systems/dhis2/server-time.js';
import { consignmentCapability, nativeEvent } from '../../../support/dhis2-consignments.js';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { wallTime as sandboxWallTime } from '../../../../sandbox/dhis2/server-zone.js';
import { memoryJournal, startHarness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';

const delivery = (value: string, occurredAt: string): Delivery => ({
  identifier: { system: 'https://msupply.example.org/shipments', value },
  status: 'completed',
  occurredAt,
  destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
  lines: [{ product: { system: GTIN, code: CONDOM }, quantityAccepted: { value: 1440, unit: 'dispensing-unit' } }],
});

t.test('a server in Colombo: its zone-less times are Colombo wall time, written and read so', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  // a DHIS2 user received it at 14:45 in Colombo: 09:15 UTC
  h.sandbox.tracker.events.set('NatZone0001', {
    ...nativeEvent('NatZone0001', hc, 'WAYBILL-TZ', 'FP_CNDM', '100'),
    occurredAt: '2026-12-01T14:45:00.000',
  });
  const [native] = (await caps.search({ facility: hc })).items;
  t.equal(native?.occurredAt, '2026-12-01T09:15:00.000Z', 'read at 09:15 UTC (before: 14:45 UTC)');

  const mine = delivery('SHP-TZ-1', '2026-12-02T10:00:00Z');
  await caps.precheck!(mine);
  await caps.confirm(mine, memoryJournal('tz-1'));
  const written = [...h.sandbox.tracker.events.values()].find(
    (e) => e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === 'SHP-TZ-1'),
  );
  t.equal(written?.occurredAt, '2026-12-02T15:30:00.000', 'DHIS2 keeps 15:30 Colombo time (before: 10:00, 04:30 UTC)');
  const read = (await caps.search({ facility: hc })).items.find((d) => d.identifier.value === 'SHP-TZ-1');
  t.equal(read?.occurredAt, '2026-12-02T10:00:00.000Z', 'and it reads back as the instant sent');
  await caps.precheck!(mine);
  t.pass('sent again, the same instant: not a changed date');
  const other = await caps.precheck!(delivery('SHP-TZ-1', '2026-12-02T10:00:01Z')).catch((e) => e);
  t.equal(other?.status, 409, 'another instant is a change');
  t.equal(h.sandbox.state.count('GET', '/api/system/info'), 1, 'the zone asked once');
});

t.test('wall time in a zone and back, across a clock change', async (t) => {
  const at = Date.parse('2026-03-29T00:59:59.250Z'); // a second before Berlin goes to summer time
  t.equal(wallTimeIn(at, 'Europe/Berlin'), '2026-03-29T01:59:59.250');
  t.equal(wallTimeIn(at + 1000, 'Europe/Berlin'), '2026-03-29T03:00:00.250');
  t.equal(instantOfWallTime('2026-03-29T03:00:00.250', 'Europe/Berlin'), at + 1000);
  t.equal(instantOfWallTime('2026-07-01T12:00:00', 'America/Sao_Paulo'), Date.parse('2026-07-01T15:00:00Z'));
  t.equal(instantOfWallTime('2026-07-01T12:00:00', 'Etc/UTC'), Date.parse('2026-07-01T12:00:00Z'));
  t.equal(wallTimeIn(Date.parse('2026-12-31T20:00:00Z'), 'Asia/Kathmandu'), '2027-01-01T01:45:00.000');
});

// java.time's LocalDateTime.atZone, as the JVM DHIS2 runs on reads its wall times
t.test('a repeated hour is its earlier instant, a skipped one moved on by the gap, as java.time', async (t) => {
  t.equal(
    instantOfWallTime('2026-10-25T02:30:00', 'Europe/Berlin'),
    Date.parse('2026-10-25T00:30:00Z'),
    '02:30 repeated: the earlier, summer-time instant (before: 01:30Z, the later)',
  );
  t.equal(instantOfWallTime('2026-10-25T03:30:00', 'Europe/Berlin'), Date.parse('2026-10-25T02:30:00Z'));
  t.equal(instantOfWallTime('2026-10-25T01:30:00', 'Europe/Berlin'), Date.parse('2026-10-24T23:30:00Z'));
  t.equal(
    instantOfWallTime('2026-03-29T02:30:00', 'Europe/Berlin'),
    Date.parse('2026-03-29T01:30:00Z'),
    '02:30 skipped: 03:30 summer time',
  );
  t.equal(instantOfWallTime('2026-11-01T01:30:00', 'America/New_York'), Date.parse('2026-11-01T05:30:00Z'));
});

t.test("the sandbox's own wall time agrees with the mediator's", async (t) => {
  for (const [at, zone] of [
    ['2026-10-25T00:30:00.007Z', 'Europe/Berlin'],
    ['2026-10-25T01:30:00.007Z', 'Europe/Berlin'],
    ['2026-12-31T20:00:00Z', 'Asia/Kathmandu'],
    ['2026-07-01T15:00:00Z', 'America/Sao_Paulo'],
  ]) {
    const d = new Date(at);
    t.equal(sandboxWallTime(d, zone), wallTimeIn(d.getTime(), zone), `${at} in ${zone}`);
  }
  t.equal(sandboxWallTime(new Date('2026-10-25T00:30:00.007Z'), 'Europe/Berlin'), '2026-10-25T02:30:00.007');
});

t.test("Java's custom zone ids are the fixed offsets they name; an unknown zone is UTC, said once", async (t) => {
  const zones = ['GMT+05:30', 'UTC+3', 'UT-02', '+05:30', 'GMT+0530'].map(serverZoneOf);
  t.same(zones, ['+05:30', '+03:00', '-02:00', '+05:30', '+05:30'], 'before: all UTC');
  const at = Date.parse('2026-12-01T10:00:00Z');
  t.equal(wallTimeIn(at, serverZoneOf('GMT+05:30')), '2026-12-01T15:30:00.000');
  t.equal(instantOfWallTime('2026-12-01T15:30:00', serverZoneOf('GMT+05:30')), at);
  t.equal(instantOfWallTime('2026-12-01T08:00:00', serverZoneOf('UT-02')), at);
  t.equal(serverZoneOf('Asia/Colombo'), 'Asia/Colombo');
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  t.equal(serverZoneOf('Mars/Olympus'), 'Etc/UTC');
  t.equal(serverZoneOf('Mars/Olympus'), 'Etc/UTC');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(
    warnings,
    ["DHIS2 serverTimeZoneId 'Mars/Olympus' is a zone unknown here: its times are read as UTC"],
    'said once',
  );
});
