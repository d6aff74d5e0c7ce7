/**
 * Items as published guides send them (issue 16): a product named by reference to a contained
 * Medication, Device, InventoryItem (GTIN identifier, raw GS1 DataMatrix scan, productReference)
 * or Substance is read as the codes that resource carries; every coding of a concept is kept, and
 * a system takes the first it maps. A reference that is not contained is a 422 naming it.
 */
import path from 'node:path';
import t from 'tap';
import { gtinFromElementString } from '../../../src/fhir/codecs/item-reference.js';
import { loadProductMap, readProductRows } from '../../../src/systems/openlmis/product/products.js';
import { GTIN_SYSTEM } from '../../../src/domain/gtin.js';
import { fhirJson, testApp } from '../../support/app.js';
import { inventoryReport, supplyRequest } from '../../support/samples.js';

const GTIN = '00614141999996'; // GS1's own example GTIN (valid check digit)
const ATC = 'http://www.whocc.no/atc';

async function post(url: string, body: unknown) {
  const { app, mem } = await testApp();
  const res = await app.inject({ method: 'POST', url, headers: fhirJson, payload: body as object });
  return { res, mem };
}

const r4ByReference = (contained: object[], ref = '#item') => {
  const r = supplyRequest();
  delete r.itemCodeableConcept;
  return { ...r, ...(contained.length ? { contained } : {}), itemReference: { reference: ref } };
};

t.test('R4 SupplyRequest.itemReference to a contained Medication: its codes, all of them', async (t) => {
  const { res, mem } = await post(
    '/fhir/SupplyRequest',
    r4ByReference([
      {
        resourceType: 'Medication',
        id: 'item',
        code: {
          coding: [
            { system: ATC, code: 'J01CA04' },
            { system: GTIN_SYSTEM, code: GTIN, display: 'Amoxicillin 250mg' },
          ],
        },
      },
    ]),
  );
  t.equal(res.statusCode, 201, res.body);
  const [order] = mem.flows.orders.items.values();
  t.same(order.lines[0].product, {
    system: ATC,
    code: 'J01CA04',
    display: 'Amoxicillin 250mg',
    alternatives: [{ system: GTIN_SYSTEM, code: GTIN }],
  });
});

t.test('R5 SupplyRequest.item.reference to an InventoryItem with a scanned DataMatrix', async (t) => {
  const r = supplyRequest({ r5: true });
  delete r.item.concept;
  r.item.reference = { reference: '#scan' };
  r.contained = [
    {
      resourceType: 'InventoryItem',
      id: 'scan',
      status: 'active',
      instance: { identifier: [{ value: `]d201${GTIN}17270331` + '10LOT42' }] },
    },
  ];
  const { res, mem } = await post('/fhir/R5/SupplyRequest', r);
  t.equal(res.statusCode, 201, res.body);
  const [order] = mem.flows.orders.items.values();
  t.same(order.lines[0].product, { system: GTIN_SYSTEM, code: GTIN });
});

t.test('R5 InventoryReport item.reference to an InventoryItem whose product is a contained Medication', async (t) => {
  const r = inventoryReport();
  r.inventoryListing[0].item[0].item = { reference: { reference: '#ii' } };
  r.contained = [
    { resourceType: 'InventoryItem', id: 'ii', status: 'active', productReference: { reference: '#med' } },
    { resourceType: 'Medication', id: 'med', identifier: [{ system: GTIN_SYSTEM, value: GTIN }] },
  ];
  const { res, mem } = await post('/fhir/R5/InventoryReport', r);
  t.equal(res.statusCode, 201, res.body);
  const [report] = mem.flows.stock.items.values();
  t.same(report.lines[0].product, { system: GTIN_SYSTEM, code: GTIN });
});

t.test('a Device by its GS1 UDI device identifier', async (t) => {
  const { res, mem } = await post(
    '/fhir/SupplyRequest',
    r4ByReference([
      {
        resourceType: 'Device',
        id: 'item',
        udiCarrier: [
          {
            deviceIdentifier: GTIN,
            issuer: 'http://hl7.org/fhir/NamingSystem/gs1-di',
            carrierHRF: `(01)${GTIN}(17)270331`,
          },
        ],
      },
    ]),
  );
  t.equal(res.statusCode, 201, res.body);
  const [order] = mem.flows.orders.items.values();
  t.equal(order.lines[0].product.code, GTIN);
});

t.test('references that cannot name a product are 422s naming the reference, and write nothing', async (t) => {
  const cases: [string, object, RegExp][] = [
    ['not contained', r4ByReference([], 'Medication/123'), /must be contained/],
    [
      'no such contained resource',
      r4ByReference([
        { resourceType: 'Medication', id: 'other', code: { coding: [{ system: ATC, code: 'J01CA04' }] } },
      ]),
      /names no contained resource/,
    ],
    [
      'a contained Medication without codes',
      r4ByReference([{ resourceType: 'Medication', id: 'item', code: { text: 'amoxicillin' } }]),
      /carries no product code/,
    ],
  ];
  for (const [name, body, diagnostics] of cases) {
    const { res, mem } = await post('/fhir/SupplyRequest', body);
    t.equal(res.statusCode, 422, `${name}: ${res.body}`);
    t.match(res.json().issue[0], { diagnostics, expression: ['SupplyRequest.itemReference.reference'] }, name);
    t.equal(mem.flows.orders.writes, 0, `${name}: nothing written`);
  }
  const r = supplyRequest();
  delete r.itemCodeableConcept;
  const { res } = await post('/fhir/SupplyRequest', r);
  t.equal(res.statusCode, 400, `no item at all is refused by the schema: ${res.body}`);
  t.match(res.json().issue[0].expression, ['SupplyRequest.itemCodeableConcept']);
});

t.test('GS1 element strings: scanned, human-readable, or not a GTIN', async (t) => {
  t.equal(gtinFromElementString(`]d201${GTIN}10ABC`), GTIN);
  t.equal(gtinFromElementString(`${String.fromCharCode(29)}01${GTIN}`), GTIN);
  t.equal(gtinFromElementString(`(01)${GTIN}(10)ABC`), GTIN);
  t.equal(gtinFromElementString(`17270331(01)${GTIN}`), undefined, 'AI 01 must come first');
  t.equal(gtinFromElementString('LOT-42'), undefined);
});

t.test('OpenLMIS takes the first of the codes it maps', async (t) => {
  const map = loadProductMap();
  const row = readProductRows(path.resolve('fhir-mappings/products.json')).find((r) => r.productCode === 'FP-LNG30')!;
  t.equal(
    map.toProductCode(
      {
        system: ATC,
        code: 'G03AA07',
        alternatives: [
          { system: GTIN_SYSTEM, code: '00000000000017' },
          { system: GTIN_SYSTEM, code: row.gtin! },
        ],
      },
      'x',
    ),
    'FP-LNG30',
  );
  t.throws(
    () =>
      map.toProductCode(
        { system: ATC, code: 'G03AA07', alternatives: [{ system: GTIN_SYSTEM, code: '00000000000017' }] },
        'x',
      ),
    /is not in products\.json/,
  );
});
