/**
 * Payloads written from published guides' profiles (issue 16 "Must show"), each accepted end to
 * end: through the mediator to the OpenLMIS sandbox, where each order becomes a requisition
 * carrying its order number. Written for this test from each profile's rules (no guide example
 * copied); the products are this deployment's catalogue (fhir-mappings/products.json), coded the
 * ways the guides code them.
 *
 * Sources:
 * - ChanjoKe (Kenya immunisation IG, IntelliSOFT), StructureDefinition SupplyRequestProfile:
 *   R4 SupplyRequest with the date-of-last-order / expected-date-of-next-order extensions
 *   (https://chanjoke.intellisoftkenya.com/fhir/StructureDefinition/…), identifier, item code,
 *   quantity, deliverTo a Location, requester.
 * - EAHP / IHE PHARM SUPPLY ("Supply of Products for Healthcare", IHESupplyRequest, R5,
 *   transaction PHARM-S1: POST /SupplyRequest): item as a CodeableReference, by concept or by
 *   reference to a contained Medication; deliverFrom the supplying store.
 * - France ANS DMI (implantable medical devices traceability): the item is a device identified by
 *   its UDI-DI (GS1 GTIN), here a contained Device with udiCarrier.deviceIdentifier.
 * - IHE mCSD (ITI-90, facility = Organization + Location paired by managingOrganization):
 *   deliverTo the facility's Organization, with its Location contained.
 */
import t from 'tap';
import { GTIN, ORDER_SYSTEM, gtinOf, startRig, why } from '../../support/openlmis-e2e.js';
import { ORDER_NUMBER_TYPE, PROGRAM_SYSTEM, UNIT_SYSTEM } from '../../../src/fhir/conventions.js';

const CHANJOKE = 'https://chanjoke.intellisoftkenya.com/fhir/StructureDefinition';
const FACILITY_CODE = 'https://facilities.example.org/code';

interface Case {
  source: string;
  version: 'r4' | 'r5';
  order: string;
  body: (facilityId: (code: string) => string) => Record<string, unknown>;
}

const number = (order: string) => [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDER_SYSTEM, value: order }];
const units = (value: number, code = 'dispensing-unit') => ({ value, system: UNIT_SYSTEM, code, unit: code });
const ucum = (value: number, code: string) => ({ value, system: 'http://unitsofmeasure.org', code, unit: code });

/** ChanjoKe SupplyRequestProfile (R4). */
function chanjoke(order: string, facility: string, product: string, qty: Record<string, unknown>, extra = {}) {
  return {
    resourceType: 'SupplyRequest',
    meta: { profile: [`${CHANJOKE}/SupplyRequestProfile`] },
    extension: [
      { url: `${CHANJOKE}/date-of-last-order`, valueDate: '2026-10-01' },
      { url: `${CHANJOKE}/expected-date-of-next-order`, valueDate: '2026-12-01' },
    ],
    identifier: number(order),
    status: 'active',
    priority: 'urgent',
    itemCodeableConcept: { coding: [{ system: GTIN, code: gtinOf(product) }], text: product },
    quantity: qty,
    authoredOn: '2026-11-20T08:00:00+03:00',
    requester: { display: 'Sub-county vaccine store officer' },
    deliverTo: { reference: `Location/${facility}` },
    ...extra,
  };
}

/** IHE SUPPLY IHESupplyRequest (R5), item by concept or by a contained Medication. */
function iheSupply(order: string, facility: string, product: string, qty: number, byReference: boolean, extra = {}) {
  const medication = {
    resourceType: 'Medication',
    id: 'med',
    code: { coding: [{ system: GTIN, code: gtinOf(product) }] },
  };
  return {
    resourceType: 'SupplyRequest',
    meta: { profile: ['http://profiles.ihe.net/PHARM/supply/StructureDefinition/IHESupplyRequest'] },
    ...(byReference ? { contained: [medication] } : {}),
    identifier: number(order),
    status: 'active',
    priority: 'asap',
    item: byReference
      ? { reference: { reference: '#med' } }
      : { concept: { coding: [{ system: GTIN, code: gtinOf(product) }] } },
    quantity: units(qty),
    authoredOn: '2026-11-21T10:30:00Z',
    deliverTo: { reference: `Location/${facility}` },
    ...extra,
  };
}

