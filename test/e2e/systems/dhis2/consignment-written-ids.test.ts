/**
 * A consignment the mediator wrote under its client's R5 id is listed and read under that id
 * only. Before, a search took its own links by the upstream id its items carry (a hash), not the
 * one a write links (`orgUnit~reference`, FlowSpec.upstreamId): the search listed it under a
 * second, hash id, and a search by its identifier answered it twice. Through the real mediator,
 * the DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

for (const engine of engineCases()) {
  t.test(
    `a consignment written under the app's id is listed under it alone (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const facility = rig.dhis2.state.summary().orgUnits['LK-HC-103'];
      const body = {
        ...consignmentDelivery({
          shipment: 'SHP-APP-1',
          location: facility,
          lines: [{ gtin: '10860012300034', value: 100, unit: 'dispensing-unit' }],
        }),
        id: 'app-dlv-1',
      };
      const put = await rig.fhir('PUT', '/fhir/R5/SupplyDelivery/app-dlv-1', body);
      t.match(put.status, /^20[01]$/, why(put));
      const ids = (bundle: Resource) =>
        (bundle.entry ?? [])
          .map((e: Resource) => e.resource)
          .filter((r: Resource) => JSON.stringify(r.identifier).includes('SHP-APP-1'))
          .map((r: Resource) => r.id);

      const listed = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?destination=Location/${facility}`);
      t.equal(listed.status, 200, why(listed));
      t.same(ids(listed.body), ['app-dlv-1'], 'the search lists it under the id it was written under');
      const byIdentifier = await rig.fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?identifier=https://msupply.example.org/shipments|SHP-APP-1&destination=Location/${facility}`,
      );
      t.same(ids(byIdentifier.body), ['app-dlv-1'], 'a search by its identifier answers it once');
    },
  );
}
