/**
 * The one mapping loader (DESIGN §3 "mappings are data"): every shipped file passes its schema and
 * rules; a bad file is a MappingError (a ConfigError) naming the file, the JSON path and the
 * reason; `mappings.dir` decides where data is read from, schemas stay the package's.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError } from '../../../src/config/load.js';
import { MAPPING_FILES, checkAllMappings } from '../../../src/config/mapping-files.js';
import {
  MappingError,
  activeMapping,
  activeMappingsDir,
  loadMapping,
  mappingsDirOf,
  shippedMappingsDir,
  useMappingsDir,
} from '../../../src/config/mappings.js';
import { PRODUCTS_FILE, loadProductCatalogue } from '../../../src/config/product-catalogue.js';
import { SEED_PRODUCT_CODES } from '../../../sandbox/dhis2/index.js';
import { defaultWeights } from '../../../src/registry/match/weights.js';
import { buildSeed } from '../../../sandbox/openlmis/index.js';
import { buildSeed as buildMsupplySeed } from '../../../sandbox/msupply/index.js';
import { DRUGS as OPENMRS_DRUGS } from '../../../sandbox/openmrs/index.js';

const shipped = shippedMappingsDir();
const catalogueText = readFileSync(path.join(shipped, 'products.json'), 'utf8');

/** A copy of the shipped mapping directory, with `edit` applied to one file's JSON. */
function dirWith(file: string, edit: (doc: any) => unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mappings-'));
  cpSync(shipped, dir, { recursive: true });
  const doc = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  writeFileSync(path.join(dir, file), JSON.stringify(edit(doc) ?? doc));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function thrown(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (err) {
    return err as MappingError;
  }
  throw new Error('expected a MappingError');
}

t.test(
  'every shipped mapping file is valid, and products.json keeps every OpenLMIS code of the sandbox seed',
  async (t) => {
    const results = checkAllMappings(shipped);
    t.same(
      results.map((r) => path.basename(r.file)).sort(),
      MAPPING_FILES.map((d) => d.file).sort(),
      'every listed file checked',
    );
    t.same(
      results.flatMap((r) => r.problems),
      [],
      'no problems',
    );
    const catalogue = loadProductCatalogue(shipped);
    const seed = buildSeed().orderables;
    t.same(catalogue.products.map((p) => p.codes.openlmis).sort(), seed.map((o) => o.productCode).sort());
    for (const o of seed) {
      const p = catalogue.products.find((x) => x.codes.openlmis === o.productCode)!;
      t.equal(p.packSize, o.netContent, `${o.productCode}: pack size is the seed's netContent`);
      t.equal(p.dispensingUnit, o.dispensable.dispensingUnit, `${o.productCode}: dispensing unit is the seed's`);
    }
    const items = buildMsupplySeed().items;
    t.same(
      catalogue.products.flatMap((p) => p.codes.msupply ?? []).sort(),
      items.map((i) => i.code).sort(),
      'mSupply codes are the mSupply sandbox seed items',
    );
    for (const i of items)
      t.equal(
        catalogue.products.find((p) => p.codes.msupply === i.code)!.packSize,
        i.defaultPackSize,
        `${i.code}: pack size is the mSupply seed's`,
      );
    t.same(
      catalogue.products.flatMap((p) => p.codes.dhis2 ?? []).sort(),
      [...SEED_PRODUCT_CODES].sort(),
      'DHIS2 codes are the DHIS2 sandbox seed products',
    );
    t.same(
      catalogue.products.flatMap((p) => p.codes.openmrs ?? []).sort(),
      Object.values(OPENMRS_DRUGS).sort(),
      'OpenMRS codes are the drug uuids of the OpenMRS sandbox stock items',
    );
  },
);

t.test('a bad products.json names the file, the JSON path and the reason', async (t) => {
  const cases: [string, (doc: any) => unknown, string, RegExp][] = [
    [
      'a wrong GTIN check digit',
      (d) => {
        d.products[2].gtin = '10860012300035';
      },
      '/products/2/gtin',
      /10860012300035 has a wrong check digit/,
    ],
    [
      'a pattern the schema refuses',
      (d) => {
        d.products[0].gtin = '12ab';
      },
      '/products/0/gtin',
      /must match pattern/,
    ],
    [
      'an unknown system under codes',
      (d) => {
        d.products[1].codes.sage = 'X';
      },
      '/products/1/codes',
      /must NOT have additional properties \(sage\)/,
    ],
    [
      'a product no system carries',
      (d) => {
        d.products[4].codes = {};
      },
      '/products/4/codes',
      /must NOT have fewer than 1 properties/,
    ],
    [
      'a pack size of zero',
      (d) => {
        d.products[3].packSize = 0;
      },
      '/products/3/packSize',
      /must be >= 1/,
    ],
    [
      'one mSupply code on two products',
      (d) => {
        d.products[0].codes.msupply = 'IT-1';
        d.products[5].codes.msupply = 'IT-1';
      },
      '/products/5',
      /repeats msupply:IT-1 of \/products\/0/,
    ],
    [
      'one OpenLMIS code on two products',
      (d) => {
        d.products[6].codes.openlmis = d.products[1].codes.openlmis;
      },
      '/products/6',
      /repeats openlmis:FP-DMPA of \/products\/1/,
    ],
  ];
  for (const [name, edit, jsonPath, reason] of cases) {
    const dir = dirWith('products.json', edit);
    const err = thrown(() => loadMapping(PRODUCTS_FILE, dir));
    t.type(err, MappingError, name);
    t.type(err, ConfigError, `${name}: a configuration error (start-up prints it without a stack)`);
    t.equal(err.file, path.join(dir, 'products.json'), `${name}: the file`);
    t.equal(err.jsonPath, jsonPath, `${name}: the path`);
    t.match(err.reason, reason, `${name}: the reason`);
    t.equal(err.message, `${err.file}: ${jsonPath} ${err.reason}`);
  }
});

t.test('unreadable and malformed files are MappingErrors at the root', async (t) => {
  const missing = thrown(() => loadMapping(PRODUCTS_FILE, path.join(tmpdir(), 'no-such-mappings-dir')));
  t.type(missing, MappingError);
  t.equal(missing.jsonPath, '/');
  t.match(missing.reason, /cannot be read \(ENOENT\)/);
  const dir = mkdtempSync(path.join(tmpdir(), 'mappings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'products.json'), '{"products": [');
  const malformed = thrown(() => loadMapping(PRODUCTS_FILE, dir));
  t.match(malformed.reason, /^is not JSON: /);
});

t.test('the weights table must cover every feature level, beyond its schema', async (t) => {
  const dir = dirWith('facility-match-weights.json', (d) => {
    delete d.features.name.exact;
  });
  const [weights] = checkAllMappings(dir).filter((r) => r.file.endsWith('facility-match-weights.json'));
  t.same(weights.problems, [{ path: '/features/name/exact', reason: 'is missing' }]);
});

t.test('mappings.dir: relative to the working directory, absolute as given, default the shipped one', async (t) => {
  t.equal(mappingsDirOf({}), shipped);
  t.equal(mappingsDirOf({ 'mappings.dir': './fhir-mappings' }), shipped);
  t.equal(mappingsDirOf({ 'mappings.dir': 'site/maps' }), path.join(process.cwd(), 'site/maps'));
  t.equal(mappingsDirOf({ 'mappings.dir': '/etc/mediator/maps' }), '/etc/mediator/maps');
});

t.test('code without settings at hand reads the active directory, and follows it when it changes', async (t) => {
  t.teardown(() => useMappingsDir(shipped));
  const shippedAuto = defaultWeights().thresholds.auto;
  const dir = dirWith('facility-match-weights.json', (d) => {
    d.thresholds.auto = shippedAuto + 3;
  });
  useMappingsDir(dir);
  t.equal(activeMappingsDir(), dir);
  t.equal(defaultWeights().thresholds.auto, shippedAuto + 3, 'the matcher uses the configured directory');
  const first = activeMapping(PRODUCTS_FILE);
  t.equal(activeMapping(PRODUCTS_FILE), first, 'loaded once per directory');
  useMappingsDir(shipped);
  t.equal(defaultWeights().thresholds.auto, shippedAuto, 'back to the shipped table');
  t.equal(
    JSON.stringify(loadProductCatalogue()),
    JSON.stringify(JSON.parse(catalogueText)),
    'the shipped catalogue, as written',
  );
});
