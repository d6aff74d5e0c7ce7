import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SandboxError, notFound, restError } from './errors.js';
import { markEchoSecrets, registerEchoSecrets } from '../openlmis/echo-secrets.js';
import { FaultController, type FaultAction, type FaultRuleInput } from './faults.js';
import { faultDelay } from '../openlmis/fault-delay.js';
import { searchFhirLocations, toFhirLocation } from './fhir2.js';
import { LocationService } from './locations.js';
import { pageOf } from './paging.js';
import { DEFAULT, FULL, parseRep, render } from './representation.js';
import { buildResources } from './resources.js';
import { buildSeed } from './seed.js';
import { OpenMrsStore, byUuid, type Caller } from './state.js';
import { registerStockRoutes, StockService } from './stock.js';

/**
 * An OpenMRS simulator: REST session, location (with tags, attribute types, attributes, retire and
 * unretire, representations, q/tag search, paging links, includeAll), the stock management
 * module's resources, and a FHIR2 Location endpoint with FHIR2's losses. Served under /openmrs,
 * as a real server is (`openmrs.baseUrl` = `<url>/openmrs`). Control API under /_sandbox.
 */
export interface OpenMrsSandboxOptions {
  port?: number;
  host?: string;
  /** Session inactivity timeout (Tomcat's default 30 min). */
  sessionTtlSeconds?: number;
  /** May an anonymous caller read locations, as on installs whose login page lists them (default true). */
  anonymousReads?: boolean;
  /** The URL OpenMRS writes into links (GP webservices.rest.uriPrefix); default its own. */
  uriPrefix?: string;
  faults?: FaultRuleInput[];
  logger?: boolean;
  /** Searches the FHIR2 paging FIFO keeps (HAPI FifoMemoryPagingProvider, 100 in the module). */
  fhirPagingCapacity?: number;
}

export interface OpenMrsSandbox {
  /** Base URL to configure as openmrs.baseUrl (ends in /openmrs). */
  url: string;
  store: OpenMrsStore;
  faults: FaultController;
  stock: StockService;
  app: FastifyInstance;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
    afterApply?: Extract<FaultAction, { type: 'afterApply' }>['answer'];
  }
}

const REST = '/openmrs/ws/rest/v1';
const FHIR = '/openmrs/ws/fhir2/R4';

