/**
 * deliverTo as mCSD pairs a facility (issue 16): an Organization that manages exactly one
 * facility Location (Location.managingOrganization, IHE mCSD "Facility" = Organization + Location)
 * resolves to that Location, contained or referenced on our surface; one managing several, or
 * none, is a 422 naming deliverTo. End to end through the mediator to the OpenLMIS sandbox.
 */
import t from 'tap';
import { orderLine, startRig, why, type Rig } from '../../support/openlmis-e2e.js';

const organization = (id: string) => ({ resourceType: 'Organization', id, name: `Facility org ${id}` });
const site = (id: string, code: string, managingOrganization: string) => ({
  resourceType: 'Location',
  id,
  identifier: [{ system: 'https://facilities.example.org/code', value: code }],
  name: `Site ${code}`,
  managingOrganization: { reference: managingOrganization },
});

function requisitionsOf(rig: Rig, facilityCode: string): any[] {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  return rig.lmis.sb.state.requisitionsByStatus().filter((r: any) => r.facilityId === facilityId);
}

t.test('deliverTo an Organization managing one facility Location', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const base = (order: string) => ({
    ...orderLine({ order, facilityId: 'unused', program: 'EM01', productCode: 'EM-ORS', qty: 40, priority: 'urgent' }),
  });

  const contained = {
    ...base('ORG-1'),
    contained: [organization('org'), site('loc', 'LK-HC-102', '#org')],
    deliverTo: { reference: '#org' },
  };
  const a = await rig.fhir('POST', '/fhir/SupplyRequest', contained);
  t.equal(a.status, 201, why(a));
  t.equal(requisitionsOf(rig, 'LK-HC-102').length, 1, 'the order reached the facility the Organization manages');

  const onSurface = {
    ...base('ORG-2'),
    contained: [site('loc', 'LK-HC-103', 'Organization/org-103')],
    deliverTo: { reference: 'Organization/org-103' },
  };
  const b = await rig.fhir('POST', '/fhir/SupplyRequest', onSurface);
  t.equal(b.status, 201, why(b));
  t.equal(requisitionsOf(rig, 'LK-HC-103').length, 1);

  const asLocation = {
    ...base('ORG-3'),
    contained: [site('loc', 'LK-DH-201', '#org'), organization('org')],
    deliverTo: { reference: '#loc' },
  };
  const c = await rig.fhir('POST', '/fhir/SupplyRequest', asLocation);
  t.equal(c.status, 201, why(c));
  t.equal(requisitionsOf(rig, 'LK-DH-201').length, 1, 'a contained Location is the facility by its identifier');

  const before = rig.lmis.sb.state.counts().requisitions;
  const ambiguous = {
    ...base('ORG-4'),
    contained: [organization('org'), site('a', 'LK-HC-102', '#org'), site('b', 'LK-HC-103', '#org')],
    deliverTo: { reference: '#org' },
  };
  const d = await rig.fhir('POST', '/fhir/SupplyRequest', ambiguous);
  t.equal(d.status, 422, why(d));
  t.match(why(d), /managing 2 Locations \(#a, #b\)/);
  t.same(d.body.issue[0].expression, ['SupplyRequest.deliverTo.reference']);

  const unmanaged = { ...base('ORG-5'), contained: [organization('org')], deliverTo: { reference: '#org' } };
  const e = await rig.fhir('POST', '/fhir/SupplyRequest', unmanaged);
  t.equal(e.status, 422, why(e));
  t.match(why(e), /no Location in this resource names it as its managingOrganization/);
  t.equal(rig.lmis.sb.state.counts().requisitions, before, 'the refused orders changed nothing');
});
