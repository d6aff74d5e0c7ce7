import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler, RouteOptions } from 'fastify';
import { hookList } from '../platform/route-hooks.js';
import { MediatorError, MethodNotAllowedError } from '../domain/errors.js';
import { processBundle } from './bundle.js';
import { capabilityStatement, ownSearchParameters, type CapabilityInfo } from './capability.js';
import { answerMediaType, assertFhirVersion, requireResourceMediaType, responseMediaType } from './content.js';
import {
  create,
  patch,
  read,
  remove,
  requireRoute,
  update,
  validateOperation,
  vread,
  type FhirContext,
  type FhirResult,
} from './interactions.js';
import { jsonText } from './json-text.js';
import { JSON_PATCH } from './patch.js';
import { allowedMethods } from './routes.js';
import { search } from './search.js';
import { addFormParams, parseQuery, type SearchParams } from './query.js';
import type { FhirServices } from './services.js';
import { preconditionHeader } from './preconditions.js';
import type { ReadConditions } from './conditional-read.js';
import { basePath, type FhirVersion } from './versions.js';
import { openHimTransactionIdOf } from '../openhim/transaction-id.js';

export interface FhirPluginOptions {
  version: FhirVersion;
  /** Current services (they change when configuration changes live). */
  services: () => FhirServices;
  /** The configured public base URL, or (unset) one derived from the request. */
  publicBaseUrl: (request: FastifyRequest) => string;
  capability: Omit<CapabilityInfo, 'baseUrl'>;
  defaultCount: number;
  maxCount: number;
}

function queryParams(request: FastifyRequest): SearchParams {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return parseQuery(q >= 0 ? url.slice(q + 1) : '');
}

/** The URL without one trailing '/' (what `.replace(/\/$/, '')` did, without a regex per request). */
function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

const NO_PREFERENCES: { handling?: string; return?: string } = Object.freeze({});

function preferences(request: FastifyRequest): { handling?: string; return?: string } {
  const header = request.headers.prefer;
  if (header === undefined) return NO_PREFERENCES; // most requests: nothing to split
  const prefer = String(header);
  const out: Record<string, string> = {};
  for (const part of prefer.split(/[,;]/)) {
    const [k, v] = part.trim().split('=');
    if (k && v) out[k.toLowerCase()] = v.replace(/"/g, ''); // preference names are case-insensitive (RFC 7240 §2)
  }
  return out;
}

/**
 * The header names of nearly every answer as Fastify keeps them (it lower-cases each name it is
 * given): a name already in lower case is kept as it is, where each `ETag`, `Last-Modified` and
 * `Location` became a fresh string per answer, looked up in V8's string table to be stored as a
 * key (issue 18).
 */
const WIRE_NAMES = new Map([
  ['ETag', 'etag'],
  ['Last-Modified', 'last-modified'],
  ['Location', 'location'],
]);

/** A body already serialised (a string, or one with its text registered: json-text.ts) is sent as it is. */
function sendAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  result: FhirResult,
  version: FhirVersion,
): FastifyReply {
  const type = responseMediaType(request, version);
  reply.code(result.status);
  const headers = result.headers;
  if (headers) for (const name in headers) reply.header(WIRE_NAMES.get(name) ?? name, headers[name]);
  if (result.body === undefined) return reply.send();
  const body: unknown = result.body;
  return reply.type(answerMediaType(type, version)).send(typeof body === 'string' ? body : jsonText(body));
}

const ID = '[A-Za-z0-9\\-\\.]{1,64}';

