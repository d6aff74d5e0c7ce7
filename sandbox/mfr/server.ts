import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FaultController, type FaultAction, type FaultRuleInput } from '../openlmis/faults.js';
import { faultDelay } from '../openlmis/fault-delay.js';
import { paging, search, type Query } from './search.js';
import { MfrState, MfrStateError, type Json, type MfrStateOptions, type ResourceType, type Version } from './state.js';

/**
 * An mCSD directory simulator (IHE ITI mCSD 4.x Care Services Selective Supplier, as GOFR's or the
 * OpenHIE Facility Registry's HAPI answers): FHIR R4 Location and Organization under `/fhir`,
 * `/metadata`, read, vread, search with `next` links, type-level `_history` with `_since` (the
 * Update Option, ITI-91) newest first as FHIR orders history, Basic or bearer auth. Started without
 * history support it answers `_history` with 405 (or 404), so a client's fallback can be tested.
 * Control routes under `/_sandbox` (no auth, never faulted) change facilities the way a registry's
 * users do: rename, move, open, close, unpublish, delete.
 */
export interface MfrSandboxOptions {
  port?: number;
  host?: string;
  /** Type-level `_history` (default true). */
  history?: boolean;
  /** What `_history` answers when history is off (default 405). */
  historyOffStatus?: 404 | 405;
  /**
   * A DELETE's history entry: `full` (default, as HAPI: etag and lastModified), `bare` (a
   * response with only its status, as some servers send it: placed in time by its neighbours).
   */
  deleteEntries?: 'full' | 'bare';
  /** Default `_count` (default 20, HAPI's default page size). */
  pageSize?: number;
  /** Searches ignore `_sort` and answer in the directory's own order (default false). */
  ignoreSort?: boolean;
  /**
   * As HAPI JPA's search cache (`reuseCachedSearchResultsForMillis`, 60 s by default): a search
   * whose URL was asked within this many ms answers the same Locations, in their current versions,
   * with the first search's Bundle.meta.lastUpdated; `Cache-Control: no-cache` asks a fresh one.
   * Default: no reuse.
   */
  reuseSearchesMs?: number;
  /**
   * Where a search tells its time: `meta` (default, as HAPI: Bundle.meta.lastUpdated) or `date`
   * (no Bundle.meta, as a registry leaving it out: only the HTTP Date header, from the directory's
   * clock, to the second).
   */
  searchTime?: 'meta' | 'date';
  /** Credentials the directory accepts; false = no auth. Default: DEFAULT_MFR_AUTH. */
  auth?: MfrAuth | false;
  state?: MfrStateOptions;
  faults?: FaultRuleInput[];
  logger?: boolean;
}

export interface MfrAuth {
  username?: string;
  password?: string;
  /** Bearer token. */
  token?: string;
}

export const DEFAULT_MFR_AUTH: Required<MfrAuth> = {
  username: 'mediator',
  password: 'password',
  token: 'mfr-sandbox-token',
};

