import type { Socket } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { markAfterApply, registerAfterApply } from './after-apply.js';
import { markEchoSecrets, registerEchoSecrets } from './echo-secrets.js';
import { TokenStore, bearerToken } from './auth.js';
import { makeAuth, type SandboxContext } from './context.js';
import { Dto } from './dto.js';
import { SandboxHttpError, springDefaultError } from './errors.js';
import { FaultController, type FaultAction, type FaultRuleInput } from './faults.js';
import { faultDelay } from './fault-delay.js';
import { FulfillmentService } from './fulfillment.js';
import { RequisitionService } from './requisitions.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerFulfillmentRoutes } from './routes/fulfillment.js';
import { registerReferenceDataRoutes } from './routes/referencedata.js';
import { registerRequisitionRoutes } from './routes/requisitions.js';
import { registerStockRoutes } from './routes/stock.js';
import { buildSeed, type SeedOptions } from './seed.js';
import { SandboxStateApi } from './state-api.js';
import { SandboxStore } from './state.js';
import { processStockEvent } from './stock.js';

export interface OpenLmisSandboxOptions {
  /** default 0 (an ephemeral port) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  seed?: SeedOptions;
  /** fault rules installed at start */
  faults?: FaultRuleInput[];
  /** token inactivity timeout, default 1800 (TOKEN_DURATION) */
  tokenTtlSeconds?: number;
  /** pino logging on/off (default off) */
  logger?: boolean;
  /** random source for probabilistic faults */
  random?: () => number;
  /**
   * Which new lines a requisition PUT adds (Requisition.updateReqLines differs by version):
   * 'available' (default) any of the requisition's available products; 'non-full-supply' only
   * non-full-supply ones, other new lines being ignored without an error, as older servers do.
   */
  requisitionNewLines?: 'available' | 'non-full-supply';
}

export interface OpenLmisSandbox {
  url: string;
  close: () => Promise<void>;
  state: SandboxStateApi;
  faults: FaultController;
  app: FastifyInstance;
}

/** Posts the seed's opening balances as physical inventories, so stock starts from real events. */
function postOpeningStock(store: SandboxStore): void {
  const groups = new Map<string, typeof store.seed.openingStock>();
  for (const line of store.seed.openingStock) {
    const key = `${line.facilityCode}|${line.programCode}`;
    groups.set(key, [...(groups.get(key) ?? []), line]);
  }
  for (const lines of groups.values()) {
    processStockEvent(
      store,
      {
        facilityId: store.facilityByCode(lines[0].facilityCode)!.id,
        programId: store.programByCode(lines[0].programCode)!.id,
        documentNumber: 'OPENING',
        signature: 'seed',
        lineItems: lines.map((l) => ({
          orderableId: store.orderableByCode(l.productCode)!.id,
          lotId: l.lotCode ? store.seed.lots.find((x) => x.lotCode === l.lotCode)!.id : null,
          quantity: l.quantity,
          occurredDate: l.occurredDate,
        })),
      },
      null,
    );
  }
}

async function applyFault(
  action: FaultAction,
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: SandboxContext,
  hung: Set<Socket>,
): Promise<void> {
  switch (action.type) {
    case 'status': {
      for (const [k, v] of Object.entries(action.headers ?? {})) reply.header(k, v);
      await reply.code(action.status).send(action.body ?? springDefaultError(action.status, request.url.split('?')[0]));
      return;
    }
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
    case 'expireToken': {
      const token = bearerToken(request);
      if (token) ctx.tokens.revoke(token);
      return;
    }
    case 'afterApply':
      markAfterApply(request, action.answer);
      return;
    case 'echoSecrets':
      markEchoSecrets(request, action.status);
      return;
  }
}

export async function startOpenLmisSandbox(options: OpenLmisSandboxOptions = {}): Promise<OpenLmisSandbox> {
  const seed = buildSeed(options.seed);
  const store = new SandboxStore(seed);
  const tokens = new TokenStore(seed, options.tokenTtlSeconds ?? 1800);
  store.clock = () => tokens.now();
  let baseUrl = '';
  const dto = new Dto(store, () => baseUrl);
  const faults = new FaultController(options.random);
  const ctx: SandboxContext = {
    store,
    tokens,
    faults,
    dto,
    baseUrl: () => baseUrl,
    auth: makeAuth(tokens),
    requisitions: new RequisitionService(store, dto, { newLines: options.requisitionNewLines ?? 'available' }),
    fulfillment: new FulfillmentService(store, dto),
  };
  const state = new SandboxStateApi(ctx);
  postOpeningStock(store);
  for (const rule of options.faults ?? []) faults.add(rule);

  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  await app.register(formbody);
  // Spring accepts an empty body with a JSON content type (e.g. POST .../initiate)
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (!text.trim()) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const e = new SandboxHttpError(
        400,
        springDefaultError(400, _req.url.split('?')[0], `JSON parse error: ${(err as Error).message}`),
      );
      done(e, undefined);
    }
  });

  const hung = new Set<Socket>();
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/_sandbox')) return;
    state.recordRequest(request.method, path);
    const action = faults.match(request.method, path);
    if (action) await applyFault(action, request, reply, ctx, hung);
  });
  registerAfterApply(app, hung);
  registerEchoSecrets(app);
  app.addHook('preClose', async () => {
    for (const socket of hung) socket.destroy();
    hung.clear();
  });

  app.setErrorHandler(async (error, request, reply) => {
    const path = request.url.split('?')[0];
    if (error instanceof SandboxHttpError) {
      for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
      return reply.code(error.statusCode).send(error.body);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send(springDefaultError(status, path, (error as Error).message));
    request.log.error(error);
    return reply.code(500).send(springDefaultError(500, path, 'Internal Server Error'));
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send(springDefaultError(404, request.url.split('?')[0])),
  );

  registerAuthRoutes(app, ctx);
  registerReferenceDataRoutes(app, ctx);
  registerRequisitionRoutes(app, ctx);
  registerFulfillmentRoutes(app, ctx);
  registerStockRoutes(app, ctx);
  registerAdminRoutes(app, ctx, state);

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return { url: baseUrl, close: () => app.close(), state, faults, app };
}
