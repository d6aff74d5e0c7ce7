import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MediatorError } from '../domain/errors.js';

export interface JsonLimits {
  /** Deepest nesting of objects/arrays accepted. */
  maxDepth: number;
  /** Largest array accepted anywhere in a body (e.g. Bundle.entry). */
  maxArrayLength: number;
}

/** Throws a 400/413 OperationOutcome for bodies nested too deep or with oversized arrays. */
export function checkJsonShape(value: unknown, limits: JsonLimits): void {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 1, path: '$this' }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > limits.maxDepth) {
      throw new MediatorError(400, { code: 'too-costly', diagnostics: `The body nests deeper than ${limits.maxDepth} levels (limits.jsonDepth)`, expression: [path] });
    }
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) {
        throw new MediatorError(413, { code: 'too-costly', diagnostics: `An array of ${v.length} items exceeds the limit of ${limits.maxArrayLength} (limits.arrayLength)`, expression: [path] });
      }
      v.forEach((item, i) => stack.push({ v: item, depth: depth + 1, path: `${path}[${i}]` }));
    } else {
      for (const [k, item] of Object.entries(v)) stack.push({ v: item, depth: depth + 1, path: `${path}.${k}` });
    }
  }
}

function parseJson(body: string, limits: JsonLimits): unknown {
  if (body.trim() === '') throw new MediatorError(400, { code: 'structure', diagnostics: 'The request body is empty; a FHIR resource was expected' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new MediatorError(400, { code: 'structure', diagnostics: `The request body is not valid JSON: ${(err as Error).message}` });
  }
  checkJsonShape(parsed, limits);
  return parsed;
}

/**
 * FHIR JSON media types (Fastify alone answers 415 to application/fhir+json) and form bodies for
 * POST _search. XML is answered with a 415 that says JSON is the format we speak.
 */
export function registerFhirContentTypes(app: FastifyInstance, limits: JsonLimits): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parser = (req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    try {
      // GET/DELETE carrying a JSON content type but no body (clients send default headers) is not an error.
      if (body === '' && req.method !== 'POST' && req.method !== 'PUT') return done(null, undefined);
      done(null, parseJson(body, limits));
    } catch (err) {
      done(err as Error);
    }
  };
  app.addContentTypeParser(['application/json', 'application/fhir+json', 'application/json-patch+json'], { parseAs: 'string' }, parser);
  app.addContentTypeParser(/^application\/(fhir\+)?xml/, (_req, _payload, done) => {
    done(new MediatorError(415, { code: 'not-supported', diagnostics: 'This server speaks FHIR JSON only: send application/fhir+json' }));
  });
}

/** The response media type from `_format` (which wins) or Accept. */
export function responseMediaType(request: FastifyRequest): string {
  const format = (request.query as Record<string, string | undefined>)?._format;
  const wanted = (format ?? request.headers.accept ?? '').toLowerCase();
  if (format !== undefined) {
    if (/xml/.test(wanted)) throw new MediatorError(406, { code: 'not-supported', diagnostics: `_format=${format} is not supported: this server speaks FHIR JSON only`, expression: ['_format'] });
    if (wanted === 'application/json') return 'application/json';
    return 'application/fhir+json';
  }
  if (wanted && /xml/.test(wanted) && !/json|\*\/\*/.test(wanted)) {
    throw new MediatorError(406, { code: 'not-supported', diagnostics: 'Accept asks for XML only: this server speaks FHIR JSON only' });
  }
  if (/^application\/json\b/.test(wanted)) return 'application/json';
  return 'application/fhir+json';
}
