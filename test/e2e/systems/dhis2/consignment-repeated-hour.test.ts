/**
 * A completed DHIS2 consignment received in the hour an autumn clock change repeats, on a DHIS2
 * server in Berlin (2026-10-25: 03:00 summer time is 02:00 winter time again). DHIS2 keeps an
 * event's occurredAt as wall time without an offset and reads 02:30 as the earlier pass (00:30Z),
 * so it cannot hold 02:30 winter time (01:30Z). Sent first, or as a correction of a receipt at
 * 02:30 summer time, it is refused 422 naming the date, the zone and the instant DHIS2 would
 * hold, nothing written. Before, the first was accepted (kept as 02:30, read back as 00:30Z: an
 * hour early) and the correction, the same wall time to DHIS2, passed the connector as no change.
 * Through the real mediator, the DHIS2 connector and its sandbox, on both store engines.
 */
import t, { type Test } from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

const CONDOM = '10860012300034';
const LATER_PASS = '2026-10-25T01:30:00Z'; // 02:30 winter time
const EARLIER_PASS = '2026-10-25T00:30:00Z'; // 02:30 summer time

const consignment = (facility: string, shipment: string, at: string): Resource =>
  consignmentDelivery({ shipment, location: facility, lines: [{ gtin: CONDOM, value: 10, unit: 'pack' }], at });

/** The refusal names the element, the wall time, the zone and the instant DHIS2 would hold. */
function refusedAsUnholdable(t: Test, answer: { status: number; body: Resource }, label: string): void {
  t.equal(answer.status, 422, `${label}: ${why(answer)}`);
  const issue = answer.body.issue?.[0];
  t.same(issue?.expression, ['SupplyDelivery.occurrenceDateTime'], `${label}: the element`);
  t.match(
    issue?.diagnostics,
    /2026-10-25T02:30:00\.000 in DHIS2's time zone Europe\/Berlin, in the hour its clock change repeats.*2026-10-25T00:30:00\.000Z/,
    `${label}: says why`,
  );
}

for (const engine of engineCases()) {
  t.test(
    `a DHIS2 consignment received in the repeated hour of a clock change (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { deliveries: { default: 'dhis2' } },
        CONSIGNMENT_ENV,
        {},
        { timeZone: 'Europe/Berlin' },
      );
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () => [...sb.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program);
      const posts = () => sb.state.count('POST', '/api/tracker');

      const first = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 'SHP-FOLD-2', LATER_PASS));
      refusedAsUnholdable(t, first, 'received in the later pass (before: 201, read back an hour early)');
      t.equal(posts(), 0, 'nothing written to DHIS2');

      const posted = await rig.fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        consignment(facility, 'SHP-FOLD-3', EARLIER_PASS),
      );
      t.equal(posted.status, 201, why(posted));
      t.same(
        events().map((e) => e.occurredAt),
        ['2026-10-25T02:30:00.000'],
        'the earlier pass kept as 02:30',
      );
      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${posted.body.id}`);
      t.equal(read.body.occurrenceDateTime, '2026-10-25T00:30:00.000Z', 'and read back as sent');
      const { meta: _meta, ...asRead } = read.body as Resource;
      const path = `/fhir/R5/SupplyDelivery/${read.body.id}`;
      const before = posts();

      const same = await rig.fhir('PUT', path, asRead);
      t.equal(same.status, 200, `sent again as read: in place (${why(same)})`);
      const corrected = await rig.fhir('PUT', path, { ...asRead, occurrenceDateTime: LATER_PASS });
      refusedAsUnholdable(t, corrected, 'corrected to the later pass (before: a 409 naming the identifier)');
      t.equal(posts(), before, 'nothing written to DHIS2');
      t.same(
        events().map((e) => [e.status, e.occurredAt]),
        [['COMPLETED', '2026-10-25T02:30:00.000']],
        'the event keeps the first confirmation',
      );
    },
  );
}
