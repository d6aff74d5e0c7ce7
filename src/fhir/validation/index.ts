import { MediatorError, type Issue } from '../../domain/errors.js';
import type { FhirVersion } from '../versions.js';
import { validateRules } from './rules.js';
import { validateAgainstSchema } from './schema.js';

/** Validate one resource at the edge; returns the issues (empty when valid). */
export function validateResource(version: FhirVersion, resource: unknown, expectedType?: string): Issue[] {
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    return [{ code: 'structure', diagnostics: 'The body must be a JSON object (a FHIR resource)', expression: ['$this'] }];
  }
  const r = resource as Record<string, unknown>;
  if (typeof r.resourceType !== 'string') {
    return [{ code: 'required', diagnostics: 'resourceType is missing', expression: ['resourceType'] }];
  }
  if (expectedType && r.resourceType !== expectedType) {
    return [{ code: 'invalid', diagnostics: `The body is a ${r.resourceType} but the URL is for ${expectedType}`, expression: ['resourceType'] }];
  }
  const schemaIssues = validateAgainstSchema(version, r as { resourceType: string });
  if (schemaIssues.some((i) => i.code === 'not-supported')) return schemaIssues;
  const seen = new Set(schemaIssues.map((i) => `${i.expression?.join()}`));
  const ruleIssues = validateRules(version, r).filter((i) => !seen.has(`${i.expression?.join()}`));
  return [...schemaIssues, ...ruleIssues];
}

/** Throws a 400 OperationOutcome (structure/format) or 422 (business rules) when invalid. */
export function assertValidResource(version: FhirVersion, resource: unknown, expectedType?: string): void {
  const issues = validateResource(version, resource, expectedType);
  if (issues.length === 0) return;
  if (issues.some((i) => i.code === 'not-supported')) throw new MediatorError(404, issues);
  throw new MediatorError(400, issues.map((i) => ({ ...i, severity: 'error' as const })));
}

