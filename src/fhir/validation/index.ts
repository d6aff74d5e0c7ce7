import { MediatorError, type Issue } from '../../domain/errors.js';
import { MAX_LISTED_ISSUES } from '../outcome.js';
import type { FhirVersion } from '../versions.js';
import { validateRules } from './rules.js';
import { isWrongJsonType, validateAgainstSchema } from './schema.js';
import type { SemanticOptions } from './semantics.js';
import { walkResource } from './walk.js';

export type ValidateOptions = Pick<SemanticOptions, 'baseUrl' | 'otherBaseUrls' | 'servedTypes'>;

/** The issue a body of an unserved resource type gives: a 404 rather than a 400. */
function isUnservedType(i: Issue): boolean {
  return i.code === 'not-supported' && i.expression?.length === 1 && i.expression[0] === 'resourceType';
}

/**
 * Validate one resource at the edge; returns the issues (empty when valid). At most
 * MAX_LISTED_ISSUES + 1 are returned: past that the answer only says there are more, so a body
 * with 150,000 unknown keys costs little more than one with 101.
 */
export function validateResource(
  version: FhirVersion,
  resource: unknown,
  expectedType?: string,
  opts: ValidateOptions = {},
): Issue[] {
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    return [
      { code: 'structure', diagnostics: 'The body must be a JSON object (a FHIR resource)', expression: ['$this'] },
    ];
  }
  const r = resource as Record<string, unknown>;
  if (typeof r.resourceType !== 'string') {
    return [{ code: 'required', diagnostics: 'resourceType is missing', expression: ['resourceType'] }];
  }
  if (expectedType && r.resourceType !== expectedType) {
    return [
      {
        code: 'invalid',
        diagnostics: `The body is a ${r.resourceType} but the URL is for ${expectedType}`,
        expression: ['resourceType'],
      },
    ];
  }
  const limit = MAX_LISTED_ISSUES + 1;
  const schemaIssues = validateAgainstSchema(version, r as { resourceType: string }, limit);
  if (schemaIssues.some(isUnservedType)) return schemaIssues;
  if (schemaIssues.length >= limit) return schemaIssues;
  // the limit apart from opts: a spread plus a new key costs ~1 µs on Node 20 (fhir/with-members.ts)
  const walked = walkResource(r, r.resourceType, opts, limit);
  const ruleIssues = validateRules(version, r, walked);
  // the valid path (nearly every request) allocates nothing more
  if (schemaIssues.length === 0 && ruleIssues.length === 0 && walked.semantic.length === 0) return schemaIssues;
  const where = (i: Issue) => `${i.expression?.join()}`;
  const ruled = [...ruleIssues, ...walked.semantic];
  // a wrong JSON type the rules explain better (a null, an array for a single element) is theirs
  const explained = new Set(ruled.map(where));
  const schema = schemaIssues.filter((i) => !(isWrongJsonType(i) && explained.has(where(i))));
  // an element the schema already reported is not reported again by the rules, nor is what lies
  // inside an element of the wrong JSON type (a string where a Reference belongs has no parts)
  const seen = new Set(schema.map(where));
  const wrongType = schema.filter(isWrongJsonType).flatMap((i) => i.expression ?? []);
  const inside = (path: string) => wrongType.some((w) => path.startsWith(`${w}.`) || path.startsWith(`${w}[`));
  const more = ruled.filter((i) => !seen.has(where(i)) && !(i.expression ?? []).some(inside));
  return [...schema, ...more].slice(0, limit);
}

/** Throws a 400 OperationOutcome (structure/format) or 404 (a type not served) when invalid. */
export function assertValidResource(
  version: FhirVersion,
  resource: unknown,
  expectedType?: string,
  opts: ValidateOptions = {},
): void {
  const issues = validateResource(version, resource, expectedType, opts);
  if (issues.length === 0) return;
  if (issues.some(isUnservedType)) throw new MediatorError(404, issues);
  throw new MediatorError(
    400,
    issues.map((i) => ({ ...i, severity: 'error' as const })),
  );
}
