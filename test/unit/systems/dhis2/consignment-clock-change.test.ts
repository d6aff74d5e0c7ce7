/**
 * A consignment received in an hour an autumn clock change repeats: DHIS2 keeps its occurredAt as
 * wall time in the server's zone, without an offset, and reads it back as the earlier pass (as
 * java.time does), so it cannot hold the later pass apart from the earlier. Such a receipt is
 * accepted and held as the earlier pass (the client cannot change when goods arrived; a refusal
 * kept the receipt out of DHIS2, and a write accepted while DHIS2 could not be asked is written so
 * anyway): its resend, the earlier pass, and a job accepted before are no change; any other
 * instant is a 409. Through the real connector and a DHIS2 sandbox in Berlin (2026-10-25: 03:00
 * summer time is 02:00 winter time again, 01:00 UTC). Review RC: 023b208e refused the later pass
 * 422, and its genuine resend after a write accepted while DHIS2 was not asked too.
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

  // 02:30 winter time, the hour's later pass: DHIS2 keeps 02:30 and reads it as 00:30Z
  const sent = delivery('2026-10-25T01:30:00Z');
  t.equal(await refusal(caps, '2026-10-25T01:30:00Z'), undefined, 'the later pass is accepted (before: 422)');
  await caps.confirm(sent, memoryJournal('fold-1'));
  t.same(
    events().map((e) => e.occurredAt),
    ['2026-10-25T02:30:00.000'],
    'DHIS2 keeps 02:30',
  );
  const read = await caps.get(`${events()[0].orgUnit}~SHP-FOLD-1`);
  t.equal(read?.occurredAt, '2026-10-25T00:30:00.000Z', 'read back as the instant DHIS2 holds: the earlier pass');

  t.equal(await refusal(caps, '2026-10-25T01:30:00Z'), undefined, 'sent again: no change (before: 422)');
  t.equal(await refusal(caps, '2026-10-25T00:30:00Z'), undefined, 'the earlier pass, as read: no change');
  t.equal(await refusal(caps, '2026-10-25T02:30:00+01:00'), undefined, 'the later pass in winter time: no change');
  t.equal((await refusal(caps, '2026-10-25T01:30:01Z'))?.status, 409, 'another instant is still a change');
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
