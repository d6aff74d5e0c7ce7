import { wallTime, zoneDisplayName } from './server-zone.js';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { markEchoSecrets, registerEchoSecrets } from '../openlmis/echo-secrets.js';
import { FaultController, type AfterApplyAnswer, type FaultAction, type FaultRuleInput } from '../openlmis/faults.js';
import { faultDelay } from '../openlmis/fault-delay.js';
import { IMPORT_OPTIONS, ImportJobs, exportDataValues, importDataValues } from './datavalues.js';
import { failedTaskSummary } from './import-failures.js';
import { createOrgUnit, replaceOrgUnit } from './orgunits.js';
import { QueryError, many, pageOf, parseFields, parseFilter, project } from './query.js';
import { DEFAULT_CATEGORY_COMBO, ORG_UNIT_LEVELS, seedUid } from './seed.js';
import { Dhis2State, type BulkSeed, type DataSet } from './state.js';
import { registerEntryControls } from './entry-controls.js';
import { TrackerState, registerTrackerRoutes } from './tracker.js';
import { mediatorSettings } from './mediator-settings.js';
import { SandboxError, errorMessage, notFound, webMessage } from './webmessage.js';

/**
 * A DHIS2 Web API simulator for the connector's endpoints (docs.dhis2.org developer/web-api),
 * answers shaped like the payloads in dhis2-core and the Android SDK test resources: Basic and
 * personal-access-token auth, `system/info` of a configurable version, `me`, UIDs, org units with
 * `fields`/`filter`/`pager`, levels, data elements and sets, `dataValueSets` import and export.
 * Faults as in the OpenLMIS sandbox (sandbox/openlmis/faults.ts), with WebMessage bodies.
 */
type Json = Record<string, any>;

export interface Dhis2SandboxOptions {
  port?: number;
  host?: string;
  /** The version `system/info` reports and the answers follow (default 2.41.3). */
  version?: string;
  faults?: FaultRuleInput[];
  /** Benchmarks: more org units and products than the demo's (state.ts BulkSeed). */
  bulk?: BulkSeed;
  logger?: boolean;
  random?: () => number;
  /** How long an async import (data values task, tracker job) runs before it is done (default 20 ms). */
  jobDelayMs?: number;
  /**
   * The server's time zone (an IANA id, default `Etc/UTC`): `system/info` reports it, and tracker
   * events keep and export their times as wall time in it (server-zone.ts).
   */
  timeZone?: string;
}

export interface Dhis2Sandbox {
  url: string;
  state: Dhis2State;
  tracker: TrackerState;
  /** Async data value imports (`?async=true`), for tests that make the server forget them. */
  dataValueJobs: ImportJobs;
  faults: FaultController;
  app: FastifyInstance;
  close: () => Promise<void>;
}

const OPEN = new Set(['/api/system/ping']);

function authenticate(state: Dhis2State, request: FastifyRequest): string {
  const header = String(request.headers.authorization ?? '');
  const [scheme, value = ''] = header.split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const user = state.users.find((u) => u.username === decoded.slice(0, i));
    const refusal = state.logins.check(decoded.slice(0, i), !!user, user?.password === decoded.slice(i + 1));
    if (!refusal) return user!.username;
    throw new SandboxError(401, webMessage(401, 'ERROR', refusal));
  } else if (scheme === 'ApiToken') {
    const user = state.tokens.get(value);
    if (user) return user;
  }
  throw new SandboxError(401, webMessage(401, 'ERROR', 'Unauthorized'));
}

const lostAnswers = new WeakMap<FastifyRequest['raw'], AfterApplyAnswer>();

async function applyFault(
  action: FaultAction,
  request: FastifyRequest,
  reply: FastifyReply,
  hung: Set<Socket>,
): Promise<void> {
  switch (action.type) {
    case 'status':
      for (const [k, v] of Object.entries(action.headers ?? {})) reply.header(k, v);
      await reply
        .code(action.status)
        .send(action.body ?? webMessage(action.status, 'ERROR', `Sandbox fault: ${action.status}`));
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
    case 'afterApply':
      lostAnswers.set(request.raw, action.answer);
      return;
    case 'echoSecrets':
      markEchoSecrets(request, action.status);
      return;
    default:
      return;
  }
}

