/**
 * A consignment entered by DHIS2's users, confirmed as read: which event each line of the
 * confirmation writes, through the real connector and the DHIS2 sandbox.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { consignmentCapability, nativeEvent } from '../../../support/dhis2-consignments.js';
import { memoryJournal, startHarness, type Harness } from './harness.js';

/** The consignment `ref`'s events: UID, status and quantity. */
const eventsOf = (h: Harness, ref: string) =>
  [...h.sandbox.tracker.events.values()]
    .filter(
      (e) =>
        e.program === CONSIGNMENT.program &&
        e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === ref),
    )
    .map((e) => [e.event, e.status, e.dataValues.find((d) => d.dataElement === CONSIGNMENT.quantity)?.value])
    .sort();

/** The consignment as read, confirmed received. */
const received = (read: Delivery, lines = read.lines): Delivery => ({
  ...read,
  status: 'completed',
  occurredAt: '2026-12-01T09:15:00Z',
  lines,
});

t.test('an event without a quantity: a 409 naming it, never quantities paired by position', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  h.sandbox.tracker.events.set('NatP2aaaa01', nativeEvent('NatP2aaaa01', hc, 'W-P2', 'FP_CNDM', 'a box'));
  h.sandbox.tracker.events.set('NatP2bbbb02', nativeEvent('NatP2bbbb02', hc, 'W-P2', 'FP_CNDM', '500'));
  const read = (await caps.get(`${hc}~W-P2`))!;
  t.same(
    read.lines.map((l) => l.quantityAccepted?.value),
    [500],
    'read: the event with a quantity is the one line',
  );
  const asRead = await caps.confirm(received(read), memoryJournal()).catch((e) => e);
  t.equal(asRead?.status, 409, 'confirmed as read: refused');
  t.match(asRead?.message, /without a quantity: NatP2aaaa01/, `naming the event to fix: ${asRead?.message}`);
  // the client answers the line count the old refusal named with a line of 0
  const zero = { ...read.lines[0], quantityAccepted: { value: 0, unit: 'dispensing-unit' as const } };
  const padded = await caps.confirm(received(read, [...read.lines, zero]), memoryJournal()).catch((e) => e);
  t.equal(padded?.status, 409, `a line added: refused the same (before: 500 written to the other event): ${padded}`);
  t.same(
    eventsOf(h, 'W-P2'),
    [
      ['NatP2aaaa01', 'ACTIVE', 'a box'],
      ['NatP2bbbb02', 'ACTIVE', '500'],
    ],
    'nothing written',
  );
  // a DHIS2 user enters the quantity: read again, confirmed as read
  h.sandbox.tracker.events.set('NatP2aaaa01', nativeEvent('NatP2aaaa01', hc, 'W-P2', 'FP_CNDM', '20'));
  await caps.confirm(received((await caps.get(`${hc}~W-P2`))!), memoryJournal());
  t.same(eventsOf(h, 'W-P2'), [
    ['NatP2aaaa01', 'COMPLETED', '20'],
    ['NatP2bbbb02', 'COMPLETED', '500'],
  ]);
});

t.test('two events of one item and lot: each line names its event, whatever their order', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  h.sandbox.tracker.events.set('NatP3aaaa01', nativeEvent('NatP3aaaa01', hc, 'W-P3', 'FP_CNDM', '1000'));
  h.sandbox.tracker.events.set('NatP3bbbb02', nativeEvent('NatP3bbbb02', hc, 'W-P3', 'FP_CNDM', '440'));
  const read = (await caps.get(`${hc}~W-P3`))!;
  const ids = read.lines.map((l) => l.lineId);
  t.equal(new Set(ids).size, 2, `each line its own id (R4: its own SupplyDelivery; before: one id for both): ${ids}`);
  // the client sorts its lines by quantity, and receives 10 fewer of the smaller
  const [big, small] = read.lines;
  const lines = [{ ...small, quantityAccepted: { value: 430, unit: 'dispensing-unit' as const } }, big];
  await caps.confirm(received(read, lines), memoryJournal());
  t.same(
    eventsOf(h, 'W-P3'),
    [
      ['NatP3aaaa01', 'COMPLETED', '1000'],
      ['NatP3bbbb02', 'COMPLETED', '430'],
    ],
    'each quantity on its own event (before: swapped by position)',
  );
  const reread = (await caps.get(`${hc}~W-P3`))!;
  t.same(
    reread.lines.map((l) => l.lineId),
    ids,
    'read back under the same line ids',
  );
});

t.test('two events of one item and lot, lines without ids: paired in the order read', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  h.sandbox.tracker.events.set('NatP4aaaa01', nativeEvent('NatP4aaaa01', hc, 'W-P4', 'FP_CNDM', '1000'));
  h.sandbox.tracker.events.set('NatP4bbbb02', nativeEvent('NatP4bbbb02', hc, 'W-P4', 'FP_CNDM', '440'));
  const read = (await caps.get(`${hc}~W-P4`))!;
  const lines = read.lines.map(({ lineId: _, ...l }) => l);
  await caps.confirm(received(read, lines), memoryJournal());
  t.same(eventsOf(h, 'W-P4'), [
    ['NatP4aaaa01', 'COMPLETED', '1000'],
    ['NatP4bbbb02', 'COMPLETED', '440'],
  ]);
});