export interface MfrSandbox {
  /** The FHIR base (…/fhir). */
  url: string;
  /** The server root: control routes are under `${root}/_sandbox`. */
  root: string;
  state: MfrState;
  /** Fault rules: their paths match the URL with its query (`/fhir/Location?**_offset=5**`). */
  faults: FaultController;
  /** Every FHIR request, `GET /fhir/Location?_count=5` (tests: paging followed, fallbacks taken). */
  requests: string[];
  /** Turn type-level history on or off while running. */
  setHistory(on: boolean): void;
  app: FastifyInstance;
  close(): Promise<void>;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function outcome(severity: 'error' | 'information', code: string, diagnostics: string): Json {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  409: 'conflict',
  410: 'deleted',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function authorized(auth: MfrAuth | false, header: string | undefined): boolean {
  if (auth === false) return true;
  const [scheme, value = ''] = String(header ?? '').split(/\s+/, 2);
  if (/^basic$/i.test(scheme) && auth.username !== undefined) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded === `${auth.username}:${auth.password ?? ''}`;
  }
  if (/^bearer$/i.test(scheme) && auth.token !== undefined) return value === auth.token;
  return false;
}

async function applyFault(action: FaultAction, request: FastifyRequest, reply: FastifyReply, hung: Set<Socket>) {
  switch (action.type) {
    case 'status':
      for (const [k, v] of Object.entries(action.headers ?? {})) reply.header(k, v);
      await reply
        .code(action.status)
        .type(FHIR_JSON)
        .send(action.body ?? outcome('error', 'transient', `Sandbox fault: ${action.status}`));
      return;
    case 'delay':
      await faultDelay(action.ms);
      return;
    case 'held':
      await action.released;
      return;
    case 'hang':
      reply.hijack();
      hung.add(request.raw.socket);
      request.raw.socket.once('close', () => hung.delete(request.raw.socket));
      return;
    case 'reset':
      reply.hijack();
      request.raw.socket.destroy();
      return;
    default:
      return;
  }
}

function capabilityStatement(history: boolean): Json {
  const resource = (type: string, params: string[]) => ({
    type,
    interaction: [
      { code: 'read' },
      { code: 'vread' },
      { code: 'search-type' },
      ...(history ? [{ code: 'history-instance' }, { code: 'history-type' }] : []),
    ],
    versioning: 'versioned',
    searchParam: params.map((name) => ({
      name,
      type: name === '_lastUpdated' ? 'date' : name === 'name' ? 'string' : name === 'partof' ? 'reference' : 'token',
    })),
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2024-01-01',
    kind: 'instance',
    software: { name: 'mCSD directory (sandbox)', version: '4.0.1' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    instantiates: ['https://profiles.ihe.net/ITI/mCSD/CapabilityStatement/IHE.mCSD.CareServicesSelectiveSupplier'],
    rest: [
      {
        mode: 'server',
        resource: [
          resource('Location', ['_id', 'identifier', 'name', 'partof', 'type', 'status', '_lastUpdated']),
          resource('Organization', ['_id', 'identifier', 'name', 'partof', 'type', '_lastUpdated']),
        ],
      },
    ],
  };
}

export async function startMfrSandbox(options: MfrSandboxOptions = {}): Promise<MfrSandbox> {
  const state = new MfrState(options.state);
  const faults = new FaultController();
  for (const f of options.faults ?? []) faults.add(f);
  const auth = options.auth === undefined ? DEFAULT_MFR_AUTH : options.auth;
  const pageSize = options.pageSize ?? 20;
  let history = options.history ?? true;
  let root = '';
  const base = () => `${root}/fhir`;
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  const hung = new Set<Socket>();
  const requests: string[] = [];
  /** HAPI's search cache (reuseSearchesMs): a URL's Locations and the instant it was searched. */
  const searchCache = new Map<string, { at: string; ids: string[] }>();
  const reusedSearch = (url: string, cacheControl: string | undefined) => {
    const hit = searchCache.get(url);
    if (!hit || options.reuseSearchesMs === undefined || /no-cache/i.test(cacheControl ?? '')) return undefined;
    return Date.parse(state.now()) - Date.parse(hit.at) < options.reuseSearchesMs ? hit : undefined;
  };

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/_sandbox')) return;
    requests.push(`${request.method} ${decodeURIComponent(request.url)}`);
    // matched on the whole URL, so a test can fail one page of a paged read
    const action = faults.match(request.method, request.url);
    if (action) await applyFault(action, request, reply, hung);
    if (reply.sent || action?.type === 'hang' || action?.type === 'reset') return;
    // the CapabilityStatement is public, as on HAPI and GOFR
    if (path === '/fhir/metadata') return;
    if (!authorized(auth, request.headers.authorization)) {
      reply.header('www-authenticate', 'Basic realm="mCSD directory", Bearer realm="mCSD directory"');
      throw new HttpError(401, 'Authentication required (Basic or Bearer)');
    }
  });
  app.addHook('preClose', async () => {
    for (const s of hung) s.destroy();
    hung.clear();
  });
  app.setErrorHandler(async (error, request, reply) => {
    const status =
      error instanceof HttpError || error instanceof MfrStateError
        ? error.status
        : ((error as { statusCode?: number }).statusCode ?? 500);
    if (status >= 500) request.log.error(error);
    const message = status >= 500 ? 'Internal server error' : (error as Error).message;
    return reply
      .code(status)
      .type(FHIR_JSON)
      .send(outcome('error', ISSUE_CODE[status] ?? 'exception', message));
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type(FHIR_JSON)
      .send(outcome('error', 'not-found', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );

  const pageUrl = (path: string, query: Query, offset: number, count: number) => {
    const u = new URL(`${base()}${path}`);
    for (const [k, v] of Object.entries(query)) {
      if (k === '_offset' || k === '_count' || v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) u.searchParams.append(k, one);
    }
    u.searchParams.set('_count', String(count));
    u.searchParams.set('_offset', String(offset));
    return u.toString();
  };
  const links = (path: string, query: Query, offset: number, count: number, total: number) => [
    { relation: 'self', url: pageUrl(path, query, offset, count) },
    ...(count > 0 && offset + count < total
      ? [{ relation: 'next', url: pageUrl(path, query, offset + count, count) }]
      : []),
    ...(offset > 0 ? [{ relation: 'previous', url: pageUrl(path, query, Math.max(0, offset - count), count) }] : []),
  ];
  const fhir = (reply: FastifyReply, body: Json, status = 200) => reply.code(status).type(FHIR_JSON).send(body);

  const typeOf = (raw: string): ResourceType => {
    if (raw === 'Location' || raw === 'Organization') return raw;
    throw new HttpError(404, `Unknown resource type '${raw}': this directory serves Location and Organization`);
  };

  app.get('/fhir/metadata', async (_request, reply) => fhir(reply, capabilityStatement(history)));

  const historyEntry = (v: Version): Json => ({
    fullUrl: `${base()}/${v.type}/${v.id}`,
    ...(v.resource ? { resource: v.resource } : {}),
    request: { method: v.method, url: v.method === 'POST' ? v.type : `${v.type}/${v.id}` },
    response: {
      status: v.method === 'POST' ? '201 Created' : v.method === 'DELETE' ? '204 No Content' : '200 OK',
      ...(v.method === 'DELETE' && options.deleteEntries === 'bare'
        ? {}
        : { etag: `W/"${v.versionId}"`, lastModified: v.lastUpdated }),
    },
  });

  const historyBundle = (path: string, query: Query, versions: Version[]): Json => {
    for (const k of Object.keys(query))
      if (!['_since', '_count', '_offset', '_format', '_pretty'].includes(k))
        throw new HttpError(400, `Unknown history parameter '${k}'; known: _since, _count`);
    const { count, offset } = paging(query, pageSize);
    const page = versions.slice(offset, offset + count);
    return {
      resourceType: 'Bundle',
      type: 'history',
      total: versions.length,
      link: links(path, query, offset, count, versions.length),
      entry: page.map(historyEntry),
    };
  };

  const since = (query: Query): number | undefined => {
    const raw = query._since;
    if (raw === undefined) return undefined;
    const t = Date.parse(String(raw));
    if (!/^\d{4}-\d{2}-\d{2}T/.test(String(raw)) || Number.isNaN(t))
      throw new HttpError(400, `_since=${String(raw)}: expected an instant (e.g. 2024-01-15T08:00:00.000Z)`);
    return t;
  };

  const historyOff = () => {
    if (!history)
      throw new HttpError(options.historyOffStatus ?? 405, 'History is not supported by this directory (sandbox)');
  };

  app.get<{ Params: { type: string }; Querystring: Query }>('/fhir/:type/_history', async (request, reply) => {
    historyOff();
    const type = typeOf(request.params.type);
    return fhir(reply, historyBundle(`/${type}/_history`, request.query, state.history(type, since(request.query))));
  });

  app.get<{ Params: { type: string; id: string }; Querystring: Query }>(
    '/fhir/:type/:id/_history',
    async (request, reply) => {
      historyOff();
      const type = typeOf(request.params.type);
      if (!state.latest(type, request.params.id)) throw new HttpError(404, `${type}/${request.params.id} is not known`);
      const versions = state.history(type, since(request.query), request.params.id);
      return fhir(reply, historyBundle(`/${type}/${request.params.id}/_history`, request.query, versions));
    },
  );

  app.get<{ Params: { type: string; id: string; vid: string } }>(
    '/fhir/:type/:id/_history/:vid',
    async (request, reply) => {
      const type = typeOf(request.params.type);
      const v = state.version(type, request.params.id, request.params.vid);
      if (!v) throw new HttpError(404, `${type}/${request.params.id}/_history/${request.params.vid} is not known`);
      if (!v.resource) throw new HttpError(410, `${type}/${request.params.id} version ${v.versionId} is a deletion`);
      return fhir(reply.header('etag', `W/"${v.versionId}"`).header('last-modified', v.lastUpdated), v.resource);
    },
  );

  app.get<{ Params: { type: string; id: string } }>('/fhir/:type/:id', async (request, reply) => {
    const type = typeOf(request.params.type);
    const v = state.latest(type, request.params.id);
    if (!v) throw new HttpError(404, `${type}/${request.params.id} is not known`);
    if (!v.resource) throw new HttpError(410, `${type}/${request.params.id} was deleted`);
    return fhir(reply.header('etag', `W/"${v.versionId}"`).header('last-modified', v.lastUpdated), v.resource);
  });

  app.get<{ Params: { type: string }; Querystring: Query }>('/fhir/:type', async (request, reply) => {
    const type = typeOf(request.params.type);
    const fresh = search(type, state.visible(type), request.query, pageSize, undefined, options.ignoreSort);
    const reused = reusedSearch(request.url, request.headers['cache-control']);
    const r = reused
      ? { ...fresh, page: reused.ids.map((id) => state.latest(type, id)?.resource).filter((x) => !!x) }
      : fresh;
    const made = reused?.at ?? state.now();
    if (!reused && options.reuseSearchesMs !== undefined)
      searchCache.set(request.url, { at: made, ids: fresh.page.map((x) => String(x.id)) });
    const dated = options.searchTime === 'date';
    if (dated) reply.header('date', new Date(made).toUTCString());
    return fhir(reply, {
      resourceType: 'Bundle',
      // as HAPI: the search's time, so a client paging an unsorted list knows what changed during it
      ...(dated ? {} : { meta: { lastUpdated: made } }),
      type: 'searchset',
      total: r.total,
      link: links(`/${type}`, request.query, r.offset, r.count, r.total),
      entry: r.page.map((resource) => ({
        fullUrl: `${base()}/${type}/${resource.id}`,
        resource,
        search: { mode: 'match' },
      })),
    });
  });

  registerControlRoutes(app, state, faults, (on) => (history = on));

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  root = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url: base(),
    root,
    state,
    faults,
    requests,
    setHistory: (on) => (history = on),
    app,
    close: () => app.close(),
  };
}

/** Test and demo control: what a registry's users do, plus faults and the history switch. */
function registerControlRoutes(
  app: FastifyInstance,
  state: MfrState,
  faults: FaultController,
  setHistory: (on: boolean) => void,
): void {
  type P = { Params: { id: string }; Body: Json | undefined };
  const body = (request: { body?: Json | undefined }): Json => request.body ?? {};
  const text = (b: Json, name: string): string => {
    if (typeof b[name] !== 'string' || b[name] === '')
      throw new HttpError(400, `body.${name} must be a non-empty string`);
    return b[name] as string;
  };
  const summary = (v: Version) => ({ id: v.id, versionId: String(v.versionId), lastUpdated: v.lastUpdated });

  app.get('/_sandbox/state', async () => state.summary());
  app.post<P>('/_sandbox/locations/:id/rename', async (request) =>
    summary(state.rename(request.params.id, text(body(request), 'name'))),
  );
  app.post<P>('/_sandbox/locations/:id/move', async (request) =>
    summary(state.move(request.params.id, text(body(request), 'partOf'))),
  );
  app.post<P>('/_sandbox/locations/:id/close', async (request) => summary(state.close(request.params.id)));
  app.post<P>('/_sandbox/locations/:id/reopen', async (request) => summary(state.reopen(request.params.id)));
  app.post<P>('/_sandbox/locations/:id/unpublish', async (request) => ({ id: state.unpublish(request.params.id) }));
  app.delete<P>('/_sandbox/locations/:id', async (request) => summary(state.delete(request.params.id)));
  app.post<{ Body: Json | undefined }>('/_sandbox/locations', async (request, reply) => {
    const b = body(request);
    const point = b.position
      ? ([Number(b.position.longitude), Number(b.position.latitude)] as [number, number])
      : undefined;
    if (point && !point.every(Number.isFinite))
      throw new HttpError(400, 'body.position needs numeric latitude and longitude');
    if (b.kind !== undefined && b.kind !== 'facility' && b.kind !== 'area')
      throw new HttpError(400, `body.kind must be facility or area, got ${JSON.stringify(b.kind)}`);
    const v = state.open({
      code: text(b, 'code'),
      name: text(b, 'name'),
      parent: typeof b.partOf === 'string' ? b.partOf : undefined,
      kind: b.kind,
      point,
      service: typeof b.service === 'string' ? b.service : undefined,
    });
    return reply.code(201).send(summary(v));
  });
  app.put<{ Body: Json | undefined }>('/_sandbox/history', async (request) => {
    const on = body(request).enabled;
    if (typeof on !== 'boolean') throw new HttpError(400, 'body.enabled must be true or false');
    setHistory(on);
    return { history: on };
  });
  app.get('/_sandbox/faults', async () => faults.list());
  app.post('/_sandbox/faults', async (request, reply) => {
    try {
      return reply.code(201).send(faults.add(request.body as FaultRuleInput));
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  });
  app.delete('/_sandbox/faults', async (_request, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
}