/** A metadata collection: `fields`, `filter` (AND, or OR with rootJunction), `order`, paging with `pager` (or paging=false). */
function listAnswer(state: Dhis2State, request: FastifyRequest, key: string, all: Json[], url: string): Json {
  const q = request.query as Json;
  let items = all;
  try {
    const filters = many(q.filter).map((f) => parseFilter(f, (v, n) => v[n]));
    if (filters.length)
      items = items.filter((o) => (q.rootJunction === 'OR' ? filters.some((f) => f(o)) : filters.every((f) => f(o))));
  } catch (err) {
    if (err instanceof QueryError) throw errorMessage(400, err.message);
    throw err;
  }
  if (q.query) {
    const s = String(q.query).toLowerCase();
    items = items.filter(
      (o) =>
        o.id === q.query ||
        String(o.code ?? '').toLowerCase() === s ||
        String(o.name ?? '')
          .toLowerCase()
          .includes(s),
    );
  }
  const order = typeof q.order === 'string' ? q.order.split(':') : undefined;
  if (order) {
    const [prop, dir] = order;
    items = [...items].sort((a, b) => (a[prop] < b[prop] ? -1 : a[prop] > b[prop] ? 1 : 0) * (dir === 'desc' ? -1 : 1));
  }
  const fields = parseFields(typeof q.fields === 'string' ? q.fields : 'id,displayName');
  if (q.paging === 'false') {
    state.pagingFalse++;
    return { [key]: items.map((o) => project(o, fields)) };
  }
  const { pager, items: page } = pageOf(items, q, url);
  return { pager, [key]: page.map((o) => project(o, fields)) };
}

