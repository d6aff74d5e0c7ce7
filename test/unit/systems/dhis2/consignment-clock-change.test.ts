/**
 * A consignment received in the later pass of an hour an autumn clock change repeats: DHIS2 keeps
 * its occurredAt as wall time in the server's zone, which the mediator reads back as the earlier
 * pass (as java.time does). The same confirmation sent again is the receipt DHIS2 holds, not a
 * changed date. Through the real connector and a DHIS2 sandbox in Berlin (2026-10-25: 03:00
 * summer time is 02:00 winter time again, 01:00 UTC).
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

t.test('a receipt at 02:30 winter time, sent again: the receipt DHIS2 holds', async (t) => {
  const h = await startHarness({ timeZone: 'Europe/Berlin' });
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const sent = delivery('2026-10-25T01:30:00Z'); // 02:30 winter time, the hour's later pass
  await caps.precheck!(sent);
  await caps.confirm(sent, memoryJournal('fold-1'));
  const events = [...h.sandbox.tracker.events.values()].filter(
    (e) => e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === 'SHP-FOLD-1'),
  );
  t.same(
    events.map((e) => e.occurredAt),
    ['2026-10-25T02:30:00.000'],
    'DHIS2 keeps 02:30',
  );

  const again = await caps.precheck!(sent).then(
    () => undefined,
    (e) => e,
  );
  t.equal(again, undefined, 'sent again: no 409 (before: "received at 00:30Z … not received at 01:30Z")');
  const other = await caps.precheck!(delivery('2026-10-25T01:30:01Z')).catch((e) => e);
  t.equal(other?.status, 409, 'another instant is still a change');
  const anHourLater = await caps.precheck!(delivery('2026-10-25T02:30:00Z')).catch((e) => e);
  t.equal(anHourLater?.status, 409, '03:30 winter time is a change');
});
