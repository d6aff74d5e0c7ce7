import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MediatorError } from '../domain/errors.js';
import { decodeUtf8, parseFhirJson, type JsonLimits } from './json-body.js';
import { basePath, fhirVersionNumber, type FhirVersion } from './versions.js';

/** The admin API (not the console, whose forms are not JSON). */
const isAdminPath = (url: string) => url.startsWith('/admin/') && !url.startsWith('/admin/ui/');

/**
 * FHIR JSON media types (Fastify alone answers 415 to application/fhir+json) and form bodies for
 * POST _search. XML is answered with a 415 that says JSON is the format we speak.
 */
export function registerFhirContentTypes(app: FastifyInstance, limits: JsonLimits): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parser = (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    try {
      // GET/DELETE carrying a JSON content type but no body (clients send default headers) is not an
      // error, nor is an admin POST with none (`curl -H 'Content-Type: application/json' -X POST
      // …/jobs/reconcile/run`): the admin routes say themselves what a body lacks.
      if (body.length === 0 && ((req.method !== 'POST' && req.method !== 'PUT') || isAdminPath(req.url)))
        return done(null, undefined);
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(req.headers['content-type'] ?? ''))?.[1];
      if (charset && !/^utf-?8$/i.test(charset)) {
        return done(
          new MediatorError(415, {
            code: 'not-supported',
            diagnostics: `Content-Type charset ${charset} is not supported: FHIR JSON is UTF-8`,
            expression: ['Content-Type'],
          }),
        );
      }
      done(null, parseFhirJson(decodeUtf8(body), limits));
    } catch (err) {
      done(err as Error);
    }
  };
  app.addContentTypeParser(
    ['application/json', 'application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'buffer' },
    parser,
  );
  app.addContentTypeParser(/^application\/(fhir\+)?xml/, (_req, _payload, done) => {
    done(
      new MediatorError(415, {
        code: 'not-supported',
        diagnostics: 'This server speaks FHIR JSON only: send application/fhir+json',
        expression: ['Content-Type'],
      }),
    );
  });
}

/** `_format` values meaning FHIR JSON (FHIR R5 §3.1.0.1.9 http.html#mime-type), mapped to the media type answered. */
const JSON_FORMATS: Record<string, string> = {
  json: 'application/fhir+json',
  'application/fhir+json': 'application/fhir+json',
  'application/json+fhir': 'application/fhir+json',
  'application/json': 'application/json',
};

/**
 * The media type an answer in FHIR JSON carries: `application/fhir+json; fhirVersion=4.0` on the
 * R4 base, `5.0` on R5 (FHIR http.html#version-parameter: major.minor), so a client reading both
 * bases, or handed an answer out of context (an OpenHIM transaction), can tell the release. A
 * client that asked for plain `application/json` gets that, without the parameter, which FHIR
 * defines for its own media type only.
 */
export function answerMediaType(type: string, version: FhirVersion | undefined): string {
  if (type !== 'application/fhir+json' || !version) return `${type}; charset=utf-8`;
  return FHIR_JSON_OF[version];
}

/** answerMediaType's FHIR JSON type of each release, written once (every answer carries one). */
const FHIR_JSON_OF = Object.fromEntries(
  (Object.keys(fhirVersionNumber) as FhirVersion[]).map((version) => {
    const release = fhirVersionNumber[version].split('.').slice(0, 2).join('.');
    return [version, `application/fhir+json; fhirVersion=${release}; charset=utf-8`];
  }),
) as Record<FhirVersion, string>;

/**
 * Whether a media range is plain `application/json`. Not a prefix test: `application/json+fhir`
 * (the FHIR JSON type before R4, which older clients still send) is FHIR JSON, as it is for `_format`.
 */
function isPlainJson(range: string): boolean {
  return range.split(';')[0].trim() === 'application/json';
}

function acceptsJson(range: string): boolean {
  const type = range.split(';')[0].trim();
  return (
    type === '' ||
    type === '*/*' ||
    type === 'application/*' ||
    /^application\/(fhir\+)?json$/.test(type) ||
    type === 'application/json+fhir'
  );
}

/** The `_format` parameter as sent (the last one, if repeated). */
function formatParam(request: FastifyRequest): string | undefined {
  const raw = (request.query as Record<string, string | string[] | undefined>)?._format;
  return raw === undefined ? undefined : String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
}

/**
 * The response media type from `_format` (which wins) or Accept; anything but JSON is a 406.
 * Given the base's version, an Accept whose FHIR JSON ranges all name another fhirVersion, beside
 * plain `application/json`, is answered in plain JSON: the one type it takes that this base has.
 */
export function responseMediaType(request: FastifyRequest, version?: FhirVersion): string {
  const raw = formatParam(request);
  if (raw !== undefined) {
    const format = raw.split(';')[0].trim().toLowerCase();
    const type = JSON_FORMATS[format];
    if (!type)
      throw new MediatorError(406, {
        code: 'not-supported',
        diagnostics: `_format=${format} is not supported: this server speaks FHIR JSON only (_format=json)`,
        expression: ['_format'],
      });
    return type;
  }
  const header = request.headers.accept;
  // no Accept (most machine clients, OpenHIM forwarding theirs): FHIR JSON, with nothing to split
  if (header === undefined || header === '' || header === '*/*') return 'application/fhir+json';
  const accept = String(header).toLowerCase();
  const listed = accept
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const ranges = byPreference(listed);
  if (listed.length && !ranges.some(acceptsJson)) {
    throw new MediatorError(406, {
      code: 'not-supported',
      diagnostics: `Accept '${accept.slice(0, 100)}' names no JSON type: this server speaks FHIR JSON only (application/fhir+json)`,
      expression: ['Accept'],
    });
  }
  if (isPlainJson(ranges[0] ?? '')) return 'application/json';
  if (version && ranges.some(isPlainJson) && !takesFhirJsonOf(ranges, version)) return 'application/json';
  return 'application/fhir+json';
}

