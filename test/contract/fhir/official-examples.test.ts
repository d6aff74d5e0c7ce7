import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { testApp, fhirJson } from '../../support/app.js';

const require = createRequire(import.meta.url);
const TYPES = /^(Location|SupplyRequest|SupplyDelivery|InventoryReport)-.*\.json$/;

function examplesIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => TYPES.test(f))
        .map((f) => path.join(dir, f))
    : [];
}

const npmR4 = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const npmR5 = path.dirname(require.resolve('hl7.fhir.r5.examples/package.json'));
const shared = process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../../shared');

/** Every official example of the four resources is accepted by the edge validation of its own base. */
t.test('official examples are accepted on the right base', async (t) => {
  const { app } = await testApp();
  const sets: [string, string[]][] = [
    ['/fhir', examplesIn(npmR4)],
    ['/fhir/R5', examplesIn(npmR5)],
  ];
  const fixtures = path.join(shared, 'fixtures/fhir/examples');
  if (existsSync(fixtures))
    sets.push(['/fhir', examplesIn(path.join(fixtures, 'r4'))], ['/fhir/R5', examplesIn(path.join(fixtures, 'r5'))]);
  else t.comment(`../shared/fixtures/fhir not found: checked the npm example packages only`);
  let total = 0;
  for (const [base, files] of sets) {
    t.ok(files.length > 0, `${base}: examples found`);
    for (const file of files) {
      const resource = JSON.parse(readFileSync(file, 'utf8'));
      const res = await app.inject({
        method: 'POST',
        url: `${base}/${resource.resourceType}/$validate`,
        headers: fhirJson,
        payload: JSON.stringify(resource),
      });
      t.equal(
        res.statusCode,
        200,
        `${base} ${path.basename(file)}: ${res.statusCode === 200 ? 'valid' : res.body.slice(0, 400)}`,
      );
      total++;
    }
  }
  t.ok(total >= 20, `${total} examples checked`);
});

t.test('an R5 example is refused on the R4 base with the FHIRPath of the R5-only element', async (t) => {
  const { app } = await testApp();
  const r5 = JSON.parse(readFileSync(path.join(npmR5, 'SupplyRequest-simpleorder.json'), 'utf8'));
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest/$validate',
    headers: fhirJson,
    payload: JSON.stringify(r5),
  });
  t.equal(res.statusCode, 400);
  t.ok(res.json().issue.some((i: any) => (i.expression ?? []).includes('SupplyRequest.item')));
});
