import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../platform/package-root.js';
import { Ajv } from 'ajv';
import { InvalidInputError } from '../../domain/errors.js';

/** fhir-mappings/ at the repository root, found from this file so it works from src/ and dist/. */
export function mappingsDir(): string {
  // walking up to package.json: a fixed '../../..' lands in dist/ in the compiled build
  return packagePath('fhir-mappings');
}

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * Reads a JSON data table and validates it against the JSON Schema that sits next to it
 * (`<name>.schema.json`). A bad table stops the caller with the file, the path and the reason,
 * so a typo in a mapping never turns into silently different matching.
 */
export function loadValidatedTable<T>(file: string, schemaFile: string): T {
  const data = readJson(file);
  const schema = readJson(schemaFile) as object;
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw new InvalidInputError(
      `${path.basename(file)}: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`,
    );
  }
  return data as T;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidInputError(`${path.basename(file)}: ${(err as Error).message}`);
  }
}