/** A media range's quality (RFC 9110 §12.4.2): `q`, 1 when not given. */
function qualityOf(range: string): number {
  const q = /;\s*q\s*=\s*([0-9.]+)/.exec(range)?.[1];
  return q === undefined ? 1 : Number(q);
}

/**
 * The ranges a client takes, most preferred first (the order sent among equals): a range at q=0
 * is one it refuses, and `application/json;q=0.1, application/fhir+json` prefers FHIR JSON.
 */
function byPreference(ranges: string[]): string[] {
  return ranges
    .map((range) => ({ range, q: qualityOf(range) }))
    .filter(({ q }) => q > 0)
    .sort((a, b) => b.q - a.q)
    .map(({ range }) => range);
}

/** Whether a range of these takes FHIR JSON of this version (no fhirVersion, or this one). */
function takesFhirJsonOf(ranges: string[], version: FhirVersion): boolean {
  return ranges.some((range) => {
    if (!acceptsJson(range) || isPlainJson(range)) return false;
    const asked = fhirVersionOf(range);
    return asked === undefined || sameVersion(asked, fhirVersionNumber[version]);
  });
}

/** The `fhirVersion` MIME parameter of one media range (FHIR http.html#version-parameter), if any. */
function fhirVersionOf(range: string): string | undefined {
  return /;\s*fhirversion\s*=\s*"?([^";,\s]+)/i.exec(range)?.[1];
}

/** `4.0` and `4.0.1` are FHIR 4.0.1; `5.0` is 5.0.0: the version parameter is major.minor (patch allowed). */
function sameVersion(asked: string, served: string): boolean {
  return served === asked || served.startsWith(`${asked}.`);
}

function otherBase(asked: string, version: FhirVersion): string {
  const other = (Object.keys(fhirVersionNumber) as FhirVersion[]).find(
    (v) => v !== version && sameVersion(asked, fhirVersionNumber[v]),
  );
  return other ? ` (FHIR ${fhirVersionNumber[other]} is served at ${basePath[other]})` : '';
}

/**
 * A request naming a FHIR version in its media type is answered in that version or refused: an
 * R5 client (`Accept: application/fhir+json; fhirVersion=5.0`) on the R4 base must not be given
 * R4 resources it will read as R5, nor an R4 body be decoded as R5. 406 for Accept, 415 for
 * Content-Type, as for any media type the server does not speak.
 */
export function assertFhirVersion(request: FastifyRequest, version: FhirVersion): void {
  const served = fhirVersionNumber[version];
  // Content-Type describes a body: a read sent without one (an R4 client's default headers on the
  // R5 base, passed on by an OpenHIM channel) has nothing in the other release to refuse
  const contentType = request.body === undefined ? undefined : request.headers['content-type'];
  const sent = contentType === undefined ? undefined : fhirVersionOf(String(contentType));
  if (sent !== undefined && !sameVersion(sent, served))
    throw new MediatorError(415, {
      code: 'not-supported',
      diagnostics: `Content-Type names fhirVersion=${sent}; this base speaks FHIR ${served}${otherBase(sent, version)}`,
      expression: ['Content-Type'],
    });
  // `_format` stands for Accept (and wins over it, as in responseMediaType)
  const format = formatParam(request);
  const [accept, where] = format === undefined ? [request.headers.accept, 'Accept'] : [format, '_format'];
  if (accept === undefined || !/fhirversion/i.test(String(accept))) return;
  const asked = String(accept)
    .split(',')
    .map((range) => fhirVersionOf(range));
  if (asked.some((v) => v === undefined || sameVersion(v, served))) return;
  const first = asked[0]!;
  throw new MediatorError(406, {
    code: 'not-supported',
    diagnostics: `${where} asks for fhirVersion=${asked.join(', ')}; this base speaks FHIR ${served}${otherBase(first, version)}`,
    expression: [where],
  });
}

/** The media types a resource or Bundle body is read from (the JSON parser's, JSON Patch aside). */
const RESOURCE_MEDIA_TYPES = new Set(['application/fhir+json', 'application/json']);

/**
 * A create, update, Bundle or `$validate` body is a FHIR resource in JSON. Form bodies are parsed
 * for POST `_search`, and a JSON Patch for PATCH, so either reached these handlers as an object:
 * a form create was a 400 "resourceType is missing", blaming the content for its media type. It is
 * the media type the server does not take here: 415 at Content-Type (FHIR http.html#mime-type).
 * No Content-Type (no body) is left to the handler, which says what the body lacks.
 */
export function requireResourceMediaType(request: FastifyRequest): void {
  const header = request.headers['content-type'];
  if (header === undefined) return;
  const type = mediaTypeOf(String(header));
  if (RESOURCE_MEDIA_TYPES.has(type)) return;
  throw new MediatorError(415, {
    code: 'not-supported',
    diagnostics: `A ${request.method} of a resource takes application/fhir+json, got '${type || 'none'}'`,
    expression: ['Content-Type'],
  });
}

/** A Content-Type's media type, without its parameters, in lower case (no array: every write asks). */
function mediaTypeOf(header: string): string {
  const end = header.indexOf(';');
  return (end < 0 ? header : header.slice(0, end)).trim().toLowerCase();
}
