/**
 * FHIR's whole-number primitives (integer, positiveInt, unsignedInt: 32-bit, datatypes.html) are
 * JSON numbers in the official schemas, with a `pattern` ajv applies to strings only: a decimal
 * where an integer belongs (valueInteger 1.5), a 0 or -1 where a positiveInt belongs and a value
 * past 2^31 - 1 all passed the edge and were written. Each is now a 400 at the element, saying
 * what the type takes, on both bases.
 */
import t from 'tap';
import { validateResource } from '../../../src/fhir/validation/index.js';
import { inventoryReport, supplyRequest } from '../../support/samples.js';

const withExtension = (ext: Record<string, unknown>, r5 = false) => ({
  ...supplyRequest({ r5 }),
  extension: [{ url: 'http://example.org/fhir/StructureDefinition/app-field', ...ext }],
});

const cases: [string, Record<string, unknown>, RegExp][] = [
  ['valueInteger 1.5', { valueInteger: 1.5 }, /valueInteger 1\.5 is not a whole number.*integer/],
  ['valueInteger 2^31', { valueInteger: 2 ** 31 }, /valueInteger 2147483648 .*integer.*-2147483648 to 2147483647/],
  ['valuePositiveInt 0', { valuePositiveInt: 0 }, /valuePositiveInt 0 .*positiveInt.*1 to 2147483647/],
  ['valuePositiveInt 2.5', { valuePositiveInt: 2.5 }, /valuePositiveInt 2\.5 is not a whole number/],
  ['valueUnsignedInt -1', { valueUnsignedInt: -1 }, /valueUnsignedInt -1 .*unsignedInt.*0 to 2147483647/],
];

for (const version of ['r4', 'r5'] as const) {
  for (const [name, ext, diagnostics] of cases) {
    t.test(`${version}: ${name} is refused at the element`, async (t) => {
      const issues = validateResource(version, withExtension(ext, version === 'r5'), 'SupplyRequest');
      const at = `SupplyRequest.extension[0].${Object.keys(ext)[0]}`;
      t.equal(issues.length, 1, JSON.stringify(issues));
      t.same(issues[0]?.expression, [at]);
      t.match(issues[0]?.diagnostics, diagnostics);
    });
  }
  t.test(`${version}: whole numbers in range pass`, async (t) => {
    for (const ext of [
      { valueInteger: -2147483648 },
      { valueInteger: 0 },
      { valuePositiveInt: 1 },
      { valueUnsignedInt: 0 },
      { valueUnsignedInt: 2147483647 },
    ])
      t.same(validateResource(version, withExtension(ext, version === 'r5'), 'SupplyRequest'), [], JSON.stringify(ext));
  });
}

t.test('r4: a Timing repeat count of 1.5 (positiveInt) is refused', async (t) => {
  const r = {
    ...supplyRequest(),
    occurrenceTiming: { repeat: { count: 1.5, frequency: 1, period: 1, periodUnit: 'd' } },
  };
  const issues = validateResource('r4', r, 'SupplyRequest');
  t.same(
    issues.map((i) => i.expression),
    [['SupplyRequest.occurrenceTiming.repeat.count']],
  );
});

t.test('r5: an InventoryReport extension valueInteger 3.2 is refused', async (t) => {
  const r = { ...inventoryReport(), extension: [{ url: 'http://example.org/x', valueInteger: 3.2 }] };
  const issues = validateResource('r5', r, 'InventoryReport');
  t.same(
    issues.map((i) => i.expression),
    [['InventoryReport.extension[0].valueInteger']],
  );
});
