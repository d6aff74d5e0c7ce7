/**
 * A simulator of the OpenHIM core mediator API (core ≤ v8.5.0 behaviour, reference/openhim.md
 * §1.2–1.3): register, list/read, heartbeat with config pull, config update, default channels.
 * Plain HTTP on 127.0.0.1 (openhim-mediator-utils works with http URLs), or HTTPS with a given
 * certificate as core's API serves by default; Basic auth, admin only.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { semverGt } from './semver.js';
import {
  maskPasswords,
  restoreMaskedPasswords,
  validateConfig,
  validateMediatorDocument,
  validateRegistration,
  ValidationError,
} from './validation.js';

export interface SandboxUser {
  email: string;
  password: string;
  admin: boolean;
}

export const DEFAULT_OPENHIM_USER: SandboxUser = {
  email: 'root@openhim.org',
  password: 'openhim-password',
  admin: true,
};

export interface StoredMediator {
  urn: string;
  version: string;
  name: string;
  config?: Record<string, unknown>;
  configDefs?: { param?: unknown; type?: unknown; values?: unknown; template?: unknown; array?: unknown }[];
  endpoints?: unknown[];
  defaultChannelConfig?: { name?: string }[];
  _configModifiedTS?: Date;
  _lastHeartbeat?: Date;
  _uptime?: number;
  [key: string]: unknown;
}

/**
 * A transaction as core stores it (model/transactions.js), the parts the mediator reads or writes:
 * made when core routes a request (messageStore.js storeTransaction), completed with the
 * mediator's envelope (storeResponse, setFinalStatus), updated by PUT /transactions/:id.
 */
export interface StoredTransaction {
  _id: string;
  status: string;
  channelID: string;
  request: { path: string; method: string; timestamp: string };
  response?: { status: number; headers?: Record<string, unknown>; body?: string; timestamp?: string };
  orchestrations: Record<string, unknown>[];
  properties?: Record<string, unknown>;
}

/** What core keeps of a mediator's `application/json+openhim` answer (router.js, messageStore.js). */
export interface MediatorEnvelope {
  status?: string;
  response?: StoredTransaction['response'];
  orchestrations?: Record<string, unknown>[];
  properties?: Record<string, unknown>;
}

let objectIdCounter = Math.floor(Math.random() * 0xffffff);

