import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packagePath } from '../platform/package-root.js';
import { generatedMappingValidatorsPath, mappingSchemaHash } from '../../scripts/build-fhir-schemas.js';
import { ConfigError } from './load.js';

/**
 * The one loader of mapping data (DESIGN §3 "mappings are data"): every file under `mappings.dir`
 * is read here, validated against its JSON Schema and its own rules, and a bad one stops the
 * caller with the file, the JSON path and the reason, so a typo never turns into a wrong product
 * or a different match later. Schemas always come from the package (they are the program's
 * contract); the data comes from `mappings.dir`.
 */
export class MappingError extends ConfigError {
  override name = 'MappingError';
  constructor(
    readonly file: string,
    readonly jsonPath: string,
    readonly reason: string,
  ) {
    super(`${file}: ${jsonPath} ${reason}`);
  }
}

/** A rule the schema cannot say, broken at a JSON path. */
export interface MappingProblem {
  path: string;
  reason: string;
}

/** One kind of mapping file: its name under mappings.dir, its schema, and rules beyond the schema. */
export interface MappingFile<T> {
  file: string;
  schema: string;
  check?: (data: T) => MappingProblem[];
}

/** The package's own mapping directory (what `mappings.dir` defaults to). */
export function shippedMappingsDir(): string {
  return packagePath('fhir-mappings');
}

/** The default `mappings.dir`: names the shipped directory, wherever the mediator was started. */
const SHIPPED_SETTING = './fhir-mappings';

/**
 * `mappings.dir` as an absolute path. The default names the shipped directory whatever the
 * working directory; any other relative one is taken from the working directory, as
 * `--mappings-dir`, DATA_DIR, REGISTRY_FILE and the TLS files are (an operator types them as shell
 * paths; CONFIG_FILE's paths are not relative to the file either). It was taken from the install
 * directory, so `reconcile --mappings-dir ./site` run from a site directory read another place.
 */
export function mappingsDirOf(settings: Record<string, unknown>): string {
  const raw = settings['mappings.dir'];
  if (raw === undefined || raw === '' || raw === SHIPPED_SETTING) return shippedMappingsDir();
  return path.resolve(String(raw));
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

type PrebuiltValidators = Record<string, ValidateFunction> & { schemaHashes?: Record<string, string> };
let prebuilt: PrebuiltValidators | null | undefined;

/** The validators `npm run build:schemas` compiled ahead (none when that step was skipped). */
function prebuiltValidators(): PrebuiltValidators | null {
  if (prebuilt === undefined) {
    try {
      prebuilt = createRequire(import.meta.url)(generatedMappingValidatorsPath) as PrebuiltValidators;
    } catch {
      prebuilt = null;
    }
  }
  return prebuilt;
}

function validatorFor(schemaName: string): ValidateFunction {
  let v = validators.get(schemaName);
  if (!v) {
    const schemaFile = packagePath('fhir-mappings', schemaName);
    const text = readText(schemaFile);
    const ahead = prebuiltValidators();
    // compiled ahead from this very text, else (a schema edited since the build) compiled now
    v =
      ahead?.schemaHashes?.[schemaName] === mappingSchemaHash(text) && typeof ahead[schemaName] === 'function'
        ? ahead[schemaName]
        : (ajv ??= new Ajv({ allErrors: true, strict: false })).compile(parseJson(schemaFile, text) as object);
    validators.set(schemaName, v);
  }
  return v;
}

function readJson(file: string): unknown {
  return parseJson(file, readText(file));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new MappingError(
      file,
      '/',
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MappingError(file, '/', `is not JSON: ${(err as Error).message}`);
  }
}

function schemaProblem(e: ErrorObject): MappingProblem {
  // name the property the schema refused: "must NOT have additional properties" alone does not say which
  const extra = (e.params as { additionalProperty?: string }).additionalProperty;
  return { path: e.instancePath || '/', reason: `${e.message ?? 'is invalid'}${extra ? ` (${extra})` : ''}` };
}

/** Every problem of one data document: schema errors first, then the file's own rules. */
export function problemsOf<T>(def: Pick<MappingFile<T>, 'schema' | 'check'>, data: unknown): MappingProblem[] {
  const validate = validatorFor(def.schema);
  if (!validate(data)) return (validate.errors ?? []).map(schemaProblem);
  return def.check?.(data as T) ?? [];
}

/** Reads and validates any file against a shipped schema (e.g. a `reconcile --mapping` file). */
export function loadMappingFile<T>(file: string, def: Pick<MappingFile<T>, 'schema' | 'check'>): T {
  const data = readJson(file);
  const [first] = problemsOf(def, data);
  if (first) throw new MappingError(file, first.path, first.reason);
  return data as T;
}

/** A mapping file from a directory (default: the active one), validated. */
export function loadMapping<T>(def: MappingFile<T>, dir: string = activeMappingsDir()): T {
  return loadMappingFile(path.join(dir, def.file), def);
}

/** Every problem of a mapping file in a directory, for check-mappings (read errors included). */
export function checkMapping<T>(
  def: MappingFile<T>,
  dir: string,
): { file: string; data?: T; problems: MappingProblem[] } {
  const file = path.join(dir, def.file);
  try {
    const data = readJson(file);
    const problems = problemsOf(def, data);
    return { file, data: problems.length ? undefined : (data as T), problems };
  } catch (err) {
    if (err instanceof MappingError) return { file, problems: [{ path: err.jsonPath, reason: err.reason }] };
    throw err;
  }
}

let activeDir: string | undefined;
const memo = new Map<string, { dir: string; value: unknown }>();

/**
 * Code that runs without the settings at hand (the facility matcher, column inference) reads the
 * directory the process was started with: start-up and the CLI set it from `mappings.dir`.
 */
export function useMappingsDir(dir: string): void {
  activeDir = dir;
}

export function activeMappingsDir(): string {
  return activeDir ?? shippedMappingsDir();
}

/**
 * A mapping file from the active directory, loaded and prepared once per directory: hot paths
 * (a status lookup per facility row) get the prepared value without touching the disk again.
 */
export function activeMapping<T, R = T>(def: MappingFile<T>, prepare: (data: T) => R = (d) => d as unknown as R): R {
  const dir = activeMappingsDir();
  const hit = memo.get(def.file);
  if (hit && hit.dir === dir) return hit.value as R;
  const value = prepare(loadMapping(def, dir));
  memo.set(def.file, { dir, value });
  return value;
}
