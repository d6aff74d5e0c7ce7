import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../domain/errors.js';

/**
 * A list route's parameters, and no others. Fastify drops a parameter its schema does not name
 * (ajv removeAdditional), so a typo (`?stat=flagged`, `?limt=5`) answered the whole, unfiltered
 * list as if it were the one asked for; it is a 400 naming the parameter and the ones the list
 * takes instead.
 */
export function knownQueryOnly(properties: Record<string, unknown>) {
  const known = Object.keys(properties);
  return async (request: FastifyRequest): Promise<void> => {
    const unknown = Object.keys((request.query ?? {}) as Record<string, unknown>).find((k) => !known.includes(k));
    if (unknown !== undefined)
      throw new InvalidInputError(
        `query parameter '${unknown}' is not one this list takes (${known.join(', ')}); nothing was read`,
        unknown,
      );
  };
}
