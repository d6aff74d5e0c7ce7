/**
 * A tracker import answered 409 with a plain WebMessage, no import report: a conflict inside
 * DHIS2 (another import of the same objects, a lock), not a refusal of the events. Before, the
 * consignment ended as a final 422 and was never written; now it is sent again later and lands.
 * Through the real mediator, the DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';
import { CONSIGNMENT_ENV, consignmentDelivery, trackerConflictOnce } from '../../../support/dhis2-consignments.js';

for (const engine of engineCases()) {
  t.test(`a consignment met by a tracker 409 without a report (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
    const sb = rig.dhis2;
    const facility = sb.state.summary().orgUnits['LK-HC-103'];
    trackerConflictOnce(sb, 'An import of the same objects is already running');
    const lines = [{ gtin: '10860012300034', value: 10, unit: 'pack' as const }];
    const posted = await rig.fhir(
      'POST',
      '/fhir/R5/SupplyDelivery',
      consignmentDelivery({ shipment: 'SHP-CONFLICT-1', location: facility, lines }),
    );
    t.not(posted.status, 422, `not refused as the client's fault: ${why(posted)}`);
    t.ok(posted.status < 300, `accepted: ${why(posted)}`);
    const completed = () =>
      [...sb.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program && e.status === 'COMPLETED');
    await until('the consignment sent again lands', async () => completed().length === 1, 30_000);
    t.equal(sb.state.count('POST', '/api/tracker'), 2, 'the conflict, then the import that landed');
  });
}
