import { MediatorError, type Issue } from '../domain/errors.js';

/**
 * If-Match and If-None-Match must hold entity tags. An empty or broken one used to count as
 * absent: `If-Match:` with nothing after it (an app whose stored version was lost) made its PUT,
 * PATCH or DELETE unconditional, and could write over a change it never read. Such a header is a
 * 400 naming it. A bare version id (`3`, no quotes) stays accepted and is compared as sent.
 */
const ENTITY_TAG = /^(?:\*|(?:W\/)?"[^"]*"|(?:W\/)?[A-Za-z0-9\-.]{1,64})$/;

/** The issue of a precondition that is present but not a list of entity tags (or `*`). */
export function preconditionIssue(value: unknown, where: string, header: string): Issue | undefined {
  if (value === undefined) return undefined;
  const tags = typeof value === 'string' ? value.split(',').map((t) => t.trim()) : [];
  if (tags.length && tags.every((t) => ENTITY_TAG.test(t))) return undefined;
  return {
    code: 'value',
    diagnostics: `${where} ${JSON.stringify(value).slice(0, 100)} is not an entity tag: send W/"<meta.versionId>" (the ETag a read answered), a comma list of them, or *; ${header} is never ignored, since that would make the write unconditional`,
    expression: [where],
  };
}

/** The header's value, or a 400 when it is present but malformed (several headers arrive joined by commas). */
export function preconditionHeader(value: string | string[] | undefined, header: string): string | undefined {
  const joined = Array.isArray(value) ? value.join(', ') : value;
  const issue = preconditionIssue(joined, header, header);
  if (issue) throw new MediatorError(400, issue);
  return joined;
}