/** ANS DMI: the implant ordered as a contained Device with its UDI-DI (R4). */
function dmi(order: string, facility: string, product: string, qty: number, extra = {}) {
  return {
    resourceType: 'SupplyRequest',
    contained: [
      {
        resourceType: 'Device',
        id: 'dmi',
        udiCarrier: [{ deviceIdentifier: gtinOf(product), issuer: 'http://hl7.org/fhir/NamingSystem/gs1-di' }],
      },
    ],
    identifier: number(order),
    status: 'active',
    priority: 'stat',
    itemReference: { reference: '#dmi' },
    quantity: units(qty),
    authoredOn: '2026-11-22T14:00:00+01:00',
    deliverTo: { reference: `Location/${facility}` },
    ...extra,
  };
}

/** IHE mCSD: deliverTo the facility's Organization, its Location contained and paired (R4). */
function mcsd(order: string, code: string, product: string, qty: number, orgRef: 'contained' | 'surface') {
  const org = orgRef === 'contained' ? '#org' : `Organization/org-${code}`;
  return {
    resourceType: 'SupplyRequest',
    contained: [
      ...(orgRef === 'contained' ? [{ resourceType: 'Organization', id: 'org', name: `Facility ${code}` }] : []),
      {
        resourceType: 'Location',
        id: 'site',
        identifier: [{ system: FACILITY_CODE, value: code }],
        name: `Site ${code}`,
        type: [
          {
            coding: [
              {
                system: 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types',
                code: 'facility',
              },
            ],
          },
        ],
        managingOrganization: { reference: org },
      },
    ],
    identifier: number(order),
    status: 'active',
    priority: 'urgent',
    itemCodeableConcept: { coding: [{ system: GTIN, code: gtinOf(product) }] },
    quantity: units(qty),
    authoredOn: '2026-11-23T09:00:00Z',
    deliverTo: { reference: org },
  };
}