/** One FHIR base (R4 or R5): every interaction of the route table, plus metadata and bundles. */
export async function fhirBase(app: FastifyInstance, opts: FhirPluginOptions): Promise<void> {
  const { version } = opts;
  const send = (request: FastifyRequest, reply: FastifyReply, result: FhirResult) =>
    sendAnswer(request, reply, result, version);
  // the last root's base URL, the same string object again while the root is the same (a memo
  // of one: each request built it, and validationOptions then hashed it, issue 18)
  let last = { root: '', baseUrl: '' };
  const baseUrlOf = (root: string): string => {
    if (root !== last.root) last = { root, baseUrl: `${withoutTrailingSlash(root)}${basePath[version]}` };
    return last.baseUrl;
  };
  const ctxFor = (request: FastifyRequest): FhirContext => {
    const prefer = preferences(request);
    responseMediaType(request); // refuse unsupported formats before doing any work
    assertFhirVersion(request, version);
    return {
      version,
      services: opts.services(),
      baseUrl: baseUrlOf(opts.publicBaseUrl(request)),
      actor: (request as FastifyRequest & { actor?: string }).actor,
      transactionId: openHimTransactionIdOf(request.headers),
      strictHandling: prefer.handling?.toLowerCase() === 'strict',
      preferReturn: prefer.return,
      defaultCount: opts.defaultCount,
      maxCount: opts.maxCount,
    };
  };
  // before any route of this base: each route that takes a resource body gets the media type check
  app.addHook('onRoute', (route) => {
    if (takesResourceBody(route)) route.preHandler = [...hookList(route.preHandler), resourceMediaTypeOnly];
  });
  const searchParameters = ownSearchParameters(version);
  const idParam = (request: FastifyRequest, name = 'id'): string => {
    const id = (request.params as Record<string, string>)[name];
    // '.' and '..' match the FHIR id pattern but are path segments to every upstream URL they would be put in
    if (!new RegExp(`^${ID}$`).test(id) || /^\.{1,2}$/.test(id))
      throw new MediatorError(400, {
        code: 'invalid',
        diagnostics: `'${id}' is not a valid FHIR id ([A-Za-z0-9-.]{1,64}, not '.' or '..')`,
        expression: ['id'],
      });
    return id;
  };

  app.get('/metadata', async (request, reply) => {
    const ctx = ctxFor(request);
    return send(request, reply, {
      status: 200,
      body: capabilityStatement(version, { ...opts.capability, baseUrl: ctx.baseUrl }, (flow) =>
        ctx.services[flow]?.readOnly?.(),
      ),
    });
  });
  app.get('/SearchParameter/:id', async (request, reply) => {
    const sp = searchParameters.get(idParam(request));
    if (!sp)
      throw new MediatorError(404, {
        code: 'not-found',
        diagnostics: `SearchParameter/${(request.params as { id: string }).id} is not one we define`,
        expression: ['id'],
      });
    return send(request, reply, { status: 200, body: sp });
  });
  app.post('/', async (request, reply) => send(request, reply, await processBundle(ctxFor(request), request.body)));
  app.get('/:type', async (request, reply) =>
    send(
      request,
      reply,
      await search(ctxFor(request), (request.params as { type: string }).type, queryParams(request)),
    ),
  );
  app.post('/:type/_search', async (request, reply) => {
    const params = queryParams(request);
    addFormParams(params, request.body, request.headers['content-type']);
    return send(request, reply, await search(ctxFor(request), (request.params as { type: string }).type, params));
  });
  app.post('/:type/$validate', async (request, reply) =>
    send(
      request,
      reply,
      await validateOperation(ctxFor(request), (request.params as { type: string }).type, request.body),
    ),
  );
  app.get('/:type/:id', async (request, reply) =>
    send(request, reply, await read(ctxFor(request), typeParam(request), idParam(request), readConditions(request))),
  );
  app.post('/:type', async (request, reply) =>
    send(
      request,
      reply,
      await create(
        ctxFor(request),
        (request.params as { type: string }).type,
        request.body,
        request.headers['if-none-exist'] as string | undefined,
      ),
    ),
  );
  app.put('/:type/:id', async (request, reply) =>
    send(
      request,
      reply,
      await update(
        ctxFor(request),
        (request.params as { type: string }).type,
        idParam(request),
        request.body,
        preconditionHeader(request.headers['if-match'], 'If-Match'),
        preconditionHeader(request.headers['if-none-match'], 'If-None-Match'),
      ),
    ),
  );
  // history (mCSD ITI-91 asks `Location/_history?_since=`) is not served: say so, rather than a
  // 400 "'_history' is not a valid FHIR id" or a bare 404
  app.get('/_history', async (_request, reply) => noHistory(reply, 'The system history (/_history)'));
  app.get('/:type/_history', async (request, reply) => {
    const type = requireRoute(ctxFor(request), typeParam(request)).type;
    return noHistory(reply, `The history of ${type}`, type);
  });
  app.get('/:type/:id/_history', async (request, reply) => {
    const type = requireRoute(ctxFor(request), typeParam(request)).type;
    return noHistory(reply, `The history of ${type}/${idParam(request)}`, type);
  });
  app.get('/:type/:id/_history/:vid', async (request, reply) =>
    send(
      request,
      reply,
      await vread(
        ctxFor(request),
        typeParam(request),
        idParam(request),
        idParam(request, 'vid'),
        readConditions(request),
      ),
    ),
  );
  app.patch('/:type/:id', async (request, reply) => {
    requireJsonPatch(request);
    return send(
      request,
      reply,
      await patch(ctxFor(request), typeParam(request), idParam(request), request.body, ifMatchOf(request)),
    );
  });
  app.delete('/:type/:id', async (request, reply) =>
    send(request, reply, await remove(ctxFor(request), typeParam(request), idParam(request), ifMatchOf(request))),
  );
  app.route({
    method: ['PUT', 'DELETE', 'PATCH'],
    url: '/:type',
    handler: async (request) => {
      const route = requireRoute(ctxFor(request), typeParam(request));
      throw new MethodNotAllowedError(
        `${request.method} ${request.url.split('?')[0]} is not supported: conditional ${request.method} is not served`,
        allowedMethods(route, 'type'),
      );
    },
  });
  // OPTIONS (RFC 9110 §9.3.7; FHIR defines no OPTIONS interaction): the methods the URL takes, in
  // Allow, where a 404 "No route for OPTIONS" said the resource did not exist
  app.options('/', async (_request, reply) => options(reply, ['POST']));
  app.options('/metadata', async (_request, reply) => options(reply, ['GET']));
  app.options('/:type', async (request, reply) =>
    options(reply, allowedMethods(requireRoute(ctxFor(request), typeParam(request)), 'type')),
  );
  app.options('/:type/:id', async (request, reply) => {
    const route = requireRoute(ctxFor(request), typeParam(request));
    const operation = OPERATION_URLS[(request.params as { id: string }).id];
    if (operation) return options(reply, operation);
    idParam(request);
    return options(reply, allowedMethods(route, 'instance'));
  });
  // the CapabilityStatement is read only: a 405 naming GET, not a 404 for a resource type 'metadata'
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/metadata',
    handler: async (request) => {
      throw new MethodNotAllowedError(`${request.method} ${request.url.split('?')[0]} is not supported`, ['GET']);
    },
  });
  app.route({
    method: ['PUT', 'DELETE', 'PATCH'],
    url: '/',
    handler: async (request) => {
      throw new MethodNotAllowedError(
        `${request.method} ${request.url.split('?')[0]} is not supported: post a batch or transaction Bundle to the base`,
        ['POST'],
      );
    },
  });
}

