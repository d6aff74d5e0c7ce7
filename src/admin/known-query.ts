import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../domain/errors.js';

/**
 * A list route's parameters, and no others. Fastify drops a parameter its schema does not name
 * (ajv removeAdditional), so a typo (`?stat=flagged`, `?limt=5`) answered the whole, unfiltered
 * list as if it were the one asked for; it is a 400 naming the parameter and the ones the list
 * takes instead.
 */
export function knownQueryOnly(properties: Record<string, unknown>) {
  return knownOnly(properties, 'query parameter', (request) => request.query);
}

/** The same for a search sent as a JSON body (`POST …/review/_search`). */
export function knownBodyOnly(properties: Record<string, unknown>) {
  return knownOnly(properties, 'body element', (request) => request.body);
}

function knownOnly(properties: Record<string, unknown>, what: string, of: (request: FastifyRequest) => unknown) {
  const known = Object.keys(properties);
  return async (request: FastifyRequest): Promise<void> => {
    const given = of(request);
    if (!given || typeof given !== 'object' || Array.isArray(given)) return; // the schema answers those
    const unknown = Object.keys(given).find((k) => !known.includes(k));
    if (unknown !== undefined)
      throw new InvalidInputError(
        `${what} '${unknown}' is not one this list takes (${known.join(', ')}); nothing was read`,
        unknown,
      );
  };
}
