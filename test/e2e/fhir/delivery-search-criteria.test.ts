/**
 * A delivery search names a facility and may narrow it by `identifier`, `based-on` or `supplier`.
 * DHIS2 (consignment events) and OpenMRS (transfers) list every delivery of the facility and filter
 * it themselves, and ignored those three: `identifier=SHP-A` answered SHP-B as well, and any order
 * line or supplier matched every delivery. Now each is matched (the identifier by value, as the
 * systems match it); a delivery naming no order lines or supplier matches neither. Through the DHIS2
 * and OpenMRS sandboxes.
 */
import t, { type Test } from 'tap';
import { CONSIGNMENT, SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { consignmentEvents } from '../../support/dhis2-consignment-events.js';
import { startDhis2Rig } from '../../support/dhis2-e2e.js';
import { startOpenMrsRig } from '../../support/openmrs-e2e.js';

type Fhir = (method: string, url: string) => Promise<{ status: number; body: any }>;

async function deliveriesOf(t: Test, fhir: Fhir, destination: string, query = '') {
  const res = await fhir(
    'GET',
    `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${destination}`)}${query}`,
  );
  t.equal(res.status, 200, query || 'the facility');
  return (res.body.entry ?? []).map((e: any) => e.resource.identifier[0].value).sort() as string[];
}

t.test('DHIS2 consignments: identifier, based-on and supplier narrow the facility', async (t) => {
  const rig = await startDhis2Rig(
    { deliveries: { default: 'dhis2' }, facilities: { default: 'dhis2' } },
    {
      DHIS2_CONSIGNMENT_PROGRAM: CONSIGNMENT.program,
      DHIS2_CONSIGNMENT_STAGE: CONSIGNMENT.stage,
      DHIS2_CONSIGNMENT_DATA_ELEMENTS: `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
    },
  );
  t.teardown(() => rig.close());
  const ou = rig.dhis2.state.summary().orgUnits['LK-HC-102'];
  for (const tag of ['A', 'B']) {
    const res = await fetch(`${rig.dhis2.url}/api/tracker?async=false`, {
      method: 'POST',
      headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
      // one consignment event at LK-HC-102, its shipment reference SHP-<tag>
      body: JSON.stringify({ events: consignmentEvents({ sandbox: rig.dhis2 }, 1, tag) }),
    });
    t.equal(res.status, 200, `event SHP-${tag} stored in DHIS2`);
  }
  t.same(await deliveriesOf(t, rig.fhir, ou), ['SHP-A', 'SHP-B']);
  t.same(await deliveriesOf(t, rig.fhir, ou, '&identifier=SHP-A'), ['SHP-A'], 'one identifier, one delivery');
  t.same(await deliveriesOf(t, rig.fhir, ou, '&identifier=SHP-NONE'), [], 'an identifier it does not hold');
  t.same(await deliveriesOf(t, rig.fhir, ou, '&based-on=SupplyRequest%2Fsome-line'), [], 'no order lines named');
  t.same(await deliveriesOf(t, rig.fhir, ou, '&supplier=Location%2Fsome-depot'), [], 'no supplier named');
});

t.test('OpenMRS transfers: based-on and supplier narrow the facility', async (t) => {
  const rig = await startOpenMrsRig('delivery-search-criteria');
  t.teardown(() => rig.close());
  const location = '0d3c2b1a-1111-4a2b-8c3d-000000000002';
  const all = await deliveriesOf(t, rig.fhir, location);
  t.ok(all.length >= 1, 'the sandbox has a transfer to the health centre');
  t.same(await deliveriesOf(t, rig.fhir, location, `&identifier=${all[0]}`), [all[0]], 'by its identifier');
  t.same(await deliveriesOf(t, rig.fhir, location, '&based-on=SupplyRequest%2Fsome-line'), [], 'no order line');
  t.same(await deliveriesOf(t, rig.fhir, location, '&supplier=Location%2Fsome-depot'), [], 'no such supplier');
});