/** A new id as core's MongoDB makes them: 4 bytes of seconds, 5 random, a 3-byte counter (24 hex digits). */
export function newTransactionId(): string {
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  const random = Array.from({ length: 10 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  objectIdCounter = (objectIdCounter + 1) % 0x1000000;
  return seconds + random + objectIdCounter.toString(16).padStart(6, '0');
}

/**
 * The transaction core keeps for a request it routed to the mediator and the envelope the mediator
 * answered (its text or parsed), as a channel routing to it would leave it: Processing until then,
 * afterwards the envelope's status (or, without one, core's own from the response status),
 * response, orchestrations and properties.
 */
export function routedTransaction(
  id: string,
  request: { method: string; path: string },
  envelope?: MediatorEnvelope | string,
): StoredTransaction {
  const tx: StoredTransaction = {
    _id: id,
    status: 'Processing',
    channelID: '65a0c0ffee00000000000001',
    request: { path: request.path, method: request.method.toUpperCase(), timestamp: new Date().toISOString() },
    orchestrations: [],
  };
  if (envelope === undefined) return tx;
  const answer = (typeof envelope === 'string' ? JSON.parse(envelope) : envelope) as MediatorEnvelope;
  if (answer.response) tx.response = structuredClone(answer.response);
  tx.orchestrations = structuredClone(answer.orchestrations ?? []);
  if (answer.properties) tx.properties = structuredClone(answer.properties);
  const code = Number(answer.response?.status ?? 0);
  tx.status = answer.status ?? (code >= 500 ? 'Failed' : code >= 400 ? 'Completed' : 'Successful');
  return tx;
}

export interface OpenHimSandboxState {
  mediators: Map<string, StoredMediator>;
  channels: Record<string, unknown>[];
  /** Every API call, for assertions (method, url, status, heartbeat body). */
  calls: { method: string; url: string; status: number; body?: unknown }[];
  /** While true every call gets 503, as a core that is starting up behind a proxy would. */
  unavailable: boolean;
  /** Transactions core stored, by id: put here by a test as core's router would (routedTransaction). */
  transactions: Map<string, StoredTransaction>;
  /** Bodies of PUT /transactions/:id by transaction id, oldest first (async completion, §2). */
  transactionUpdates: Map<string, Record<string, unknown>[]>;
  /** How long each PUT /transactions/:id waits before it is answered (a slow core); 0 by default. */
  updateDelayMs: number;
  /**
   * PUT /transactions/:id applied and then never answered, this many more times: the connection is
   * reset after core wrote the update (a proxy timing out, core's answer lost on the way back).
   */
  lostUpdateAnswers: number;
}

export interface OpenHimSandbox {
  url: string;
  port: number;
  state: OpenHimSandboxState;
  users: SandboxUser[];
  close(): Promise<void>;
}

export interface OpenHimSandboxOptions {
  port?: number;
  host?: string;
  users?: SandboxUser[];
  /**
   * Serve HTTPS with this key and certificate (PEM), as core's API does by default with its
   * self-signed certificate (reference/openhim.md, "OpenHIM API"); plain HTTP without.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

// Core compares Dates with millisecond resolution; a logical clock keeps "changed since the last
// heartbeat" exact when a PUT and a heartbeat fall in the same millisecond.
const order = new WeakMap<Date, number>();
let tick = 0;
function stamp(): Date {
  const d = new Date();
  order.set(d, ++tick);
  return d;
}
const after = (a?: Date, b?: Date) =>
  a !== undefined && b !== undefined && (order.get(a) ?? a.getTime()) > (order.get(b) ?? b.getTime());

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authenticate(users: SandboxUser[], header: string | undefined): SandboxUser | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return undefined;
  const email = decoded.slice(0, sep);
  const password = decoded.slice(sep + 1);
  return users.find((u) => u.email === email && safeEqual(u.password, password));
}

/** What Mongoose's findByIdAndUpdate makes of an update body: `$push` appends, the rest is set. */
function applyUpdate(tx: StoredTransaction, body: Record<string, unknown>): void {
  const { $push, ...set } = body as { $push?: Record<string, unknown> };
  Object.assign(tx, structuredClone(set));
  for (const [field, value] of Object.entries($push ?? {})) {
    const items = (value as { $each?: unknown[] })?.$each ?? [value];
    const list = ((tx as unknown as Record<string, unknown[]>)[field] ??= []);
    list.push(...structuredClone(items));
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function publicView(mediator: StoredMediator, mask: boolean): StoredMediator {
  const copy = clone(mediator);
  if (mask) maskPasswords(copy.configDefs, copy.config);
  return copy;
}

export async function startOpenHimSandbox(options: OpenHimSandboxOptions = {}): Promise<OpenHimSandbox> {
  const users = options.users ?? [DEFAULT_OPENHIM_USER];
  const state: OpenHimSandboxState = {
    mediators: new Map(),
    channels: [],
    calls: [],
    unavailable: false,
    transactions: new Map(),
    transactionUpdates: new Map(),
    updateDelayMs: 0,
    lostUpdateAnswers: 0,
  };
  // typed as the HTTP instance: the routes below do not depend on the transport
  const app = Fastify({ logger: false, ...(options.tls ? { https: options.tls } : {}) }) as FastifyInstance;

  const text = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/plain; charset=utf-8').send(body);

  app.addHook('onRequest', async (request, reply) => {
    if (state.unavailable) return text(reply, 503, 'Service Unavailable');
    const user = authenticate(users, request.headers.authorization);
    // core: a failed API authentication is a bare 401, no body
    if (!user) return reply.code(401).send();
    (request as FastifyRequest & { user?: SandboxUser }).user = user;
  });

  app.addHook('preHandler', async (request, reply) => {
    const user = (request as FastifyRequest & { user?: SandboxUser }).user!;
    if (!user.admin)
      return text(reply, 403, `User ${user.email} is not an admin, API access to ${request.routeOptions.url} denied.`);
  });

  app.addHook('onResponse', async (request, reply) => {
    state.calls.push({ method: request.method, url: request.url, status: reply.statusCode, body: request.body });
  });

  // core api/transactions.js getTransactionById: the whole transaction, or without bodies for
  // filterRepresentation=simpledetails; 404 for an id it does not have, 500 for one that is not
  // an ObjectId (Mongoose cannot cast it)
  app.get<{ Params: { id: string }; Querystring: { filterRepresentation?: string } }>(
    '/transactions/:id',
    async (request, reply) => {
      const id = request.params.id;
      if (!/^[0-9a-f]{24}$/i.test(id))
        return text(
          reply,
          500,
          `Could not get transaction by ID via the API: CastError: Cast to ObjectId failed for value "${id}"`,
        );
      const tx = state.transactions.get(id);
      if (!tx) return text(reply, 404, `Could not find transaction with ID: ${id}`);
      const view = structuredClone(tx) as StoredTransaction & { request: { body?: string } };
      if (request.query.filterRepresentation === 'simpledetails') {
        delete view.request.body;
        delete view.response?.body;
        for (const o of view.orchestrations as { request?: { body?: unknown }; response?: { body?: unknown } }[]) {
          delete o.request?.body;
          delete o.response?.body;
        }
      }
      return reply.code(200).send(view);
    },
  );

  // core api/transactions.js updateTransaction: findByIdAndUpdate with the body, so plain fields
  // are set and `$push` appends; an unknown id fails reading the transaction's channel (500)
  app.put<{ Params: { id: string } }>('/transactions/:id', async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return text(reply, 400, 'Could not update transaction: no body');
    if (state.updateDelayMs > 0) await new Promise((r) => setTimeout(r, state.updateDelayMs));
    const tx = state.transactions.get(request.params.id);
    if (!tx)
      return text(
        reply,
        500,
        "Could not update transaction via the API: TypeError: Cannot read properties of null (reading 'channelID')",
      );
    applyUpdate(tx, body);
    const list = state.transactionUpdates.get(request.params.id) ?? [];
    list.push(body);
    state.transactionUpdates.set(request.params.id, list);
    if (state.lostUpdateAnswers > 0) {
      state.lostUpdateAnswers -= 1;
      request.raw.socket.destroy();
      return reply.hijack();
    }
    return text(reply, 200, `Transaction with ID: ${request.params.id} successfully updated`);
  });

  app.post('/mediators', async (request, reply) => {
    const mediator = clone(request.body) as Record<string, unknown>;
    try {
      validateRegistration(mediator);
      const urn = mediator.urn as string;
      const existing = state.mediators.get(urn);
      if (existing) {
        // Only a semver-greater version updates; an equal or lower one is a silent no-op (still 201).
        if (semverGt(mediator.version as string, existing.version)) {
          validateMediatorDocument({ ...existing, ...mediator });
          if (mediator.config != null && existing.config != null) {
            const incoming = mediator.config as Record<string, unknown>;
            for (const param of Object.keys(incoming))
              if (existing.config[param] != null) incoming[param] = existing.config[param];
          }
          state.mediators.set(urn, { ...existing, ...mediator } as StoredMediator);
        }
      } else {
        if (!Array.isArray(mediator.endpoints) || mediator.endpoints.length < 1)
          throw new ValidationError('At least 1 endpoint is required');
        validateMediatorDocument(mediator);
        state.mediators.set(urn, mediator as StoredMediator);
      }
      return reply.code(201).send();
    } catch (err) {
      const status = err instanceof ValidationError ? 400 : 500;
      return text(reply, status, `Could not add Mediator via the API: ${String(err)}`);
    }
  });

  // core bug kept on purpose: the list endpoint masks nothing (maskPasswords is called on the array).
  app.get('/mediators', async () => [...state.mediators.values()].map((m) => publicView(m, false)));

  app.get<{ Params: { urn: string } }>('/mediators/:urn', async (request, reply) => {
    const mediator = state.mediators.get(request.params.urn);
    if (!mediator) return reply.code(404).send();
    return publicView(mediator, true);
  });

  app.delete<{ Params: { urn: string } }>('/mediators/:urn', async (request, reply) => {
    state.mediators.delete(request.params.urn);
    return text(reply, 200, `Mediator with urn ${request.params.urn} has been successfully removed`);
  });

  app.post<{ Params: { urn: string } }>('/mediators/:urn/heartbeat', async (request, reply) => {
    const mediator = state.mediators.get(request.params.urn);
    if (!mediator) return reply.code(404).send();
    const heartbeat = request.body as { uptime?: unknown; config?: unknown } | null;
    if (heartbeat?.uptime == null) return reply.code(400).send();
    const sendConfig = after(mediator._configModifiedTS, mediator._lastHeartbeat) || heartbeat.config === true;
    mediator._lastHeartbeat = stamp();
    mediator._uptime = Number(heartbeat.uptime);
    if (!sendConfig) return text(reply, 200, '');
    // Koa answers an unset body with the status text: this is where utils' 'OK' check comes from.
    if (mediator.config === undefined || mediator.config === null) return text(reply, 200, 'OK');
    return reply.code(200).send(clone(mediator.config));
  });

  app.put<{ Params: { urn: string } }>('/mediators/:urn/config', async (request, reply) => {
    const mediator = state.mediators.get(request.params.urn);
    if (!mediator) return text(reply, 404, 'No mediator found for this urn.');
    const config = request.body as Record<string, unknown>;
    try {
      restoreMaskedPasswords(mediator.configDefs, config, mediator.config);
      validateConfig((mediator.configDefs ?? []) as never[], config);
    } catch (err) {
      if (!(err instanceof ValidationError))
        return text(reply, 500, `Could not set mediator config (urn: ${mediator.urn}): ${String(err)}`);
      return text(reply, 400, err.message);
    }
    mediator.config = config;
    mediator._configModifiedTS = stamp();
    return reply.code(200).send();
  });

  app.post<{ Params: { urn: string } }>('/mediators/:urn/channels', async (request, reply) => {
    const mediator = state.mediators.get(request.params.urn);
    if (!mediator) return text(reply, 404, 'No mediator found for this urn.');
    const wanted = request.body as string[] | null | undefined;
    const defaults = mediator.defaultChannelConfig ?? [];
    const chosen = !wanted || wanted.length === 0 ? defaults : defaults.filter((c) => wanted.includes(c.name ?? ''));
    if (wanted && wanted.length > 0 && chosen.length < wanted.length) {
      return text(
        reply,
        400,
        `Could not load mediator default channel config, one or more channels in the request body not found in the mediator config (urn: ${mediator.urn})`,
      );
    }
    state.channels.push(...chosen.map((c) => clone(c) as Record<string, unknown>));
    return reply.code(201).send();
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const port = Number(new URL(address).port);
  return {
    url: address,
    port,
    state,
    users,
    close: () => app.close(),
  };
}

export default startOpenHimSandbox;
