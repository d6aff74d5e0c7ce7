import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import { GTIN_SYSTEM, PRODUCT_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { isValidGtin } from '../../../../src/systems/openlmis/product/gtin.js';
import { ProductMapError, loadProductMap, readProductRows } from '../../../../src/systems/openlmis/product/products.js';
import { buildSeed } from '../../../../sandbox/openlmis/index.js';

const NATIONAL = 'https://moh.lakeland.example/CodeSystem/products';
const tmp = mkdtempSync(path.join(tmpdir(), 'lmis-products-'));
const writeMap = (name: string, doc: unknown) => {
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
};

t.test('the shipped map covers every sandbox orderable with valid GTINs', async (t) => {
  const rows = readProductRows(path.resolve('fhir-mappings/products.json'));
  const seeded = buildSeed()
    .orderables.map((o) => o.productCode)
    .sort();
  t.same(rows.map((r) => r.productCode).sort(), seeded);
  t.ok(
    rows.every((r) => r.gtin && isValidGtin(r.gtin)),
    'every GTIN has a correct check digit',
  );
});

t.test('GTIN ↔ productCode both ways; GTIN-13 and GTIN-14 spellings match', async (t) => {
  const map = loadProductMap();
  const row = readProductRows(path.resolve('fhir-mappings/products.json')).find((r) => r.productCode === 'FP-LNG30')!;
  t.equal(map.toProductCode({ system: GTIN_SYSTEM, code: row.gtin! }, 'x'), 'FP-LNG30');
  t.equal(map.toProductCode({ system: GTIN_SYSTEM, code: `00${row.gtin!}`.slice(-14) }, 'x'), 'FP-LNG30');
  t.same(map.toProduct('FP-LNG30'), { system: GTIN_SYSTEM, code: row.gtin, display: row.display });
  t.same(
    map.toProduct('NOT-MAPPED', 'Thing'),
    { system: PRODUCT_CODE_SYSTEM, code: 'NOT-MAPPED', display: 'Thing' },
    'unmapped orderable keeps its OpenLMIS code',
  );
  t.equal(
    map.toProductCode({ system: PRODUCT_CODE_SYSTEM, code: 'NOT-MAPPED' }, 'x'),
    'NOT-MAPPED',
    'our own code system passes through',
  );
});

t.test('an unmapped FHIR product is a 422 naming the code and the element', async (t) => {
  const map = loadProductMap();
  const err = (() => {
    try {
      map.toProductCode({ system: GTIN_SYSTEM, code: '00000000000017' }, 'SupplyRequest.itemCodeableConcept');
    } catch (e) {
      return e;
    }
  })() as BusinessRuleError;
  t.type(err, BusinessRuleError);
  t.equal(err.status, 422);
  t.equal(
    err.message,
    'product https://www.gs1.org/gtin|00000000000017 is not in products.json: no row carries that code (add the product, with codes.openlmis)',
    'not in the catalogue at all: not "has no code", which sends the operator looking for a row',
  );
  t.same(err.issues[0].expression, ['SupplyRequest.itemCodeableConcept']);
  t.throws(
    () => map.toProductCode({ system: 'http://example.org/other', code: '1' }, 'x'),
    BusinessRuleError,
    'an unknown code system is unmapped too',
  );
});

t.test('a product the catalogue lists without codes.openlmis: the 422 names it and the missing code', async (t) => {
  const file = writeMap('no-openlmis.json', {
    products: [
      { codes: { openlmis: 'A' }, gtin: '10860012300010' },
      { codes: { msupply: 'B' }, gtin: '10860012300027', national: 'LK-2', display: 'Injectable' },
    ],
  });
  const map = loadProductMap(file, { nationalProductCodeSystem: NATIONAL });
  for (const product of [
    { system: GTIN_SYSTEM, code: '10860012300027' },
    { system: NATIONAL, code: 'LK-2' },
  ]) {
    const err = (() => {
      try {
        map.toProductCode(product, 'SupplyRequest.itemCodeableConcept');
      } catch (e) {
        return e;
      }
    })() as BusinessRuleError;
    t.type(err, BusinessRuleError);
    t.equal(
      err.message,
      `product ${product.system}|${product.code} (Injectable) has no OpenLMIS orderable productCode in products.json (codes.openlmis)`,
    );
    t.same(err.issues[0].expression, ['SupplyRequest.itemCodeableConcept']);
  }
});

t.test('mapping.productCodeSystem=national writes the national code', async (t) => {
  const map = loadProductMap(undefined, { productCodeSystem: 'national', nationalProductCodeSystem: NATIONAL });
  const row = readProductRows(path.resolve('fhir-mappings/products.json')).find((r) => r.productCode === 'EM-ORS')!;
  t.same(map.toProduct('EM-ORS'), { system: NATIONAL, code: row.national, display: row.display });
  t.equal(map.toProductCode({ system: NATIONAL, code: row.national! }, 'x'), 'EM-ORS');
  t.equal(
    map.toProductCode({ system: GTIN_SYSTEM, code: row.gtin! }, 'x'),
    'EM-ORS',
    'GTINs are still understood on input',
  );
  t.throws(
    () => loadProductMap(undefined, { productCodeSystem: 'national' }),
    ProductMapError,
    'national needs its system URI',
  );
});

t.test('a bad map file stops loading with the file, the path and the reason', async (t) => {
  const badDigit = writeMap('bad-digit.json', { products: [{ codes: { openlmis: 'A' }, gtin: '10860012300011' }] });
  t.throws(() => loadProductMap(badDigit), {
    message: /bad-digit\.json: \/products\/0\/gtin 10860012300011 has a wrong check digit/,
  });
  const badShape = writeMap('bad-shape.json', { products: [{ codes: { openlmis: 'A' }, gtin: '12ab' }] });
  t.throws(() => loadProductMap(badShape), { message: /bad-shape\.json: \/products\/0\/gtin must match pattern/ });
  const duplicate = writeMap('dup.json', {
    products: [
      { codes: { openlmis: 'A' }, gtin: '10860012300010' },
      { codes: { openlmis: 'B' }, gtin: '10860012300010' },
    ],
  });
  t.throws(() => loadProductMap(duplicate), {
    message: /dup\.json: \/products\/1 repeats gtin:10860012300010 of \/products\/0/,
  });
  t.throws(() => loadProductMap(path.join(tmp, 'missing.json')), ProductMapError);
});
