/**
 * InventoryReport searches list the live stock, which carries no business identifier: a search by
 * `identifier` (with the `location` OpenLMIS needs) matches none of it, and an If-None-Exist on a
 * posted report's identifier finds no snapshot to match, so the create answers from the report's
 * own write (200, nothing sent again). Before, no stock connector applied `identifier`: the search
 * listed the facility's whole stock and the conditional create was a 412 "matches 3 resources".
 * Through the OpenLMIS sandbox, both engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { gtinOf, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

const COUNTS = 'https://mobile.example.org/counts';

function facilityReturn(facilityId: string, id: string) {
  return {
    resourceType: 'InventoryReport',
    status: 'active',
    countType: 'difference',
    identifier: [{ system: COUNTS, value: id }],
    operationType: { coding: [{ code: 'addition', display: 'addition' }] },
    operationTypeReason: { coding: [{ code: 'Facility return', display: 'Facility return' }] },
    reportedDateTime: '2026-11-21T10:00:00Z',
    inventoryListing: [
      {
        location: { reference: `Location/${facilityId}` },
        item: [
          {
            quantity: {
              value: 100,
              system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit',
              code: 'dispensing-unit',
            },
            item: { concept: { coding: [{ system: 'https://www.gs1.org/gtin', code: gtinOf('EM-AMX250') }] } },
          },
        ],
      },
    ],
  };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a stock search by identifier matches no live snapshot, and a conditional create on it answers from the write`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      const location = encodeURIComponent(`Location/${facilityId}`);
      const report = facilityReturn(facilityId, 'RET-1');
      const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', report);
      t.equal(posted.status, 201, why(posted));

      const live = await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${location}`);
      t.equal(live.status, 200, why(live));
      t.ok(live.body.total > 0, 'the facility has live stock');
      const byIdentifier = await rig.fhir(
        'GET',
        `/fhir/R5/InventoryReport?location=${location}&identifier=${encodeURIComponent(`${COUNTS}|RET-1`)}`,
      );
      t.equal(byIdentifier.status, 200, why(byIdentifier));
      t.equal(byIdentifier.body.total, 0, 'no live snapshot carries the identifier');
      const unplacedSearch = await rig.fhir('GET', '/fhir/R5/InventoryReport');
      t.equal(unplacedSearch.status, 422, why(unplacedSearch));
      t.same(unplacedSearch.body.issue[0].expression, ['location'], 'refused at the parameter it lacks');

      const from = Date.now();
      const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', report, {
        'if-none-exist': `identifier=${COUNTS}|RET-1&location=Location/${facilityId}`,
      });
      t.equal(again.status, 200, why(again));
      t.equal(again.body.id, posted.body.id, 'the report as written');
      t.same(writesSince(rig, from), [], 'nothing sent to OpenLMIS again');

      // the condition without the location OpenLMIS reads stock by: refused at the header
      const unplaced = await rig.fhir('POST', '/fhir/R5/InventoryReport', facilityReturn(facilityId, 'RET-2'), {
        'if-none-exist': `identifier=${COUNTS}|RET-2`,
      });
      t.equal(unplaced.status, 422, why(unplaced));
      t.same(unplaced.body.issue[0].expression, ['If-None-Exist']);
      t.match(unplaced.body.issue[0].diagnostics, /^If-None-Exist 'identifier=.*RET-2': .*location/);
      t.same(writesSince(rig, from), [], 'nothing sent for it');
    },
  );
}
