/**
 * The mapping schemas compiled at build time (generated/mapping-validators.cjs) judge a file as
 * the loader's own compile does, and carry the hash of the text they were built from, so a
 * schema edited after the build is compiled afresh instead of checked by a stale validator.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import t from 'tap';
import {
  buildMappingValidatorsSource,
  generatedMappingValidatorsPath,
  mappingSchemaHash,
} from '../../../scripts/build-fhir-schemas.js';
import { packagePath } from '../../../src/platform/package-root.js';

const dir = packagePath('fhir-mappings');
const schemas = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));

function loadBuilt(source: string): Record<string, ValidateFunction> & { schemaHashes: Record<string, string> } {
  mkdirSync(path.dirname(generatedMappingValidatorsPath), { recursive: true });
  // beside the real one, so the generated code finds ajv's runtime in node_modules
  const tmp = mkdtempSync(path.join(path.dirname(generatedMappingValidatorsPath), 'test-'));
  const file = path.join(tmp, 'mapping-validators.cjs');
  writeFileSync(file, source);
  try {
    return createRequire(import.meta.url)(file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const built = loadBuilt(buildMappingValidatorsSource(dir));

// wrong in several ways at once: the errors (allErrors) must be the same list
const BAD: unknown[] = [{}, [], 'text', { unexpected: true, version: -1 }, { products: [{ code: 7 }], extra: null }];

t.test('every schema is built, tagged with the hash of its text', async (t) => {
  t.ok(schemas.length >= 8, `${schemas.length} schemas`);
  for (const file of schemas) {
    t.equal(typeof built[file], 'function', `${file} has a validator`);
    t.equal(built.schemaHashes[file], mappingSchemaHash(readFileSync(path.join(dir, file), 'utf8')));
  }
});

t.test('a prebuilt validator gives the errors a fresh compile gives', async (t) => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const file of schemas) {
    const fresh = ajv.compile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    for (const doc of BAD) {
      const a = built[file](doc);
      const b = fresh(doc);
      t.equal(a, b, `${file}: same verdict for ${JSON.stringify(doc)}`);
      t.same(built[file].errors ?? null, fresh.errors ?? null, `${file}: same errors for ${JSON.stringify(doc)}`);
    }
  }
});

t.test('an edited schema no longer matches its hash', async (t) => {
  const text = readFileSync(path.join(dir, schemas[0]), 'utf8');
  t.not(mappingSchemaHash(`${text} `), built.schemaHashes[schemas[0]]);
});
