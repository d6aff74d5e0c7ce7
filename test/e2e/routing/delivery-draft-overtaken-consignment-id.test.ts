/**
 * DHIS2: a draft overtaken by a completion written under another identifier of the same consignment
 * (routing/delivery-overtaken.ts, CompletedUpstreamError): the app saves the consignment in progress
 * under its own identifier system while DHIS2 is down (the draft queued), then completes it under
 * the shipment's identifier (same reference, so the same consignment events; another key), which
 * lands first. DHIS2's refusal of the draft ("completed in DHIS2") names the consignment as its
 * writes are linked (org unit ~ reference), so routing finds the completion and the draft ends done
 * and `superseded`, nothing sent, the events completed with the completion's count. Both engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../support/dhis2-consignments.js';
import { retriedToItsEnd, waitingForRetry } from '../../support/counted-delivery.js';
import { adminCall } from '../../support/march-stock-count.js';
import { why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

type Resource = Record<string, any>;

const APP = 'https://mobile.example.org/deliveries';
const ADMIN = 's3-draft-consignment-id-admin-K2v';
const SHIPMENT = 'SHP-OWN-ID-1';

/** Consignment SHIPMENT of `packs` packs of condoms at `facility`, in `status`, under `system`. */
function consignment(facility: string, packs: number, status: string, system?: string): Resource {
  const lines = [{ gtin: '10860012300034', value: packs, unit: 'pack' as const }];
  const d = consignmentDelivery({ shipment: SHIPMENT, location: facility, lines });
  if (system) d.identifier = [{ ...d.identifier[0], system }];
  return { ...d, status };
}

// the draft's first attempt fails and its next is far off: it waits until the operator's retry
const WAITS = waitingForRetry(ADMIN);

for (const engine of engineCases()) {
  t.test(
    `DHIS2: a draft under the app's identifier, completed under the shipment's, is superseded (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { deliveries: { default: 'dhis2' } },
        { ...CONSIGNMENT_ENV, ...WAITS },
      );
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () =>
        [...sb.tracker.events.values()]
          .filter((e) => e.program === CONSIGNMENT.program)
          .map((e) => [e.status, e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value]);
      const down = sb.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'status', status: 503 } });
      const draft = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 7, 'in-progress', APP));
      t.equal(draft.status, 202, `the draft queued, DHIS2 down: ${why(draft)}`);
      const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=dhis2');
      const [job] = jobs.body.jobs.filter((j: Resource) => j.flow === 'delivery');

      sb.faults.remove(down.id);
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.equal(done.status, 201, `the completion lands first: ${why(done)}`);
      const completed = events();
      t.equal(completed.length, 1);
      t.equal(completed[0][0], 'COMPLETED');

      const posts = sb.state.count('POST', '/api/tracker');
      const ended = await retriedToItsEnd(rig.mediator.url, ADMIN, job.id);
      t.equal(ended.status, 'done', `the draft is no failure: ${ended.lastError ?? ''}`);
      t.equal(ended.result?.status, 'superseded', 'superseded by the completion');
      t.match(ended.result?.ids?.consignment, /~SHP-OWN-ID-1$/, 'naming what the completion wrote');
      t.equal(sb.state.count('POST', '/api/tracker'), posts, 'nothing sent to DHIS2');
      t.same(events(), completed, 'the consignment completed still, with its count');
      // a draft saved after the completion is no draft it overtook: refused, nothing changed
      const late = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 5, 'in-progress', APP));
      t.equal(late.status, 409, `a draft saved after the completion is refused: ${why(late)}`);
      t.match(why(late), /completed in DHIS2/);
      t.same(events(), completed, 'and changes nothing');
    },
  );
}
