import type { Issue } from '../../domain/errors.js';
import type { FhirVersion } from '../versions.js';
import { requiredBindings, requiredElements, singleElements } from './bindings.js';

/**
 * The checks the official schemas miss (reference/fhir.md §3): required code lists, required
 * choice/R5 elements, no empty or null values, a dateTime with a time must carry a zone.
 */
export function validateRules(version: FhirVersion, resource: Record<string, unknown>): Issue[] {
  const type = String(resource.resourceType);
  const [empty, zoneless] = checkValues(resource, type);
  return [
    ...empty,
    ...zoneless,
    ...checkRequiredElements(version, resource, type),
    ...checkBindings(version, resource, type),
    ...checkSingleElements(version, resource, type),
  ];
}

function checkSingleElements(version: FhirVersion, resource: Record<string, unknown>, type: string): Issue[] {
  return (singleElements[type] ?? [])
    .filter((rule) => applies(rule.versions, version) && Array.isArray(resource[rule.path]))
    .map((rule) => ({
      code: 'structure' as const,
      diagnostics: `${type}.${rule.path} is a single element in FHIR ${version.toUpperCase()}, not an array`,
      expression: [`${type}.${rule.path}`],
    }));
}

function walk(value: unknown, path: string, visit: (value: unknown, path: string) => void): void {
  visit(value, path);
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) walk(value[i], `${path}[${i}]`, visit);
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) walk(record[k], `${path}.${k}`, visit);
  }
}

/** Empty values and dateTimes without a zone, in one walk: [empty-value issues, zone issues]. */
function checkValues(resource: unknown, type: string): [Issue[], Issue[]] {
  const issues: Issue[] = [];
  const zoneless: Issue[] = [];
  walk(resource, type, (value, path) => {
    checkDateTimeZone(value, path, zoneless);
    if (value === null)
      issues.push({
        code: 'structure',
        diagnostics: `${path} is null; FHIR JSON omits absent elements instead`,
        expression: [path],
      });
    else if (value === '' || (typeof value === 'string' && value.trim() === ''))
      issues.push({
        code: 'value',
        diagnostics: `${path} is an empty string; FHIR does not allow empty values`,
        expression: [path],
      });
    else if (Array.isArray(value) && value.length === 0)
      issues.push({
        code: 'structure',
        diagnostics: `${path} is an empty array; omit the element instead`,
        expression: [path],
      });
    else if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
      issues.push({
        code: 'structure',
        diagnostics: `${path} is an empty object; omit the element instead`,
        expression: [path],
      });
  });
  return [issues, zoneless];
}

const dateTimeWithoutZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function checkDateTimeZone(value: unknown, path: string, issues: Issue[]): void {
  if (typeof value === 'string' && dateTimeWithoutZone.test(value)) {
    issues.push({
      code: 'value',
      diagnostics: `${path} has a time but no timezone ('${value}'); add Z or an offset such as +03:00`,
      expression: [path],
    });
  }
}

function applies(versions: FhirVersion[] | undefined, version: FhirVersion): boolean {
  return !versions || versions.includes(version);
}

function checkRequiredElements(version: FhirVersion, resource: Record<string, unknown>, type: string): Issue[] {
  const issues: Issue[] = [];
  for (const rule of requiredElements[type] ?? []) {
    if (!applies(rule.versions, version)) continue;
    const parents = rule.parent ? valuesAt(resource, rule.parent, type) : [{ value: resource, path: type }];
    for (const parent of parents) {
      const el = (parent.value ?? {}) as Record<string, unknown>;
      for (const alternatives of rule.paths) {
        if (!alternatives.some((p) => el[p] !== undefined)) {
          const shown = alternatives.length > 1 ? alternatives.join(' or ') : alternatives[0];
          issues.push({
            code: 'required',
            diagnostics: `${parent.path}.${shown} is required (minimum cardinality 1)`,
            expression: alternatives.map((p) => `${parent.path}.${p}`),
          });
        }
      }
    }
  }
  return issues;
}

/** Values at a dotted path, with arrays flattened, each with its FHIRPath. */
function valuesAt(root: unknown, path: string, base: string): { value: unknown; path: string }[] {
  let current: { value: unknown; path: string }[] = [{ value: root, path: base }];
  for (const key of path.split('.')) {
    const next: { value: unknown; path: string }[] = [];
    for (const { value, path: p } of current) {
      if (!value || typeof value !== 'object') continue;
      const child = (value as Record<string, unknown>)[key];
      if (Array.isArray(child)) child.forEach((c, i) => next.push({ value: c, path: `${p}.${key}[${i}]` }));
      else if (child !== undefined) next.push({ value: child, path: `${p}.${key}` });
    }
    current = next;
  }
  return current;
}

function checkBindings(version: FhirVersion, resource: Record<string, unknown>, type: string): Issue[] {
  const issues: Issue[] = [];
  for (const binding of requiredBindings[type] ?? []) {
    if (!applies(binding.versions, version)) continue;
    for (const { value, path } of valuesAt(resource, binding.path, type)) {
      if (binding.kind === 'coding') {
        const codings = (value as { coding?: { system?: string; code?: string }[] }).coding ?? [];
        codings.forEach((c, i) => {
          if (c.system === binding.system && c.code !== undefined && !binding.codes.includes(c.code)) {
            issues.push({
              code: 'code-invalid',
              diagnostics: `${path}.coding[${i}].code '${c.code}' is not in the required value set (${binding.codes.join(', ')})`,
              expression: [`${path}.coding[${i}].code`],
            });
          }
        });
      } else if (typeof value === 'string' && !binding.codes.includes(value)) {
        issues.push({
          code: 'code-invalid',
          diagnostics: `${path} '${value}' is not in the required value set (${binding.codes.join(', ')})`,
          expression: [path],
        });
      }
    }
  }
  return issues;
}
