import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { formatReport, mappingsReport } from '../../../../src/cli/check-mappings.js';
import { MAPPING_FILES, assertMappings } from '../../../../src/config/mapping-files.js';
import { DHIS2_INDICATORS_FILE } from '../../../../src/systems/dhis2/products.js';

/**
 * fhir-mappings/dhis2-indicators.json is one of the checked mapping files (issue 11 leftover 3):
 * start-up and `check-mappings` validate it against its schema and its own rules, like the
 * others, naming the file, the JSON path and the reason.
 */
const shipped = path.resolve('fhir-mappings');

function copyWith(t: Test, edit: (doc: any) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dhis2-indicators-'));
  cpSync(shipped, dir, { recursive: true });
  const file = path.join(dir, 'dhis2-indicators.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const problemsIn = (dir: string) => mappingsReport(dir).files.find((f) => f.file === 'dhis2-indicators.json')!.problems;

t.test('listed among the mapping files; the shipped one is valid', async (t) => {
  t.ok(MAPPING_FILES.includes(DHIS2_INDICATORS_FILE as never));
  const report = mappingsReport(shipped);
  t.same(
    report.files.find((f) => f.file === 'dhis2-indicators.json'),
    { file: 'dhis2-indicators.json', valid: true, problems: [] },
  );
  t.match(formatReport(report), 'dhis2-indicators.json: valid\n');
});

t.test('schema problems and the rules beyond it, each at its JSON path', async (t) => {
  const schema = copyWith(t, (doc) => {
    doc.measures.stockOnHnd = { dataElement: '{product}_SOH2' };
    doc.products = { FP_CNDM: { consumption: {} } };
  });
  t.same(
    problemsIn(schema)
      .map((p) => p.path)
      .sort(),
    ['/measures', '/measures', '/products/FP_CNDM/consumption'].sort(),
    'an unknown measure name, a target without its data element',
  );
  t.match(
    problemsIn(schema).find((p) => p.path === '/products/FP_CNDM/consumption')!.reason,
    /must have required property 'dataElement'/,
  );

  const rules = copyWith(t, (doc) => {
    doc.measures.adjustments.reasons = ['expired', 'Received'];
    doc.measures.monthsOfStock.dataElement = '{product}_SOD';
    doc.products = {
      FP_CNDM: {
        stockOnHand: { dataElement: 'FP_SOH' },
        consumption: { dataElement: 'FP_SOH' },
        quantityReceived: { dataElement: 'FP_SOH', categoryOptionCombo: 'FP_CNDM' },
      },
    };
  });
  t.same(problemsIn(rules), [
    {
      path: '/measures/adjustments/reasons/1',
      reason: "reason 'Received' is also listed under quantityReceived: a difference line would count under both",
    },
    {
      path: '/measures/monthsOfStock/dataElement',
      reason: '{product}_SOD is also where stockOutDays goes: the two measures would overwrite each other',
    },
    {
      path: '/products/FP_CNDM/consumption/dataElement',
      reason: 'FP_SOH is also where stockOnHand goes: the two measures would overwrite each other',
    },
  ]);
  t.throws(
    () => assertMappings(rules),
    {
      name: 'MappingError',
      message: `${path.join(rules, 'dhis2-indicators.json')}: /measures/adjustments/reasons/1 reason 'Received' is also listed under quantityReceived: a difference line would count under both`,
    },
    'start-up refuses it with the file, the path and the reason',
  );
});

t.test('cli check-mappings: exit 1 naming the file and path', async (t) => {
  const dir = copyWith(t, (doc) => {
    doc.categoryOptionCombo = 'not-a-uid';
  });
  const run = promisify(execFile);
  const res = await run(path.resolve('node_modules/.bin/tsx'), ['src/cli/index.ts', 'check-mappings', '--dir', dir], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  t.equal(res.code, 1);
  t.match(res.stdout, 'dhis2-indicators.json: INVALID\n  /categoryOptionCombo must match pattern');
  t.match(res.stdout, 'products.json: valid\n', 'the others are still checked');
});
