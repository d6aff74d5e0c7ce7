/**
 * `cli check-mappings` and the start-up check, as an operator runs them: separate processes over
 * the shipped mapping directory and over copies of it (MAPPINGS_DIR, --dir).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const shipped = path.join(root, 'fhir-mappings');
const products = JSON.parse(readFileSync(path.join(shipped, 'products.json'), 'utf8'));
/** Products without an Open mSupply item code (the mSupply sandbox seed carries only some). */
const noMsupply = products.products.filter((p: { codes: { msupply?: string } }) => !p.codes.msupply).length;
/** Products without an OpenMRS drug uuid (the OpenMRS sandbox stocks some only). */
const noOpenmrs = products.products.filter((p: { codes: { openmrs?: string } }) => !p.codes.openmrs).length;
/** Products without a DHIS2 code (the DHIS2 sandbox seed reports stock for some only). */
const noDhis2 = products.products.filter((p: { codes: { dhis2?: string } }) => !p.codes.dhis2).length;

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // a clean environment for the settings: only what the test says
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, ...args], { env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function copyWith(edit: (catalogue: any) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'check-mappings-'));
  cpSync(shipped, dir, { recursive: true });
  const doc = structuredClone(products);
  edit(doc);
  writeFileSync(path.join(dir, 'products.json'), JSON.stringify(doc, null, 2));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `cli serve` over a mapping directory, on a throw-away data directory (it is expected to refuse). */
async function serveWith(mappingsDir: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'check-mappings-data-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  return cli(['serve'], {
    MAPPINGS_DIR: mappingsDir,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    AUTH_MODE: 'off',
    LOG_LEVEL: 'silent',
  });
}

t.test('the shipped mappings: all valid, and what each system still lacks', async (t) => {
  const res = await cli(['check-mappings']);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, `mapping directory: ${shipped}\n`);
  for (const f of [
    'products.json',
    'facility-columns.json',
    'facility-name-vocabulary.json',
    'facility-match-weights.json',
  ])
    t.match(res.stdout, `${f}: valid\n`);
  t.match(res.stdout, '  openlmis: every product has its OpenLMIS orderable productCode\n');
  t.match(res.stdout, `  msupply: ${noMsupply} with no Open mSupply item code\n`);
  t.match(res.stdout, `  dhis2: ${noDhis2} with no DHIS2 data element/item code\n`);
  t.match(res.stdout, `  openmrs: ${noOpenmrs} with no OpenMRS drug uuid\n`);
  t.match(res.stdout, '    - Male condom (gtin 10860012300034)\n', 'each missing product is named');
});

t.test('MAPPINGS_DIR is the directory checked; codes added there are no longer missing', async (t) => {
  const dir = copyWith((c) => {
    c.products[0].codes.msupply = 'MS-LNG30';
    c.products[1].codes.openmrs = '5a1c4e3b-7d7f-4c41-9a0a-0b2c3d4e5f60';
    delete c.products[2].codes.openlmis;
    c.products[9].codes.dhis2 = 'IMM_BCG20';
  });
  const res = await cli(['check-mappings', '--json'], { MAPPINGS_DIR: dir });
  t.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout);
  t.equal(report.dir, dir);
  t.same(Object.fromEntries(Object.entries(report.missing).map(([s, names]) => [s, (names as string[]).length])), {
    openlmis: 1,
    msupply: noMsupply - 1,
    dhis2: noDhis2 - 1,
    openmrs: noOpenmrs - 1,
  });
  t.same(report.missing.openlmis, ['Male condom (gtin 10860012300034)']);
});

t.test('an invalid file: exit 1 with the file, the path and the reason; serve refuses to start', async (t) => {
  const dir = copyWith((c) => {
    c.products[0].gtin = '10860012300011';
    c.products[1].codes.sage = 'X';
  });
  const check = await cli(['check-mappings', '--dir', dir]);
  t.equal(check.code, 1, 'exit code 1');
  t.match(check.stdout, 'products.json: INVALID\n');
  t.match(
    check.stdout,
    '  /products/1/codes must NOT have additional properties (sage)\n',
    'every schema problem is listed',
  );
  t.notMatch(check.stdout, 'products without a code', 'no per-system list from an invalid catalogue');
  t.match(check.stdout, 'facility-columns.json: valid\n', 'the other files are still checked');

  const digit = copyWith((c) => {
    c.products[0].gtin = '10860012300011';
  });
  const checkDigit = await cli(['check-mappings', '--dir', digit]);
  t.equal(checkDigit.code, 1);
  t.match(checkDigit.stdout, '  /products/0/gtin 10860012300011 has a wrong check digit\n');

  const serve = await serveWith(digit);
  t.equal(serve.code, 1, 'serve exits 1');
  t.equal(
    serve.stderr.trim(),
    `configuration error: ${path.join(digit, 'products.json')}: /products/0/gtin 10860012300011 has a wrong check digit`,
  );
});

t.test('routing.json naming a system no connector serves: check-mappings and serve refuse it', async (t) => {
  const dir = copyWith(() => undefined);
  const routingFile = path.join(dir, 'routing.json');
  const routing = JSON.parse(readFileSync(routingFile, 'utf8'));
  routing.flows.orders.default = 'openlmiss';
  routing.flows.facilities.secondary = [{ system: 'dhis2' }, { system: 'open-mrs' }];
  writeFileSync(routingFile, JSON.stringify(routing, null, 2));

  const check = await cli(['check-mappings', '--dir', dir]);
  t.equal(check.code, 1, 'exit code 1');
  t.match(check.stdout, 'routing.json: INVALID\n');
  t.match(check.stdout, '  /flows/orders/default names the system "openlmiss", which no connector serves');
  t.match(check.stdout, '  /flows/facilities/secondary/1/system names the system "open-mrs"', 'every one is listed');
  t.match(check.stdout, 'products.json: valid\n', 'the other files are still checked');

  const serve = await serveWith(dir);
  t.equal(serve.code, 1, 'serve exits 1');
  t.match(
    serve.stderr.trim(),
    `configuration error: ${routingFile}: /flows/orders/default names the system "openlmiss", which no connector serves (openlmis, msupply, dhis2, openmrs)`,
  );
});
