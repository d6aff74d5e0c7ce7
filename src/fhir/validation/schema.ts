import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Issue } from '../../domain/errors.js';
import type { FhirVersion } from '../versions.js';
import { generatedValidatorsPath, writeValidators } from '../../../scripts/build-fhir-schemas.js';

const require = createRequire(import.meta.url);
let validators: Record<string, ValidateFunction> | undefined;

/** The official-schema validators, generated at build time (or now, if the build step was skipped). */
function loadValidators(): Record<string, ValidateFunction> {
  if (!validators) {
    if (!existsSync(generatedValidatorsPath)) writeValidators();
    validators = require(generatedValidatorsPath) as Record<string, ValidateFunction>;
  }
  return validators;
}

/** `/identifier/0/value` under SupplyRequest → `SupplyRequest.identifier[0].value` (FHIRPath). */
export function pointerToFhirPath(resourceType: string, pointer: string): string {
  let out = resourceType;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

/** The value at a JSON pointer, shown in diagnostics (cut short: a diagnostic must stay small). */
function shown(resource: unknown, pointer: string): string {
  let v: unknown = resource;
  for (const part of pointer.split('/').slice(1)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  const text = JSON.stringify(v) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describe(error: ErrorObject, resourceType: string, resource: unknown): Issue {
  const base = pointerToFhirPath(resourceType, error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const prop = (error.params as { additionalProperty: string }).additionalProperty;
      return { code: 'structure', diagnostics: `Unknown element '${prop}' in ${base}`, expression: [`${base}.${prop}`] };
    }
    case 'required': {
      const prop = (error.params as { missingProperty: string }).missingProperty;
      return { code: 'required', diagnostics: `Missing required element '${prop}' in ${base}`, expression: [`${base}.${prop}`] };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return { code: 'code-invalid', diagnostics: `Value ${shown(resource, error.instancePath)} of ${base} is not in the required value set (${allowed.join(', ')})`, expression: [base] };
    }
    case 'pattern':
      return { code: 'value', diagnostics: `Invalid value ${shown(resource, error.instancePath)} of ${base}: not in the format its FHIR type requires (no empty or blank strings; a dateTime with a time needs a timezone)`, expression: [base] };
    case 'type':
      return { code: 'structure', diagnostics: `${base} must be ${(error.params as { type: string }).type}`, expression: [base] };
    default:
      return { code: 'structure', diagnostics: `${base} ${error.message ?? 'is invalid'}`, expression: [base] };
  }
}

/** Drops the noise ajv emits for oneOf/anyOf branches, and exact duplicates. */
function usefulErrors(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') return false;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** At most `limit` issues: ajv reports every unknown key, and a hostile body can have 150,000. */
export function validateAgainstSchema(version: FhirVersion, resource: { resourceType: string }, limit = Infinity): Issue[] {
  const validate = loadValidators()[`${version}_${resource.resourceType}`];
  if (!validate) {
    return [{ code: 'not-supported', diagnostics: `Resource type ${resource.resourceType} is not served on the ${version.toUpperCase()} base`, expression: ['resourceType'] }];
  }
  const type = resource.resourceType;
  if (validate(resource)) return [];
  return usefulErrors((validate.errors ?? []).slice(0, limit * 4)).slice(0, limit).map((e) => describe(e, type, resource));
}
