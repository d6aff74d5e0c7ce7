/**
 * A consignment received in an hour an autumn clock change repeats: DHIS2 keeps its occurredAt as
 * wall time in the server's zone, without an offset, and reads it back as the earlier pass (as
 * java.time does). An instant of the later pass is one DHIS2 cannot hold: refused (422) naming
 * the zone and the instant it would hold, nothing written, whether sent first, again or as a
 * correction of the earlier pass (which DHIS2 would keep unchanged: the same wall time). The
 * earlier pass is held and read back as sent. Through the real connector and a DHIS2 sandbox in
 * Berlin (2026-10-25: 03:00 summer time is 02:00 winter time again, 01:00 UTC).
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { consignmentCapability } from '../../../support/dhis2-consignments.js';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { memoryJournal, startHarness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';

const delivery = (occurredAt: string): Delivery => ({
  identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-FOLD-1' },
  status: 'completed',
  occurredAt,
  destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
  lines: [{ product: { system: GTIN, code: CONDOM }, quantityAccepted: { value: 1440, unit: 'dispensing-unit' } }],
});

const refusal = (caps: ReturnType<typeof consignmentCapability>, at: string) =>
  caps.precheck!(delivery(at)).then(
    () => undefined,
    (e) => e,
  );

t.test('a receipt in the hour the clock change repeats', async (t) => {
  const h = await startHarness({ timeZone: 'Europe/Berlin' });
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const events = () =>
    [...h.sandbox.tracker.events.values()].filter(
      (e) => e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === 'SHP-FOLD-1'),
    );

  // 02:30 winter time, the hour's later pass: DHIS2 would keep 02:30 and read it as 00:30Z
  const later = await refusal(caps, '2026-10-25T01:30:00Z');
  t.equal(later?.status, 422, 'the later pass is refused (before: accepted, kept as 02:30 and read as 00:30Z)');
  t.same(later?.issues?.[0]?.expression, ['Delivery.occurredAt'], 'the element named');
  t.match(
    later?.issues?.[0]?.diagnostics,
    /2026-10-25T02:30:00\.000 in DHIS2's time zone Europe\/Berlin.*repeats.*2026-10-25T00:30:00\.000Z/,
    'says the wall time, the zone and the instant DHIS2 would hold',
  );
  t.same(events(), [], 'nothing written');

  // 02:30 summer time, the earlier pass: held as sent
  const sent = delivery('2026-10-25T00:30:00Z');
  await caps.precheck!(sent);
  await caps.confirm(sent, memoryJournal('fold-1'));
  t.same(
    events().map((e) => e.occurredAt),
    ['2026-10-25T02:30:00.000'],
    'DHIS2 keeps 02:30',
  );
  t.equal(await refusal(caps, '2026-10-25T00:30:00Z'), undefined, 'sent again: no change');
  t.equal(
    (await refusal(caps, '2026-10-25T01:30:00Z'))?.status,
    422,
    'corrected to the later pass (the same wall time): refused, not "unchanged" (before: no change)',
  );
  t.equal((await refusal(caps, '2026-10-25T00:30:01Z'))?.status, 409, 'another instant is still a change');
  t.equal((await refusal(caps, '2026-10-25T02:30:00Z'))?.status, 409, '03:30 winter time is a change');
  t.same(
    events().map((e) => e.occurredAt),
    ['2026-10-25T02:30:00.000'],
    'the event keeps the first confirmation',
  );
});

t.test('a server in a zone without clock changes repeats no hour', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  t.equal(await refusal(caps, '2026-10-25T01:30:00Z'), undefined, 'any instant is held');
});
