import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  execute,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { echoedChallenge, echoedFields, echoedLocation, echoedText } from '../openlmis/echo-secrets.js';
import { MsupplyFaults, type MsupplyFaultInput } from './faults.js';
import { rootValue, type RequestContext } from './resolvers.js';
import { loadMsupplySchema } from './schema.js';
import { MsupplyState, type StateOptions } from './state.js';
import { dispense } from './ledger.js';

/**
 * An Open mSupply server for tests and the demo: `POST /graphql` executes the real schema with
 * graphql-js over the in-memory state (so an invalid document fails as upstream: 200 with the
 * validation errors), `Authorization: Bearer` from `authToken`. `/_sandbox/*` is the control API:
 * state counts, requisitions and invoices, shipping a response requisition (as the warehouse
 * would), faults, token expiry.
 */
export interface MsupplySandboxOptions extends StateOptions {
  port?: number;
  host?: string;
  schemaFile?: string;
}

export interface MsupplySandbox {
  url: string;
  state: MsupplyState;
  faults: MsupplyFaults;
  /** Every GraphQL call received: its first root field and whether it carried a bearer. */
  calls: { operation: string | undefined; authorized: boolean }[];
  close(): Promise<void>;
}

function firstRootField(query: unknown, operationName: unknown): string | undefined {
  try {
    const doc = parse(String(query));
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    const op = ops.find((o) => o.name?.value === operationName) ?? ops[0];
    const field = op?.selectionSet.selections.find((s) => s.kind === 'Field');
    return field && field.kind === 'Field' ? field.name.value : undefined;
  } catch {
    return undefined;
  }
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The echoSecrets fault: everything the caller sent that could be a credential, said back. */
function sendEcho(req: IncomingMessage, res: ServerResponse, payload: unknown, status: number): void {
  const sent = {
    url: req.url ?? '/',
    authorization: req.headers.authorization,
    cookie: req.headers.cookie,
    body: payload,
  };
  const said = `${echoedText(sent)}; sign in again at ${echoedLocation(sent, '/login')}`;
  res.setHeader('www-authenticate', echoedChallenge(sent, 'open-msupply'));
  const location = status >= 300 && status < 400 ? echoedLocation(sent, '/login') : undefined;
  if (location) res.setHeader('location', location);
  const extensions = { details: said, ...echoedFields(sent), ...(location ? { redirect: location } : {}) };
  send(res, status, { data: null, errors: [{ message: said, extensions }] });
}

export async function startMsupplySandbox(options: MsupplySandboxOptions = {}): Promise<MsupplySandbox> {
  const schema: GraphQLSchema = loadMsupplySchema(options.schemaFile);
  const state = new MsupplyState(options);
  const faults = new MsupplyFaults();
  const calls: MsupplySandbox['calls'] = [];
  const root = rootValue();
  const sockets = new Set<Socket>();

  // a document is parsed and validated once (what graphql() does on every call): the schema is large
  const documents = new Map<string, { doc?: DocumentNode; errors?: ExecutionResult['errors'] }>();
  const prepared = (source: string) => {
    let entry = documents.get(source);
    if (!entry) {
      try {
        const doc = parse(source);
        const errors = validate(schema, doc);
        entry = errors.length ? { errors } : { doc };
      } catch (err) {
        entry = { errors: [err as never] };
      }
      if (documents.size < 1_000) documents.set(source, entry);
    }
    return entry;
  };
  const run = async (
    source: string,
    context: RequestContext,
    payload: { variables?: unknown; operationName?: unknown },
  ): Promise<ExecutionResult> => {
    const { doc, errors } = prepared(source);
    if (!doc) return { errors };
    return execute({
      schema,
      document: doc,
      rootValue: root,
      contextValue: context,
      variableValues: (payload.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: typeof payload.operationName === 'string' ? payload.operationName : undefined,
    });
  };

  const graphqlRequest = async (req: IncomingMessage, res: ServerResponse) => {
    let payload: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      payload = JSON.parse(await bodyOf(req));
    } catch {
      return send(res, 400, { errors: [{ message: 'the body is not JSON' }] });
    }
    const token = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const operation = firstRootField(payload.query, payload.operationName);
    calls.push({ operation, authorized: !!token });
    const fault = faults.take(operation, payload.variables);
    if (fault?.type === 'status') {
      for (const [k, v] of Object.entries(fault.headers ?? {})) res.setHeader(k, v);
      return send(res, fault.status, fault.body ?? { errors: [{ message: `HTTP ${fault.status}` }] });
    }
    if (fault?.type === 'echoSecrets') return sendEcho(req, res, payload, fault.status);
    if (fault?.type === 'graphqlError')
      return send(res, 200, {
        data: null,
        errors: [{ message: fault.message, extensions: { details: 'injected by the sandbox' } }],
      });
    if (fault?.type === 'hang') return;
    if (fault?.type === 'reset') return req.socket.destroy();
    if (fault?.type === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.type === 'held') await fault.released;
    if (fault?.type === 'expireToken') state.expireToken(token);
    const refreshCookie = /(?:^|;\s*)refresh_token=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
    const context: RequestContext = { state, token, user: state.userOfToken(token), refreshCookie };
    const result = await run(String(payload.query ?? ''), context, payload);
    if (fault?.type === 'afterApply') return fault.answer === 'reset' ? req.socket.destroy() : undefined;
    // as set_refresh_token_cookie does: HttpOnly, two hours
    if (context.setRefreshCookie)
      res.setHeader(
        'set-cookie',
        `refresh_token=${context.setRefreshCookie}; Max-Age=7200; Path=/; HttpOnly; SameSite=Strict`,
      );
    send(res, 200, result);
  };

  const control = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /_sandbox/state') return send(res, 200, state.counts());
    if (route === 'GET /_sandbox/requisitions') {
      const type = url.searchParams.get('type');
      return send(
        res,
        200,
        [...state.requisitions.values()]
          .filter((r) => !type || r.type === type)
          .map((r) => ({ ...r, lines: state.linesOf(r.id) })),
      );
    }
    const ship = /^POST \/_sandbox\/requisitions\/([^/]+)\/ship$/.exec(route);
    if (ship) {
      try {
        const body = await bodyOf(req);
        const { outbound, inbound } = state.shipResponse(
          decodeURIComponent(ship[1]),
          body ? (JSON.parse(body) as Record<string, number>) : {},
        );
        // a customer without a store of its own (a DHIS2 facility) gets no inbound shipment
        return send(res, 201, { outboundShipmentId: outbound.id, inboundShipmentId: inbound?.id ?? null });
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    }
    if (route === 'GET /_sandbox/invoices')
      return send(
        res,
        200,
        [...state.invoices.values()].map((i) => ({ ...i, lines: state.invoiceLinesOf(i.id) })),
      );
    if (route === 'GET /_sandbox/faults') return send(res, 200, faults.list());
    if (route === 'POST /_sandbox/faults') {
      try {
        return send(res, 201, faults.add(JSON.parse(await bodyOf(req)) as MsupplyFaultInput));
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    }
    if (route === 'DELETE /_sandbox/faults') {
      faults.clear();
      return send(res, 204, {});
    }
    // a store opened on the server: {code, name, supplierStoreId?, users?: [username], packs?}
    if (route === 'POST /_sandbox/stores') {
      try {
        return send(
          res,
          201,
          state.addStore(JSON.parse((await bodyOf(req)) || '{}') as Parameters<typeof state.addStore>[0]),
        );
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    }
    const customer = /^POST \/_sandbox\/stores\/([^/]+)\/customers$/.exec(route);
    if (customer) {
      const body = JSON.parse((await bodyOf(req)) || '{}') as { code?: string; name?: string };
      if (!body.code || !body.name) return send(res, 400, { error: 'a customer needs a code and a name' });
      const storeId = decodeURIComponent(customer[1]);
      if (!state.stores.has(storeId)) return send(res, 404, { error: `no store ${storeId}` });
      return send(res, 201, state.addCustomer(storeId, { code: body.code, name: body.name }));
    }
    if (route === 'POST /_sandbox/tokens/expire') return send(res, 200, { expired: state.expireTokens() });
    if (route === 'POST /_sandbox/restart') {
      state.restart();
      return send(res, 200, { restarted: true });
    }
    // dispensing entered at the dispensary with its date: {storeId, itemCode, units, datetime}
    if (route === 'POST /_sandbox/prescriptions') {
      try {
        const b = JSON.parse((await bodyOf(req)) || '{}') as Record<string, string | number>;
        dispense(state, String(b.storeId), String(b.itemCode), Number(b.units), String(b.datetime ?? state.iso()));
        return send(res, 201, {});
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    }
    return send(res, 404, { error: `no sandbox route ${route}` });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const handle =
      url.pathname === '/graphql' && req.method === 'POST' ? graphqlRequest(req, res) : control(req, res, url);
    handle.catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, { errors: [{ message: 'Internal error', extensions: { details: String(err) } }] });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    state,
    faults,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
