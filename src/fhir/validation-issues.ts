import type { FastifyError } from 'fastify';
import type { Issue } from '../domain/errors.js';

/** One schema error as Fastify's validator (Ajv) reports it. */
interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const PART_WORDS: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
  body: 'body element',
};

/** Ajv's `/a/0/b` as `a[0].b`, with the property a `required` or `additionalProperties` error names. */
function pathOf(e: SchemaError): string {
  const steps = (e.instancePath ?? '').split('/').filter(Boolean);
  const named = e.params?.missingProperty ?? e.params?.additionalProperty;
  if (typeof named === 'string') steps.push(named);
  return steps.reduce((p, s) => (/^\d+$/.test(s) ? `${p}[${s}]` : p ? `${p}.${s}` : s), '');
}

/** Why, in words: an enum lists what it takes, a missing or unknown one says so. */
function whyOf(e: SchemaError): string {
  const allowed = e.params?.allowedValues;
  if (e.keyword === 'enum' && Array.isArray(allowed)) return `must be one of: ${allowed.join(', ')}`;
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'is not one this request takes';
  return e.message ?? 'is not valid';
}

/**
 * A request Fastify's schema refused, as issues naming the parameter (expression) and why, with
 * the values an enumerated one takes: Fastify's own text ("querystring/state must be equal to one
 * of the allowed values") names neither the values nor, as an expression, the parameter.
 * Undefined when the error carries no schema errors.
 */
export function validationIssues(err: FastifyError): Issue[] | undefined {
  const errors = (err as FastifyError & { validation?: SchemaError[] }).validation;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const part = (err as FastifyError & { validationContext?: string }).validationContext ?? 'request';
  return errors.map((e) => {
    const where = pathOf(e);
    return {
      code: 'invalid',
      diagnostics: `${PART_WORDS[part] ?? part} ${where ? `'${where}' ` : ''}${whyOf(e)}`,
      expression: [where || '$this'],
    };
  });
}
