import type { Issue } from '../../domain/errors.js';
import type { FhirVersion } from '../versions.js';
import { requiredBindings, requiredElements, singleElements, type RequiredBinding } from './bindings.js';
import { walkResource, type WalkIssues } from './walk.js';

/**
 * The checks the official schemas miss (reference/fhir.md §3): required code lists, required
 * choice/R5 elements, no empty or null values, a dateTime with a time must carry a zone. The
 * last two come from the one walk over the resource (walk.ts), passed in when already made.
 */
export function validateRules(
  version: FhirVersion,
  resource: Record<string, unknown>,
  walked: Pick<WalkIssues, 'empty' | 'zoneless'> = walkResource(resource, String(resource.resourceType)),
): Issue[] {
  const type = String(resource.resourceType);
  return [
    ...walked.empty,
    ...walked.zoneless,
    ...checkRequiredElements(version, resource, type),
    ...checkBindings(version, resource, type),
    ...checkSingleElements(version, resource, type),
  ];
}

function checkSingleElements(version: FhirVersion, resource: Record<string, unknown>, type: string): Issue[] {
  const rules = singleElements[type];
  if (rules === undefined) return [];
  return rules
    .filter((rule) => applies(rule.versions, version) && Array.isArray(resource[rule.path]))
    .map((rule) => ({
      code: 'structure' as const,
      diagnostics: `${type}.${rule.path} is a single element in FHIR ${version.toUpperCase()}, not an array`,
      expression: [`${type}.${rule.path}`],
    }));
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

/**
 * A top-level code element absent or holding an allowed code (nearly every request): settled
 * without valuesAt, which splits the path and writes each element's FHIRPath before any is needed.
 */
function holdsAllowedCode(resource: Record<string, unknown>, binding: RequiredBinding): boolean {
  if (binding.kind === 'coding' || binding.path.includes('.')) return false;
  const value = resource[binding.path];
  return value === undefined || (typeof value === 'string' && binding.codes.includes(value));
}

function checkBindings(version: FhirVersion, resource: Record<string, unknown>, type: string): Issue[] {
  const issues: Issue[] = [];
  for (const binding of requiredBindings[type] ?? []) {
    if (!applies(binding.versions, version)) continue;
    if (holdsAllowedCode(resource, binding)) continue;
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