const typeParam = (request: FastifyRequest): string => (request.params as { type: string }).type;

/**
 * Whether a route's POST or PUT carries a resource body (FHIR JSON): not a POST `_search`, whose
 * form body is parsed, nor a PATCH, whose body is a JSON Patch (requireJsonPatch).
 */
function takesResourceBody(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods.some((m) => m === 'POST' || m === 'PUT') && !route.url.endsWith('/_search');
}

/**
 * A resource body is FHIR JSON: a form body or a JSON Patch is a 415 here. A route's own callback
 * hook (issue 18): a hook for the whole base, async, read `request.routeOptions` (a 13-field
 * object Fastify builds on every read) and made a promise on every request, a GET's too.
 */
const resourceMediaTypeOnly: preHandlerHookHandler = (request, _reply, done) => {
  try {
    if (request.method === 'POST' || request.method === 'PUT') requireResourceMediaType(request);
  } catch (err) {
    return done(err as Error);
  }
  done();
};

/** The URLs under a type that are no instance: POST _search and $validate, the history (no method). */
const OPERATION_URLS: Record<string, string[]> = { _search: ['POST'], $validate: ['POST'], _history: [] };

/** 204 with Allow: a GET is answered to HEAD too (Fastify's HEAD routes), and OPTIONS is always taken. */
function options(reply: FastifyReply, methods: string[]): FastifyReply {
  const allow = [...methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])), 'OPTIONS'];
  return reply.code(204).header('Allow', allow.join(', ')).send();
}

/**
 * A history interaction: 405 with an empty Allow (no method is served at a history URL), so a client
 * falls back to searching, as the CapabilityStatement (readHistory false, no history-*) announces.
 */
function noHistory(reply: FastifyReply, what: string, type?: string): never {
  void reply.header('Allow', '');
  throw new MediatorError(405, {
    code: 'not-supported',
    diagnostics:
      `${what} is not served: each system of record keeps its own history and this server answers live from them. ` +
      `To follow changes, search ${type ?? '[type]'}?_lastUpdated=gt<the last meta.lastUpdated seen>&_sort=_lastUpdated`,
    expression: ['url'],
  });
}
/** A read's If-None-Match (checked as entity tags, as on a write) and If-Modified-Since. */
function readConditions(request: FastifyRequest): ReadConditions {
  const since = request.headers['if-modified-since'];
  return {
    ifNoneMatch: preconditionHeader(request.headers['if-none-match'], 'If-None-Match'),
    // several are no date (RFC 9110 §13.1.3): joined, the check ignores them
    ifModifiedSince: Array.isArray(since) ? since.join(', ') : since,
  };
}
const ifMatchOf = (request: FastifyRequest): string | undefined =>
  preconditionHeader(request.headers['if-match'], 'If-Match');

/** PATCH bodies are JSON Patch only; FHIRPath Patch (a Parameters resource) is not served. */
function requireJsonPatch(request: FastifyRequest): void {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== JSON_PATCH) {
    throw new MediatorError(415, {
      code: 'not-supported',
      diagnostics: `PATCH needs Content-Type ${JSON_PATCH} (a JSON Patch, RFC 6902); FHIRPath Patch is not supported, got '${type || 'none'}'`,
      expression: ['Content-Type'],
    });
  }
}