export async function startOpenMrsSandbox(options: OpenMrsSandboxOptions = {}): Promise<OpenMrsSandbox> {
  const store = new OpenMrsStore(
    buildSeed(),
    (options.sessionTtlSeconds ?? 1800) * 1000,
    options.anonymousReads ?? true,
  );
  const faults = new FaultController();
  for (const f of options.faults ?? []) faults.add(f);
  let url = '';
  const restBase = () => options.uriPrefix ?? `${url}/ws/rest/v1`;
  const res = buildResources(store, restBase);
  const locations = new LocationService(store);
  const stock = new StockService(store);
  const hung = new Set<Socket>();

  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (!text.trim()) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(restError(400, `Could not read JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof SandboxError) return reply.code(err.status).type(err.contentType).send(err.body);
    return reply.code(500).send({ error: { message: `[${(err as Error).message}]`, code: 'sandbox:500', detail: '' } });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).type('text/html').send('<html><body>HTTP Status 404 – Not Found</body></html>'),
  );

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (!path.startsWith('/openmrs/ws/')) return;
    const action = faults.match(request.method, path);
    if (action) {
      switch (action.type) {
        case 'status':
          for (const [k, v] of Object.entries(action.headers ?? {})) reply.header(k, v);
          return reply
            .code(action.status)
            .send(action.body ?? { error: { message: `[fault ${action.status}]`, code: 'sandbox:fault', detail: '' } });
        case 'delay':
          await faultDelay(action.ms);
          break;
        case 'hang':
          reply.hijack();
          hung.add(request.raw.socket);
          return;
        case 'reset':
          reply.hijack();
          request.raw.socket.destroy();
          return;
        case 'expireSession': {
          const id = /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
          if (id) store.sessions.delete(id);
          break;
        }
        case 'afterApply':
          request.afterApply = action.answer;
          break;
        case 'echoSecrets':
          markEchoSecrets(request, action.status);
          break;
      }
    }
    const caller = store.authenticate(request.headers.cookie, request.headers.authorization);
    if (caller.newCookie) reply.header('set-cookie', caller.newCookie);
    request.caller = caller;
  });
  registerEchoSecrets(app, {
    realm: 'OpenMRS',
    // OpenMRS's REST error: the message in brackets, a stack trace in `detail`
    shape: (_status, path, said) => ({
      error: {
        message: `[${said}]`,
        code: 'sandbox:echo',
        detail: `java.lang.IllegalStateException: ${said}\n\tat ${path}`,
      },
    }),
    loginPath: '/openmrs/login.htm',
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const lost = request.afterApply;
    if (!lost || reply.statusCode >= 300) return payload;
    if (lost.type === 'reset') {
      request.raw.socket.destroy();
      return payload;
    }
    if (lost.type === 'hang') {
      // held until the caller goes away (or the sandbox closes): the answer never reaches it
      const socket = request.raw.socket;
      hung.add(socket);
      await new Promise((r) => socket.once('close', r));
      hung.delete(socket);
      return payload;
    }
    reply.code(lost.status);
    if (lost.body !== undefined) return lost.body;
    return JSON.stringify({
      error: { message: '[the answer was lost after the change was applied]', code: 'sandbox:afterApply', detail: '' },
    });
  });
  app.addHook('preClose', async () => {
    for (const s of hung) s.destroy();
  });

  const caller = (req: FastifyRequest) => req.caller!;
  const user = (req: FastifyRequest, privilege: string) => {
    store.require(caller(req), privilege);
    return caller(req).user!;
  };
  type Q = Record<string, string | undefined>;
  const q = (req: FastifyRequest) => req.query as Q;
  const selfUrl = (req: FastifyRequest) => `${restBase()}${req.url.split('?')[0].slice(REST.length)}`;

  // session ---------------------------------------------------------------------------------------
  const sessionBody = (c: Caller) => {
    if (!c.user) return { sessionId: c.session.id, authenticated: false };
    const u = c.user;
    return {
      sessionId: c.session.id,
      authenticated: true,
      user: {
        uuid: u.uuid,
        display: u.display,
        username: u.username,
        systemId: u.username,
        userProperties: { loginAttempts: '0' },
        person: { uuid: u.personUuid },
        privileges: [],
        roles: u.roles,
      },
      locale: c.session.locale,
      allowedLocales: ['en', 'en_GB', 'es', 'fr', 'it', 'pt'],
      sessionLocation: c.session.sessionLocationUuid
        ? res.location.ref(store.locations.get(c.session.sessionLocationUuid)!)
        : null,
      currentProvider: null,
    };
  };
  app.get(`${REST}/session`, async (req) => sessionBody(caller(req)));
  app.post(`${REST}/session`, async (req) => {
    const c = caller(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.sessionLocation === 'string') {
      if (!store.locations.get(body.sessionLocation)) throw restError(400, 'Invalid session location');
      c.session.sessionLocationUuid = body.sessionLocation;
    }
    if (typeof body.locale === 'string') c.session.locale = body.locale;
    return sessionBody(c);
  });
  app.delete(`${REST}/session`, async (req, reply) => {
    store.sessions.delete(caller(req).session.id);
    return reply.code(204).send();
  });

  // location --------------------------------------------------------------------------------------
  app.get(`${REST}/location`, async (req) => {
    store.require(caller(req), 'Get Locations', true);
    const query = q(req);
    const found = locations.search({ q: query.q, tag: query.tag, includeAll: query.includeAll === 'true' });
    const rep = parseRep(query.v);
    const page = pageOf(found, query, selfUrl(req));
    page.results = (page.results as typeof found).map((l) => render(res.location, l, rep));
    return page;
  });
  app.get(`${REST}/location/:uuid`, async (req) => {
    store.require(caller(req), 'Get Locations', true);
    return render(res.location, locations.find((req.params as Q).uuid!), parseRep(q(req).v));
  });
  app.post(`${REST}/location`, async (req, reply) => {
    const l = locations.create(req.body as Record<string, unknown>, user(req, 'Manage Locations'));
    return reply.code(201).send(render(res.location, l, parseRep(q(req).v)));
  });
  app.post(`${REST}/location/:uuid`, async (req) => {
    const l = locations.update(
      (req.params as Q).uuid!,
      req.body as Record<string, unknown>,
      user(req, 'Manage Locations'),
    );
    return render(res.location, l, parseRep(q(req).v));
  });
  app.delete(`${REST}/location/:uuid`, async (req, reply) => {
    const who = user(req, 'Manage Locations');
    if (q(req).purge === 'true') locations.purge((req.params as Q).uuid!);
    else locations.retire((req.params as Q).uuid!, q(req).reason, who);
    return reply.code(204).send();
  });
  app.get(`${REST}/location/:uuid/attribute`, async (req) => {
    store.require(caller(req), 'Get Locations', true);
    const l = locations.find((req.params as Q).uuid!);
    const rep = parseRep(q(req).v);
    return {
      results: l.attributes
        .filter((a) => !a.voided)
        .map((a) => render(res.attribute, { location: l, attribute: a }, rep)),
    };
  });
  app.post(`${REST}/location/:uuid/attribute`, async (req, reply) => {
    const l = locations.find((req.params as Q).uuid!);
    const a = locations.addAttribute(l.uuid, req.body as Record<string, unknown>, user(req, 'Manage Locations'));
    return reply.code(201).send(render(res.attribute, { location: l, attribute: a }, DEFAULT));
  });
  app.post(`${REST}/location/:uuid/attribute/:attr`, async (req) => {
    const { uuid, attr } = req.params as Q;
    const l = locations.find(uuid!);
    const a = locations.updateAttribute(
      l.uuid,
      attr!,
      req.body as Record<string, unknown>,
      user(req, 'Manage Locations'),
    );
    return render(res.attribute, { location: l, attribute: a }, DEFAULT);
  });
  app.delete(`${REST}/location/:uuid/attribute/:attr`, async (req, reply) => {
    const { uuid, attr } = req.params as Q;
    user(req, 'Manage Locations');
    locations.voidAttribute(uuid!, attr!);
    return reply.code(204).send();
  });

  // metadata --------------------------------------------------------------------------------------
  app.get(`${REST}/locationtag`, async (req) => {
    store.require(caller(req), 'Get Location Tags', true);
    const query = q(req);
    const found = [...store.tags.values()].filter(
      (t) =>
        (query.includeAll === 'true' || !t.retired) &&
        (!query.q || t.name.toLowerCase().startsWith(query.q.toLowerCase())),
    );
    const page = pageOf(found, query, selfUrl(req));
    page.results = (page.results as typeof found).map((t) => render(res.tag, t, parseRep(query.v)));
    return page;
  });
  app.get(`${REST}/locationtag/:uuid`, async (req) => {
    store.require(caller(req), 'Get Location Tags', true);
    const t = store.tag((req.params as Q).uuid!);
    if (!t) throw notFound();
    return render(res.tag, t, parseRep(q(req).v));
  });
  app.get(`${REST}/locationattributetype`, async (req) => {
    store.require(caller(req), 'Get Location Attribute Types');
    const query = q(req);
    const found = [...store.attributeTypes.values()].filter(
      (t) =>
        (query.includeAll === 'true' || !t.retired) &&
        (!query.q || t.name.toLowerCase().includes(query.q.toLowerCase())),
    );
    const page = pageOf(found, query, selfUrl(req));
    page.results = (page.results as typeof found).map((t) => render(res.attributeType, t, parseRep(query.v)));
    return page;
  });
  app.get(`${REST}/locationattributetype/:uuid`, async (req) => {
    store.require(caller(req), 'Get Location Attribute Types');
    const t = store.attributeTypes.get((req.params as Q).uuid!);
    if (!t) throw notFound();
    return render(res.attributeType, t, parseRep(q(req).v, FULL));
  });

  // FHIR2 -----------------------------------------------------------------------------------------
  // HAPI's FifoMemoryPagingProvider(100) as the FHIR2 module configures it: a search's results are
  // kept under an id in a FIFO of `fhirPagingCapacity` searches; a page of an evicted one is 410
  const searches = new Map<string, string[]>();
  const fhirPage = (reply: FastifyReply, id: string, ids: string[], offset: number, count: number) => {
    const next =
      offset + count < ids.length
        ? [
            {
              relation: 'next',
              url: `${url}/ws/fhir2/R4?_getpages=${id}&_getpagesoffset=${offset + count}&_count=${count}&_bundletype=searchset`,
            },
          ]
        : [];
    return reply.type('application/fhir+json').send({
      resourceType: 'Bundle',
      type: 'searchset',
      total: ids.length,
      link: [{ relation: 'self', url: `${url}/ws/fhir2/R4/Location` }, ...next],
      entry: ids
        .slice(offset, offset + count)
        .map((uuid) => store.locations.get(uuid))
        .filter((l) => !!l)
        .map((l) => ({
          fullUrl: `${url}/ws/fhir2/R4/Location/${l!.uuid}`,
          resource: toFhirLocation(store, l!),
          search: { mode: 'match' },
        })),
    });
  };
  app.get(`${FHIR}/Location`, async (req, reply) => {
    store.require(caller(req), 'Get Locations', true);
    const query = q(req);
    const count = Math.min(100, Math.max(1, Number(query._count ?? 10) || 10));
    const ids = searchFhirLocations(store, query).map((l) => l.uuid);
    const id = randomUUID();
    searches.set(id, ids);
    while (searches.size > (options.fhirPagingCapacity ?? 100)) searches.delete(searches.keys().next().value!);
    return fhirPage(reply, id, ids, 0, count);
  });
  app.get(FHIR, async (req, reply) => {
    store.require(caller(req), 'Get Locations', true);
    const query = q(req);
    const ids = query._getpages ? searches.get(query._getpages) : undefined;
    if (!ids)
      return reply
        .code(410)
        .type('application/fhir+json')
        .send({
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'processing',
              diagnostics: `Search ID "${query._getpages}" does not exist and may have expired`,
            },
          ],
        });
    return fhirPage(
      reply,
      query._getpages!,
      ids,
      Math.max(0, Number(query._getpagesoffset) || 0),
      Math.min(100, Math.max(1, Number(query._count ?? 10) || 10)),
    );
  });
  app.get(`${FHIR}/Location/:id`, async (req, reply) => {
    store.require(caller(req), 'Get Locations', true);
    const l = byUuid(store.locations, (req.params as Q).id!);
    if (!l)
      return reply
        .code(404)
        .type('application/fhir+json')
        .send({
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'processing',
              diagnostics: `Resource of type Location with ID ${(req.params as Q).id} is not known`,
            },
          ],
        });
    return reply.type('application/fhir+json').send(toFhirLocation(store, l));
  });

  registerStockRoutes(app, { store, stock, selfUrl, restBase, user, caller: (req) => req.caller! });

  // control ---------------------------------------------------------------------------------------
  app.get('/_sandbox/state', async () => ({
    writes: store.writes,
    sessions: store.sessions.size,
    locations: store.locations.size,
    ...stock.counts(),
  }));
  app.post('/_sandbox/expire-sessions', async () => ({ expired: store.expireSessions() }));
  app.get('/_sandbox/faults', async () => faults.list());
  app.post('/_sandbox/faults', async (req, reply) => {
    try {
      return reply.code(201).send(faults.add(req.body as FaultRuleInput));
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  app.delete('/_sandbox/faults', async (_req, reply) => {
    faults.clear();
    return reply.code(204).send();
  });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  url = `http://${options.host ?? '127.0.0.1'}:${port}/openmrs`;
  return { url, store, faults, stock, app, close: () => app.close() };
}
