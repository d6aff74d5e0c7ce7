import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../domain/errors.js';

/**
 * A list route's parameters, and no others. Fastify drops a parameter its schema does not name
 * (ajv removeAdditional), so a typo (`?stat=flagged`, `?limt=5`) answered the whole, unfiltered
 * list as if it were the one asked for; it is a 400 naming the parameter and the ones the list
 * takes instead.
 */
/** What a route is, as its refusal names it: a list reads (nothing was read), the others act (nothing was done). */
type RouteKind = 'list' | 'action' | 'decision' | 'undo';

export function knownQueryOnly(properties: Record<string, unknown>, route: RouteKind = 'list') {
  return knownOnly(properties, 'query parameter', (request) => request.query, route);
}

/**
 * The same for a search sent as a JSON body (`POST …/review/_search`). A body of another type
 * (a form, as FHIR's `POST _search` takes) was read by the form parser into one odd element and
 * answered "body element '{…}' is not one this list takes"; it is a 415 naming the content type.
 */
export function knownBodyOnly(properties: Record<string, unknown>) {
  const known = knownOnly(properties, 'body element', (request) => request.body);
  return async (request: FastifyRequest): Promise<void> => {
    assertJsonBody(request);
    await known(request);
  };
}

/**
 * The fields of an action's body, and no others: a guard misspelt (`seenDecidedAT`) was dropped
 * by the schema and the action went ahead unguarded. The content type is left to the parsers.
 */
export function knownFieldsOnly(properties: Record<string, unknown>, route: Exclude<RouteKind, 'list'>) {
  return knownOnly(properties, 'body element', (request) => request.body, route);
}

function assertJsonBody(request: FastifyRequest): void {
  if (request.body === undefined) return; // no body: the schema says what it lacks
  const type = request.headers['content-type'];
  if (/^application\/(fhir\+)?json\s*(;|$)/i.test(type ?? '')) return;
  throw new InvalidInputError(
    `this search takes a JSON body (Content-Type: application/json), not ${type ? JSON.stringify(type) : 'a body without a Content-Type'}; nothing was read`,
    'Content-Type',
    415,
    'not-supported',
  );
}

function knownOnly(
  properties: Record<string, unknown>,
  what: string,
  of: (request: FastifyRequest) => unknown,
  route: RouteKind = 'list',
) {
  const known = Object.keys(properties);
  return async (request: FastifyRequest): Promise<void> => {
    const given = of(request);
    if (!given || typeof given !== 'object' || Array.isArray(given)) return; // the schema answers those
    const unknown = Object.keys(given).find((k) => !known.includes(k));
    if (unknown !== undefined)
      throw new InvalidInputError(
        `${what} '${unknown}' is not one this ${route} takes (${known.join(', ')}); nothing was ${route === 'list' ? 'read' : 'done'}`,
        unknown,
      );
    assertWholeNumbers(properties, given as Record<string, unknown>, what);
  };
}

/**
 * A number parameter given as text that is no number. The schema coerces text to a number
 * before it checks, and a blank (`limit=%20`) coerces to 0: the answer said "must be >= 1"
 * of a value the caller never sent. Checked here, on the value as sent, and quoted.
 */
function assertWholeNumbers(properties: Record<string, unknown>, given: Record<string, unknown>, what: string): void {
  for (const [name, value] of Object.entries(given)) {
    const type = (properties[name] as { type?: unknown } | undefined)?.type;
    if (type !== 'integer' || typeof value !== 'string' || /^\s*-?\d+\s*$/.test(value)) continue;
    throw new InvalidInputError(
      `${what} '${name}' is ${JSON.stringify(value)}, ${value.trim() ? 'not a whole number' : 'blank'}: give a whole number`,
      name,
    );
  }
}
