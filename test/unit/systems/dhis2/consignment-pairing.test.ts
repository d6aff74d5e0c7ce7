/**
 * A consignment entered by DHIS2's users, confirmed as read: which event each line of the
 * confirmation writes, through the real connector and the DHIS2 sandbox.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { consignmentCapability, consignmentEventsOf, nativeConsignment } from '../../../support/dhis2-consignments.js';
import { memoryJournal, startHarness, type Harness } from './harness.js';

/** The consignment `ref`'s events: UID, status and quantity. */
const eventsOf = (h: Harness, ref: string) =>
  consignmentEventsOf(h.sandbox, ref).map(([uid, status, , quantity]) => [uid, status, quantity]);

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
  const {
    caps,
    enter,
    read: reread,
  } = nativeConsignment(h, 'W-P2', [
    ['NatP2aaaa01', 'FP_CNDM', 'a box'],
    ['NatP2bbbb02', 'FP_CNDM', '500'],
  ]);
  const read = await reread();
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
  enter(['NatP2aaaa01', 'FP_CNDM', '20']);
  await caps.confirm(received(await reread()), memoryJournal());
  t.same(eventsOf(h, 'W-P2'), [
    ['NatP2aaaa01', 'COMPLETED', '20'],
    ['NatP2bbbb02', 'COMPLETED', '500'],
  ]);
});

t.test('two events of one item and lot: each line names its event, whatever their order', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps, read: reread } = nativeConsignment(h, 'W-P3', [
    ['NatP3aaaa01', 'FP_CNDM', '1000'],
    ['NatP3bbbb02', 'FP_CNDM', '440'],
  ]);
  const read = await reread();
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
  t.same(
    (await reread()).lines.map((l) => l.lineId),
    ids,
    'read back under the same line ids',
  );
});

t.test('two events of one item and lot, lines without ids: paired in the order read', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps, read: reread } = nativeConsignment(h, 'W-P4', [
    ['NatP4aaaa01', 'FP_CNDM', '1000'],
    ['NatP4bbbb02', 'FP_CNDM', '440'],
  ]);
  const read = await reread();
  const lines = read.lines.map(({ lineId: _, ...l }) => l);
  await caps.confirm(received(read, lines), memoryJournal());
  t.same(eventsOf(h, 'W-P4'), [
    ['NatP4aaaa01', 'COMPLETED', '1000'],
    ['NatP4bbbb02', 'COMPLETED', '440'],
  ]);
});

t.test('a delivery completed with fewer items than it sent in progress: a 409 naming what it leaves', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const line = (code: string, value: number, lot?: string) => ({
    product: { system: 'https://www.gs1.org/gtin', code },
    quantityAccepted: { value, unit: 'dispensing-unit' as const },
    ...(lot ? { lot: { number: lot } } : {}),
  });
  const sent = (status: Delivery['status'], lines: Delivery['lines']): Delivery => ({
    identifier: { system: 'urn:app-a', value: 'W-P5' },
    status,
    occurredAt: '2026-12-01T09:15:00Z',
    destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
    lines,
  });
  const CONDOM = '10860012300034';
  const DMPA = '10860012300027';
  await caps.confirm(sent('in-progress', [line(CONDOM, 100), line(DMPA, 9)]), memoryJournal());
  const before = eventsOf(h, 'W-P5');
  const dmpaEvent = before.find(([, , q]) => q === '9')![0];
  for (const [label, lines] of [
    ['an item left out', [line(CONDOM, 100)]],
    ['another lot', [line(CONDOM, 100), line(DMPA, 9, 'LOT-2')]],
  ] as const) {
    const completed = sent('completed', [...lines]);
    const pre = await caps.precheck!(completed).catch((e) => e);
    t.equal(pre?.status, 409, `${label}: refused before it is accepted (before: accepted): ${pre}`);
    t.match(pre?.message, String(dmpaEvent), `${label}: names the event it would leave ACTIVE`);
    const err = await caps.confirm(completed, memoryJournal()).catch((e) => e);
    t.equal(err?.status, 409, `${label}: the write refused too`);
    t.same(eventsOf(h, 'W-P5'), before, `${label}: nothing written`);
  }
  await caps.confirm(sent('completed', [line(CONDOM, 100), line(DMPA, 0)]), memoryJournal());
  t.same(
    eventsOf(h, 'W-P5')
      .map(([, status, q]) => `${status} ${q}`)
      .sort(),
    ['COMPLETED 0', 'COMPLETED 100'],
    'a line of 0 for what was not received completes it',
  );
});

t.test('one of two events of an item and lot deleted since the read: a 409, not their sum on one', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps, read: reread } = nativeConsignment(h, 'W-P5', [
    ['NatP5aaaa01', 'FP_CNDM', '10'],
    ['NatP5bbbb02', 'FP_CNDM', '5'],
  ]);
  const read = await reread();
  h.sandbox.tracker.events.delete('NatP5bbbb02'); // a DHIS2 user deletes one
  const err = await caps.confirm(received(read), memoryJournal()).catch((e: unknown) => e);
  t.match(err, { status: 409, message: /changed since it was read/ });
  t.same(eventsOf(h, 'W-P5'), [['NatP5aaaa01', 'ACTIVE', '10']], 'nothing written (before: 15 on the one left)');
});
