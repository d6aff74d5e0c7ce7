/**
 * A completed consignment's date received as DHIS2 answers it in other spellings: without the
 * milliseconds (java.time drops a zero fraction), with more digits, with an offset. The receipt is
 * compared as the instant DHIS2 keeps (to the millisecond, its server's wall time when no zone is
 * given), never as text: the same confirmation sent again is no change whatever the spelling, a
 * millisecond off is a 409. Through the real connector and a DHIS2 sandbox in Colombo (+05:30).
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { consignmentCapability } from '../../../support/dhis2-consignments.js';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { memoryJournal, startHarness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';

const delivery = (occurredAt: string): Delivery => ({
  identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-SPELL-1' },
  status: 'completed',
  occurredAt,
  destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
  lines: [{ product: { system: GTIN, code: CONDOM }, quantityAccepted: { value: 1440, unit: 'dispensing-unit' } }],
});

t.test('a receipt read back in other spellings is the same instant', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const sent = delivery('2026-12-01T09:15:00Z');
  await caps.precheck!(sent);
  await caps.confirm(sent, memoryJournal('spell-1'));
  const [event] = [...h.sandbox.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program);
  t.equal(event.occurredAt, '2026-12-01T14:45:00.000', 'kept as Colombo wall time');
  const verdict = (at: string) =>
    caps.precheck!(delivery(at)).then(
      () => 'same',
      (e) => String(e.status),
    );
  for (const spelling of [
    '2026-12-01T14:45:00',
    '2026-12-01T14:45',
    '2026-12-01T14:45:00.000000',
    '2026-12-01T14:45:00.000+05:30',
    '2026-12-01T09:15:00.000Z',
    '2026-12-01T09:15:00.000+0000',
  ]) {
    event.occurredAt = spelling;
    t.equal(await verdict('2026-12-01T09:15:00Z'), 'same', `DHIS2 answering ${spelling}: sent again, no change`);
    t.equal(await verdict('2026-12-01T14:45:00+05:30'), 'same', `${spelling}: the instant in another zone, no change`);
    t.equal(await verdict('2026-12-01T09:15:00.001Z'), '409', `${spelling}: a millisecond later is a change`);
  }
});
