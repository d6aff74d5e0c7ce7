/**
 * Which lines of one item and lot name events (namesEventsGone), now that the line of one event
 * read from DHIS2 carries its org unit in its id: through the real connector and the DHIS2
 * sandbox. A consignment changed since a read (an event deleted) is a 409 whichever form the
 * id of the line of one event has, the current or the one a client held from before; and a
 * delivery's own lines of one item and lot, under ids its client chose, are one event of their
 * sum, not "changed since it was read".
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { deliveryLineId } from '../../../../src/domain/line-ids.js';
import { consignmentCapability, consignmentEventsOf, nativeConsignment } from '../../../support/dhis2-consignments.js';
import { memoryJournal, startHarness, type Harness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';

const eventsOf = (h: Harness, ref: string) =>
  consignmentEventsOf(h.sandbox, ref).map(([uid, status, , quantity]) => [uid, status, quantity]);

const received = (read: Delivery, lines: Delivery['lines']): Delivery => ({
  ...read,
  status: 'completed',
  occurredAt: '2026-12-01T09:15:00Z',
  lines,
});

t.test('lines from two reads, one event deleted between: a 409 with either form of the one-event id', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps, enter, read } = nativeConsignment(h, 'W-G1', [['NatG1aaaa01', 'FP_CNDM', '10']]);
  const [single] = (await read()).lines; // read with one event: the id with its org unit
  enter(['NatG1bbbb02', 'FP_CNDM', '5']);
  const both = await read(); // read with two: each line names its event
  const named = both.lines.find((l) => l.quantityAccepted?.value === 10)!;
  h.sandbox.tracker.events.delete('NatG1bbbb02'); // a DHIS2 user deletes one
  const before = deliveryLineId(both.identifier, single.product, undefined); // the form before 2026-12-06
  t.not(single.lineId, before, 'the line of one event reads under the id with its org unit');

  for (const [form, id] of [
    ['current', single.lineId],
    ['former', before],
  ] as const) {
    const err = await caps
      .confirm(received(both, [{ ...single, lineId: id }, named]), memoryJournal(`g1-${form}`))
      .catch((e: unknown) => e);
    t.match(err, { status: 409, message: /changed since it was read/ }, `${form} id beside an event's: a 409`);
  }
  t.same(eventsOf(h, 'W-G1'), [['NatG1aaaa01', 'ACTIVE', '10']], 'nothing written (before, the former id: 20 on it)');
});

t.test("a delivery's own lines of one item and lot under its client's ids: one event of their sum", async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const line = (lineId: string, value: number) => ({
    lineId,
    product: { system: GTIN, code: CONDOM },
    quantityAccepted: { value, unit: 'dispensing-unit' as const },
  });
  const mine: Delivery = {
    identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-G2' },
    status: 'completed',
    occurredAt: '2026-12-02T10:00:00Z',
    destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
    lines: [line('c1a2b3c4-0000-4000-8000-000000000001', 600), line('c1a2b3c4-0000-4000-8000-000000000002', 840)],
  };
  await caps.precheck!(mine);
  t.pass('prechecked (before: 409 "changed since it was read", though nothing was read)');
  await caps.confirm(mine, memoryJournal('g2'));
  const written = eventsOf(h, 'SHP-G2');
  t.equal(written.length, 1, 'one event');
  t.equal(written[0]?.[2], '1440', 'of their sum');
});
