/**
 * A DHIS2 consignment saved in progress (its events left ACTIVE), counted again (the next draft,
 * routing/delivery-drafts.ts), then completed. Each write is the events under the UIDs the
 * delivery's key derives, so a later draft and the completion update the same events: DHIS2
 * never holds a draft's quantity beside the final one (a stock counted twice), and each write is
 * made once, whatever is sent again. A draft of other counts after the completion was written,
 * reopening the consignment (its events ACTIVE again, the count changed): now a 409, nothing
 * written. Through the real mediator, the DHIS2 connector and its
 * sandbox, on both store engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

const CONDOM = '10860012300034';

/** Consignment SHP-DRAFTS-1 of `packs` packs of condoms at `facility`, in `status`. */
function consignment(facility: string, packs: number, status: string): Resource {
  const lines = [{ gtin: CONDOM, value: packs, unit: 'pack' as const }];
  return { ...consignmentDelivery({ shipment: 'SHP-DRAFTS-1', location: facility, lines }), status };
}

for (const engine of engineCases()) {
  t.test(
    `a DHIS2 consignment's drafts and completion write one set of events (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () => [...sb.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program);
      const quantities = () =>
        events().map((e) => [
          e.status,
          e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value,
        ]);
      const posts = () => sb.state.count('POST', '/api/tracker');

      const first = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 10, 'in-progress'));
      t.equal(first.status, 201, why(first));
      const [one] = quantities();
      t.equal(events().length, 1, 'one event');
      t.equal(one[0], 'ACTIVE', 'left active: in progress');

      const corrected = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 8, 'in-progress'));
      t.equal(corrected.status, 201, `counted again: ${why(corrected)}`);
      t.equal(events().length, 1, 'the same event, not a second');
      t.equal(Number(quantities()[0][1]) * 10, Number(one[1]) * 8, 'holding the corrected count');

      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.equal(done.status, 201, `completed: ${why(done)}`);
      t.equal(events().length, 1, 'still one event');
      t.equal(quantities()[0][0], 'COMPLETED');
      t.equal(Number(quantities()[0][1]) * 10, Number(one[1]) * 9, 'holding the completed count');

      const before = posts();
      const again = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.equal(again.status, 200, `the completion sent again: ${why(again)}`);
      t.equal(posts(), before, 'nothing written again');
      t.equal(quantities()[0][0], 'COMPLETED', 'completed still');

      // a draft of other counts after the completion would reopen the consignment received
      const kept = quantities();
      const reopened = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 7, 'in-progress'));
      t.equal(reopened.status, 409, `a draft after the completion: ${why(reopened)}`);
      t.same(reopened.body.issue?.[0]?.expression, ['SupplyDelivery.status']);
      t.match(reopened.body.issue?.[0]?.diagnostics, /completed in DHIS2 .*cannot be saved in progress again/);
      t.same(quantities(), kept, 'the consignment completed still, with its count');
      t.equal(posts(), before, 'nothing written');
    },
  );
}
