import { InvalidInputError } from '../domain/errors.js';

/**
 * Search parameters by name. A table without a prototype: a parameter named `constructor`,
 * `toString` or `__proto__` is just an unknown name, never a property of Object.prototype.
 */
export type SearchParams = Record<string, string[]>;

export function emptyParams(): SearchParams {
  return Object.create(null) as SearchParams;
}

export function addParam(params: SearchParams, name: string, value: string): void {
  if (!Object.hasOwn(params, name)) params[name] = [];
  params[name].push(value);
}

/** `a=1&b=2` (no leading `?`) → a parameter table. */
export function parseQuery(query: string): SearchParams {
  const params = emptyParams();
  for (const [k, v] of new URLSearchParams(query)) addParam(params, k, v);
  return params;
}

/** POST [type]/_search: form fields join the URL's parameters. */
export function addFormParams(params: SearchParams, body: unknown, contentType: string | undefined): void {
  if (body === undefined || body === null || body === '') return;
  if (
    !/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '') ||
    typeof body !== 'object' ||
    Array.isArray(body)
  ) {
    throw new InvalidInputError(
      'POST _search takes its parameters as application/x-www-form-urlencoded',
      'Content-Type',
      400,
      'structure',
    );
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    for (const item of ([] as unknown[]).concat(v)) {
      if (typeof item !== 'string')
        throw new InvalidInputError(`POST _search parameter '${k}' must be a form field`, k, 400, 'structure');
      addParam(params, k, item);
    }
  }
}