const cases: Case[] = [
  {
    source: 'ChanjoKe SupplyRequestProfile',
    version: 'r4',
    order: 'CK-1',
    body: (f) => chanjoke('CK-1', f('LK-HC-102'), 'EM-ORS', units(60)),
  },
  {
    source: 'ChanjoKe SupplyRequestProfile (packs)',
    version: 'r4',
    order: 'CK-2',
    body: (f) => chanjoke('CK-2', f('LK-HC-103'), 'EM-AMX250', units(3, 'pack')),
  },
  {
    source: 'ChanjoKe SupplyRequestProfile (UCUM {tablet})',
    version: 'r4',
    order: 'CK-3',
    body: (f) => chanjoke('CK-3', f('LK-DH-201'), 'EM-PCM500', ucum(500, '{tablet}')),
  },
  {
    source: 'ChanjoKe SupplyRequestProfile (program category)',
    version: 'r4',
    order: 'CK-4',
    body: (f) =>
      chanjoke('CK-4', f('LK-HC-104'), 'EM-ZNC20', units(200), {
        category: { coding: [{ system: PROGRAM_SYSTEM, code: 'EM01' }] },
      }),
  },
  {
    source: 'ChanjoKe SupplyRequestProfile (occurrence period)',
    version: 'r4',
    order: 'CK-5',
    body: (f) =>
      chanjoke('CK-5', f('LK-HC-102'), 'EM-CTX480', units(1000), {
        occurrencePeriod: { start: '2026-12-01', end: '2026-12-31' },
      }),
  },
  {
    source: 'IHE SUPPLY IHESupplyRequest, item.concept',
    version: 'r5',
    order: 'IHE-1',
    body: (f) => iheSupply('IHE-1', f('LK-HC-102'), 'EM-AMX250', 300, false),
  },
  {
    source: 'IHE SUPPLY IHESupplyRequest, item.reference → Medication',
    version: 'r5',
    order: 'IHE-2',
    body: (f) => iheSupply('IHE-2', f('LK-HC-103'), 'EM-ORS', 100, true),
  },
  {
    source: 'IHE SUPPLY IHESupplyRequest, deliverFrom the store',
    version: 'r5',
    order: 'IHE-3',
    body: (f) =>
      iheSupply('IHE-3', f('LK-DH-201'), 'EM-ZNC20', 400, false, {
        deliverFrom: { reference: `Location/${f('LK-WH-301')}` },
      }),
  },
  {
    source: 'IHE SUPPLY IHESupplyRequest, reason',
    version: 'r5',
    order: 'IHE-4',
    body: (f) =>
      iheSupply('IHE-4', f('LK-HC-104'), 'EM-PCM500', 2000, true, {
        reason: [{ concept: { text: 'Ward resupply after count' } }],
      }),
  },
  {
    source: 'IHE SUPPLY IHESupplyRequest, requester',
    version: 'r5',
    order: 'IHE-5',
    body: (f) =>
      iheSupply('IHE-5', f('LK-HC-102'), 'EM-CTX480', 500, false, { requester: { display: 'Hospital pharmacy' } }),
  },
  {
    source: 'ANS DMI, Device UDI-DI',
    version: 'r4',
    order: 'DMI-1',
    body: (f) => dmi('DMI-1', f('LK-DH-201'), 'EM-AMX250', 100),
  },
  {
    source: 'ANS DMI, Device UDI-DI (second implant)',
    version: 'r4',
    order: 'DMI-2',
    body: (f) => dmi('DMI-2', f('LK-HC-103'), 'EM-ZNC20', 50),
  },
  {
    source: 'ANS DMI, Device UDI-DI, reasonCode',
    version: 'r4',
    order: 'DMI-3',
    body: (f) =>
      dmi('DMI-3', f('LK-HC-102'), 'EM-PCM500', 1000, { reasonCode: [{ text: 'Bloc opératoire: réassort' }] }),
  },
  {
    source: 'ANS DMI, Device UDI-DI, deliverFrom',
    version: 'r4',
    order: 'DMI-4',
    body: (f) =>
      // the store its supply line names: OpenLMIS would not release it to another (a 422)
      dmi('DMI-4', f('LK-HC-104'), 'EM-ORS', 50, { deliverFrom: { reference: `Location/${f('LK-WH-301')}` } }),
  },
  {
    source: 'ANS DMI, Device UDI-DI, requester',
    version: 'r4',
    order: 'DMI-5',
    body: (f) =>
      dmi('DMI-5', f('LK-DH-201'), 'EM-CTX480', 2000, { requester: { display: 'Pharmacie à usage intérieur' } }),
  },
  {
    source: 'IHE mCSD facility Organization (contained)',
    version: 'r4',
    order: 'MCSD-1',
    body: () => mcsd('MCSD-1', 'LK-HC-102', 'EM-ORS', 150, 'contained'),
  },
  {
    source: 'IHE mCSD facility Organization (on the surface)',
    version: 'r4',
    order: 'MCSD-2',
    body: () => mcsd('MCSD-2', 'LK-HC-103', 'EM-AMX250', 250, 'surface'),
  },
  {
    source: 'IHE mCSD facility Organization (district hospital)',
    version: 'r4',
    order: 'MCSD-3',
    body: () => mcsd('MCSD-3', 'LK-DH-201', 'EM-ZNC20', 100, 'contained'),
  },
  {
    source: 'IHE mCSD facility Organization (town clinic)',
    version: 'r4',
    order: 'MCSD-4',
    body: () => mcsd('MCSD-4', 'LK-HC-104', 'EM-PCM500', 1000, 'surface'),
  },
  {
    source: 'IHE mCSD facility Organization (health post)',
    version: 'r4',
    order: 'MCSD-5',
    body: () => mcsd('MCSD-5', 'LK-HP-401', 'EM-CTX480', 1000, 'contained'),
  },
];

t.test('20 guide payloads, each accepted and in OpenLMIS', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = (code: string) => rig.lmis.seed.facilities[code];
  for (const c of cases) {
    const path = c.version === 'r5' ? '/fhir/R5/SupplyRequest' : '/fhir/SupplyRequest';
    const res = await rig.fhir('POST', path, c.body(facilityId));
    t.ok([201, 202].includes(res.status), `${c.source} (${c.order}): ${res.status} ${why(res)}`);
  }
  const held = new Set(
    rig.lmis.sb.state
      .requisitionsByStatus()
      .map((r: any) => r.extraData?.fhirOrderNumber?.value)
      .filter(Boolean),
  );
  t.same(
    cases.map((c) => c.order).filter((o) => !held.has(o)),
    [],
    'every order is a requisition in OpenLMIS, carrying its number',
  );
});
