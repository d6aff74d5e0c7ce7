import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Issue } from '../../domain/errors.js';
import type { FhirVersion } from '../versions.js';
import {
  INT32_MAX,
  WHOLE_NUMBER_MINIMUM,
  generatedFirstErrorValidatorsPath,
  generatedValidatorsPath,
  writeValidators,
} from '../../../scripts/build-fhir-schemas.js';

const require = createRequire(import.meta.url);
type Validators = Record<string, ValidateFunction>;
let validators: { all: Validators; first: Validators } | undefined;

/** The official-schema validators (all errors, and first error only), generated at build time (or now, if the build step was skipped). */
function loadValidators(): { all: Validators; first: Validators } {
  if (!validators) {
    if (!existsSync(generatedValidatorsPath) || !existsSync(generatedFirstErrorValidatorsPath)) writeValidators();
    validators = {
      all: require(generatedValidatorsPath) as Validators,
      first: require(generatedFirstErrorValidatorsPath) as Validators,
    };
  }
  return validators;
}

/**
 * Bodies with at least this many keys and array items get only the first schema error: listing
 * them all costs time quadratic in their number (scripts/build-fhir-schemas.ts), and a large
 * body with many errors is a hostile or broken one.
 */
export const LARGE_BODY_NODES = 20_000;

function isLarge(value: unknown): boolean {
  let nodes = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    const children = Array.isArray(v) ? v : Object.values(v);
    nodes += children.length;
    if (nodes >= LARGE_BODY_NODES) return true;
    for (const c of children) if (c && typeof c === 'object') stack.push(c);
  }
  return false;
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

function valueAt(resource: unknown, pointer: string): unknown {
  let v: unknown = resource;
  for (const part of pointer.split('/').slice(1))
    v =
      v && typeof v === 'object'
        ? (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')]
        : undefined;
  return v;
}

/** The value at a JSON pointer, shown in diagnostics (cut short: a diagnostic must stay small). */
function shown(resource: unknown, pointer: string): string {
  const text = JSON.stringify(valueAt(resource, pointer)) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A number where a whole-number primitive belongs that is a fraction or out of its range. The
 * FHIR type is named from its definition (`#/definitions/positiveInt/…`) or, where R4's schema
 * repeats it inline, from the element (`valuePositiveInt`).
 */
function wholeNumberIssue(error: ErrorObject, base: string, resource: unknown, what: string): Issue {
  const named =
    /\/definitions\/(integer|positiveInt|unsignedInt)\//.exec(error.schemaPath)?.[1] ??
    /value(Integer|PositiveInt|UnsignedInt)$/.exec(base)?.[1];
  const type = named ? named[0].toLowerCase() + named.slice(1) : undefined;
  const range =
    type && WHOLE_NUMBER_MINIMUM[type] !== undefined
      ? `${type} takes whole numbers from ${WHOLE_NUMBER_MINIMUM[type]} to ${INT32_MAX}`
      : 'its FHIR type takes a whole number';
  return {
    code: 'value',
    diagnostics: `${base} ${shown(resource, error.instancePath)} ${what}: ${range}`,
    expression: [base],
  };
}

/** Issues saying an element has the wrong JSON type (validation/index.ts weighs them against the rules'). */
const wrongTypes = new WeakSet<Issue>();

export function isWrongJsonType(issue: Issue): boolean {
  return wrongTypes.has(issue);
}

function describe(error: ErrorObject, resourceType: string, resource: unknown): Issue {
  const base = pointerToFhirPath(resourceType, error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const prop = (error.params as { additionalProperty: string }).additionalProperty;
      return {
        code: 'structure',
        diagnostics: `Unknown element '${prop}' in ${base}`,
        expression: [`${base}.${prop}`],
      };
    }
    case 'required': {
      const prop = (error.params as { missingProperty: string }).missingProperty;
      return {
        code: 'required',
        diagnostics: `Missing required element '${prop}' in ${base}`,
        expression: [`${base}.${prop}`],
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return {
        code: 'code-invalid',
        diagnostics: `Value ${shown(resource, error.instancePath)} of ${base} is not in the required value set (${allowed.join(', ')})`,
        expression: [base],
      };
    }
    case 'pattern':
      return {
        code: 'value',
        diagnostics: `Invalid value ${shown(resource, error.instancePath)} of ${base}: not in the format its FHIR type requires (no empty or blank strings; a dateTime with a time needs a timezone)`,
        expression: [base],
      };
    case 'minimum':
    case 'maximum':
      return wholeNumberIssue(error, base, resource, 'is out of range');
    case 'type': {
      if (
        (error.params as { type: string }).type === 'integer' &&
        typeof valueAt(resource, error.instancePath) === 'number'
      )
        return wholeNumberIssue(error, base, resource, 'is not a whole number');
      const issue: Issue = {
        code: 'structure',
        diagnostics: `${base} must be ${(error.params as { type: string }).type}`,
        expression: [base],
      };
      wrongTypes.add(issue);
      return issue;
    }
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

/**
 * At most `limit` issues. The first-error validator runs first (linear, and all a valid body
 * needs); only a body that fails it and is not large is validated again for every error.
 */
export function validateAgainstSchema(
  version: FhirVersion,
  resource: { resourceType: string },
  limit = Infinity,
): Issue[] {
  const key = `${version}_${resource.resourceType}`;
  const { all, first } = loadValidators();
  if (!all[key] || !first[key]) {
    return [
      {
        code: 'not-supported',
        diagnostics: `Resource type ${resource.resourceType} is not served on the ${version.toUpperCase()} base`,
        expression: ['resourceType'],
      },
    ];
  }
  const type = resource.resourceType;
  if (first[key](resource)) return [];
  if (isLarge(resource)) {
    const issues = usefulErrors(first[key].errors ?? [])
      .slice(0, 1)
      .map((e) => describe(e, type, resource));
    return [
      ...issues,
      {
        code: 'too-costly',
        diagnostics: `The body has ${LARGE_BODY_NODES} or more elements, so validation stopped at its first error; fix it and send again`,
        expression: ['$this'],
      },
    ];
  }
  const validate = all[key];
  validate(resource);
  return usefulErrors((validate.errors ?? []).slice(0, limit * 4))
    .slice(0, limit)
    .map((e) => describe(e, type, resource));
}
