/**
 * A completed DHIS2 consignment received in the hour an autumn clock change repeats, on a DHIS2
 * server in Berlin (2026-10-25: 03:00 summer time is 02:00 winter time again). DHIS2 keeps an
 * event's occurredAt as wall time without an offset and reads 02:30 as the earlier pass (00:30Z),
 * so it cannot hold 02:30 winter time (01:30Z) apart from it. Such a receipt is accepted, held as
 * 02:30 and answered as the instant DHIS2 holds (00:30Z); sent again in either pass it is in
 * place (a POST, or a PUT of the read with the client's own instant), nothing written; another
 * instant is a 409. Review RC: 023b208e refused it 422, which a
 * client cannot remedy (the goods came when they came), kept the receipt out of DHIS2, and
 * answered "nothing written" to the resend of one accepted while DHIS2 was not asked.
 * Through the real mediator, the DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

const CONDOM = '10860012300034';
const LATER_PASS = '2026-10-25T01:30:00Z'; // 02:30 winter time
const EARLIER_PASS = '2026-10-25T00:30:00.000Z'; // 02:30 summer time, as DHIS2 holds it

const consignment = (facility: string, shipment: string, at: string): Resource =>
  consignmentDelivery({ shipment, location: facility, lines: [{ gtin: CONDOM, value: 10, unit: 'pack' }], at });

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

      const sent = consignment(facility, 'SHP-FOLD-2', LATER_PASS);
      const first = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', sent);
      t.equal(first.status, 201, `received in the later pass: accepted (before: 422) ${why(first)}`);
      t.equal(first.body.occurrenceDateTime, EARLIER_PASS, 'answered as the instant DHIS2 holds');
      t.same(
        events().map((e) => e.occurredAt),
        ['2026-10-25T02:30:00.000'],
        'DHIS2 keeps 02:30',
      );
      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${first.body.id}`);
      t.equal(read.body.occurrenceDateTime, EARLIER_PASS, 'and read back so');
      const { meta: _meta, ...asRead } = read.body as Resource;
      const path = `/fhir/R5/SupplyDelivery/${read.body.id}`;
      const before = posts();

      const again = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', sent);
      t.equal(again.status, 200, `the same confirmation sent again: in place (before: 422) ${why(again)}`);
      const same = await rig.fhir('PUT', path, asRead);
      t.equal(same.status, 200, `sent again as read: in place (${why(same)})`);
      // the read put back with the client's own instant (the later pass): DHIS2 holds just that, so
      // it is in place and told the instant held. Review S5: it was a 409 for ever ("use a new
      // identifier"), the outbox holding the write under the consignment's key with other content
      const later = await rig.fhir('PUT', path, { ...asRead, occurrenceDateTime: LATER_PASS });
      t.equal(later.status, 200, `the read put back in the later pass: in place (${why(later)})`);
      t.equal(later.body.occurrenceDateTime, EARLIER_PASS, 'told the instant DHIS2 holds');
      const other = await rig.fhir('PUT', path, { ...asRead, occurrenceDateTime: '2026-10-25T01:30:01Z' });
      t.equal(other.status, 409, `another instant is a change: ${why(other)}`);
      t.same(other.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime'], 'the element named');
      t.equal(posts(), before, 'nothing written to DHIS2');
      t.same(
        events().map((e) => [e.status, e.occurredAt]),
        [['COMPLETED', '2026-10-25T02:30:00.000']],
        'the event keeps the first confirmation',
      );
    },
  );
}