export async function startDhis2Sandbox(options: Dhis2SandboxOptions = {}): Promise<Dhis2Sandbox> {
  const state = new Dhis2State(options.version ?? '2.41.3', options.bulk);
  if (options.timeZone) state.timeZone = options.timeZone;
  const tracker = new TrackerState(state);
  const faults = new FaultController(options.random);
  for (const f of options.faults ?? []) faults.add(f);
  const jobs = new ImportJobs(options.jobDelayMs);
  let baseUrl = '';
  // /api/41/organisationUnits is /api/organisationUnits
  const app = Fastify({
    logger: options.logger ?? false,
    forceCloseConnections: true,
    rewriteUrl: (req) => (req.url ?? '/').replace(/^\/api\/\d{2}\//, '/api/'),
  });
  const hung = new Set<Socket>();
  const users = new WeakMap<FastifyRequest['raw'], string>();
  const userOf = (request: FastifyRequest) => users.get(request.raw) ?? 'unknown';

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/_sandbox')) return;
    state.hit(request.method, path);
    const action = faults.match(request.method, path);
    if (action) await applyFault(action, request, reply, hung);
    if (reply.sent || action?.type === 'hang' || action?.type === 'reset') return;
    if (!OPEN.has(path)) users.set(request.raw, authenticate(state, request));
  });
  registerEchoSecrets(app, {
    realm: 'DHIS2',
    shape: (status, _path, said) => webMessage(status, status < 400 ? 'OK' : 'ERROR', said),
    loginPath: '/dhis-web-login/',
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const answer = lostAnswers.get(request.raw);
    if (!answer || reply.statusCode >= 300) return payload;
    lostAnswers.delete(request.raw);
    const socket = request.raw.socket;
    if (answer.type === 'status') {
      reply.code(answer.status).header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(webMessage(answer.status, 'ERROR', `Sandbox fault: ${answer.status}`));
    }
    if (answer.type === 'reset') {
      socket.destroy();
      return payload;
    }
    hung.add(socket);
    await new Promise((r) => socket.once('close', r));
    hung.delete(socket);
    return payload;
  });
  app.addHook('preClose', async () => {
    for (const s of hung) s.destroy();
    hung.clear();
  });
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof SandboxError) return reply.code(error.statusCode).send(error.body);
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send(webMessage(status, 'ERROR', (error as Error).message));
    request.log.error(error);
    return reply.code(500).send(webMessage(500, 'ERROR', 'Internal server error'));
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send(webMessage(404, 'ERROR', 'Not Found')));

  const urlOf = (request: FastifyRequest) => `${baseUrl}${request.url}`;

  app.get('/api/system/ping', async () => 'pong');
  app.get('/api/system/info', async () => ({
    contextPath: baseUrl,
    userAgent: 'sandbox',
    calendar: 'iso8601',
    dateFormat: 'yyyy-mm-dd',
    serverDate: wallTime(state.now(), state.timeZone),
    serverTimeZoneId: state.timeZone,
    serverTimeZoneDisplayName: zoneDisplayName(state.timeZone),
    version: state.version,
    revision: 'sandbox',
    buildTime: '2024-01-01T00:00:00.000',
    jasperReportsVersion: '6.20.1',
    environmentVariable: 'DHIS2_HOME',
    readOnlyMode: 'off',
    nodeId: 'sandbox',
    javaVersion: '17.0.9',
    javaVendor: 'Eclipse Adoptium',
    javaOpts: '',
    osName: 'Linux',
    osArchitecture: 'amd64',
    osVersion: '6.1',
    externalDirectory: '/opt/dhis2',
    databaseInfo: { spatialSupport: true },
    memoryInfo: 'sandbox',
    cpuCores: 2,
    encryption: false,
    emailConfigured: false,
    redisEnabled: false,
    systemId: 'b1c5c6e1-0000-4000-8000-000000000000',
    systemName: 'Lakeland HMIS (sandbox)',
    instanceBaseUrl: baseUrl,
    clusterHostname: '',
    isMetadataVersionEnabled: true,
    metadataSyncEnabled: false,
  }));
  app.get('/api/me', async (request) => {
    const username = userOf(request);
    const user = state.users.find((u) => u.username === username)!;
    const capture = user.captureOrgUnits.map((k) => state.orgUnitByCode(k)?.id ?? k);
    const me: Json = {
      id: seedUid(`user:${username}`),
      username,
      name: user.name,
      displayName: user.name,
      firstName: user.name.split(' ')[0],
      surname: user.name.split(' ').slice(1).join(' '),
      organisationUnits: capture.map((id) => ({ id })),
      dataViewOrganisationUnits: capture.map((id) => ({ id })),
      teiSearchOrganisationUnits: [],
      authorities: user.superuser
        ? ['ALL']
        : ['F_ORGANISATIONUNIT_ADD', 'F_DATAVALUE_ADD', 'F_TRACKED_ENTITY_DATAVALUE_ADD'],
      settings: { keyUiLocale: 'en', keyDbLocale: 'en' },
      programs: [],
      dataSets: [...state.dataSets.values()].filter((d) => state.canDataWrite(user, d)).map((d) => d.id),
    };
    const q = request.query as Json;
    return typeof q.fields === 'string' ? project(me, parseFields(q.fields)) : me;
  });
  app.get('/api/system/id', async (request) => {
    const limit = Math.min(10_000, Math.max(1, Number((request.query as Json).limit ?? 1) || 1));
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const all = `0123456789${letters}`;
    const one = () =>
      letters[Math.floor(Math.random() * 52)] +
      Array.from({ length: 10 }, () => all[Math.floor(Math.random() * 62)]).join('');
    return { codes: Array.from({ length: limit }, one) };
  });
  app.post('/api/apiToken', async (request, reply) => {
    const key = `d2pat_${Array.from({ length: 32 }, () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[Math.floor(Math.random() * 62)]).join('')}${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;
    state.tokens.set(key, userOf(request));
    return reply.code(201).send(
      webMessage(201, 'OK', undefined, {
        response: {
          responseType: 'ApiTokenCreationResponse',
          key,
          uid: seedUid(`token:${key}`),
          klass: 'org.hisp.dhis.security.apikey.ApiToken',
          errorReports: [],
        },
      }),
    );
  });

  // organisation units
  const orgUnitViews = () => [...state.orgUnits.values()].map((o) => state.orgUnitView(o));
  app.get('/api/organisationUnits', async (request) => {
    const q = request.query as Json;
    let all = orgUnitViews();
    if (q.level) all = all.filter((o) => o.level === Number(q.level));
    if (q.maxLevel) all = all.filter((o) => o.level <= Number(q.maxLevel));
    return listAnswer(state, request, 'organisationUnits', all, urlOf(request));
  });
  app.get<{ Params: { id: string } }>('/api/organisationUnits/:id', async (request) => {
    const ou = state.orgUnits.get(request.params.id);
    if (!ou) throw notFound('OrganisationUnit', request.params.id);
    const q = request.query as Json;
    const view = state.orgUnitView(ou);
    return typeof q.fields === 'string' && q.fields !== ':owner' && q.fields !== '*'
      ? project(view, parseFields(q.fields))
      : view;
  });
  app.post('/api/organisationUnits', async (request, reply) =>
    reply.code(201).send(createOrgUnit(state, request.body as Json)),
  );
  app.put<{ Params: { id: string } }>('/api/organisationUnits/:id', async (request) =>
    replaceOrgUnit(state, request.params.id, request.body as Json),
  );
  app.delete<{ Params: { id: string } }>('/api/organisationUnits/:id', async (request) => {
    // the mediator never deletes; the endpoint exists so a test can show it is never called
    if (!state.orgUnits.delete(request.params.id)) throw notFound('OrganisationUnit', request.params.id);
    return webMessage(200, 'OK', undefined, {
      response: {
        responseType: 'ObjectReport',
        uid: request.params.id,
        klass: 'org.hisp.dhis.organisationunit.OrganisationUnit',
        errorReports: [],
      },
    });
  });
  app.get('/api/organisationUnitLevels', async (request) =>
    listAnswer(
      state,
      request,
      'organisationUnitLevels',
      ORG_UNIT_LEVELS.map((name, i) => ({
        id: seedUid(`level:${name}`),
        level: i + 1,
        name,
        displayName: name,
        created: '2024-01-15T08:00:00.000',
        lastUpdated: '2024-01-15T08:00:00.000',
      })),
      urlOf(request),
    ),
  );

  // aggregate metadata
  app.get('/api/dataElements', async (request) =>
    listAnswer(
      state,
      request,
      'dataElements',
      [...state.dataElements.values()].map((d) => ({
        ...d,
        displayName: d.name,
        // references expand as deep as `fields` asks: categoryCombo[id,isDefault,categoryOptionCombos[id,code]]
        categoryCombo: state.comboOf(d),
      })),
      urlOf(request),
    ),
  );
  app.get('/api/categoryCombos', async (request) =>
    listAnswer(
      state,
      request,
      'categoryCombos',
      [...state.categoryCombos.values()].map((c) => ({ ...c, displayName: c.name })),
      urlOf(request),
    ),
  );
  app.get('/api/categoryOptionCombos', async (request) =>
    listAnswer(
      state,
      request,
      'categoryOptionCombos',
      [...state.categoryCombos.values()].flatMap((c) =>
        c.categoryOptionCombos.map((o) => ({ ...o, displayName: o.name, categoryCombo: { id: c.id } })),
      ),
      urlOf(request),
    ),
  );
  const dataSetView = (d: DataSet) => ({
    id: d.id,
    code: d.code,
    name: d.name,
    displayName: d.name,
    periodType: d.periodType,
    expiryDays: d.expiryDays,
    openFuturePeriods: d.openFuturePeriods,
    dataInputPeriods: d.dataInputPeriods.map((p) => ({
      period: { id: p.period },
      openingDate: p.openingDate,
      closingDate: p.closingDate,
    })),
    categoryCombo: { id: DEFAULT_CATEGORY_COMBO },
    dataSetElements: d.dataElements.map((id) => ({
      dataElement: { id, code: state.dataElements.get(id)?.code },
      dataSet: { id: d.id },
    })),
    organisationUnits: d.organisationUnits.map((id) => ({ id, code: state.orgUnits.get(id)?.code })),
  });
  app.get('/api/dataSets', async (request) =>
    listAnswer(state, request, 'dataSets', [...state.dataSets.values()].map(dataSetView), urlOf(request)),
  );
  app.get<{ Params: { id: string } }>('/api/dataSets/:id', async (request) => {
    const d = state.dataSets.get(request.params.id);
    if (!d) throw notFound('DataSet', request.params.id);
    const q = request.query as Json;
    return typeof q.fields === 'string' ? project(dataSetView(d), parseFields(q.fields)) : dataSetView(d);
  });

  // aggregate data
  app.post('/api/dataValueSets', async (request, reply) => {
    const q = request.query as Json;
    const run = () => importDataValues(state, request.body as Json, q, userOf(request));
    if (q.async === 'true')
      return reply
        .code(200)
        .send(jobs.start(run, (reason) => failedTaskSummary(state.major(), reason, IMPORT_OPTIONS(q))));
    const answer = run();
    return reply.code(answer.status).send(answer.body);
  });
  app.get('/api/dataValueSets', async (request) => exportDataValues(state, request.query as Json));
  app.get<{ Params: { id: string } }>('/api/system/tasks/DATAVALUE_IMPORT/:id', async (request) =>
    jobs.notifications(request.params.id),
  );
  app.get<{ Params: { id: string } }>('/api/system/taskSummaries/DATAVALUE_IMPORT/:id', async (request, reply) => {
    // no summary (an unknown task, one still running, one that failed up to 2.42): 200 without a
    // body (dhis2-core SystemController.getTaskSummaryJson, tags 2.36.0–2.43.1)
    const s = jobs.summary(request.params.id);
    if (!s) return reply.code(200).send();
    return s;
  });

  registerTrackerRoutes(app, state, tracker, () => baseUrl, options.jobDelayMs, userOf);

  // test and demo control (no auth, never faulted)
  app.get('/_sandbox/seed', async () => ({ ...state.summary(), settings: mediatorSettings() }));
  app.get('/_sandbox/state', async () => ({
    version: state.version,
    orgUnits: state.orgUnits.size,
    dataValues: state.dataValues.size,
    imports: state.imports,
    pagingFalse: state.pagingFalse,
    hits: Object.fromEntries(state.hits),
  }));
  app.put('/_sandbox/version', async (request) => {
    state.version = String((request.body as Json)?.version ?? state.version);
    return { version: state.version };
  });
  // imports that fail inside DHIS2 next (import-failures.ts): {count?, reason?}; DELETE: none
  app.post('/_sandbox/import-failures', async (request, reply) => {
    const b = (request.body ?? {}) as Json;
    const count = Math.max(1, Math.min(100, Number(b.count ?? 1) || 1));
    state.importFailures.failNext(count, typeof b.reason === 'string' && b.reason ? b.reason : undefined);
    return reply.code(201).send({ pending: state.importFailures.pending });
  });
  app.delete('/_sandbox/import-failures', async (_request, reply) => {
    state.importFailures.clear();
    return reply.code(204).send();
  });
  registerEntryControls(app, state);
  app.get('/_sandbox/faults', async () => faults.list());
  app.post('/_sandbox/faults', async (request, reply) => {
    try {
      return reply.code(201).send(faults.add(request.body as FaultRuleInput));
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  app.delete('/_sandbox/faults', async (_request, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
  // one fault by its id, as OpenLMIS's control API takes it (an outage ended, the other faults kept)
  app.delete<{ Params: { id: string } }>('/_sandbox/faults/:id', async (request, reply) =>
    reply.code(faults.remove(request.params.id) ? 204 : 404).send(),
  );

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return { url: baseUrl, state, tracker, dataValueJobs: jobs, faults, app, close: () => app.close() };
}
