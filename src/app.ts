import type { IncomingMessage } from 'node:http';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from './config/settings.js';
import { MediatorError } from './domain/errors.js';
import { registerFhirContentTypes } from './fhir/content.js';
import { fhirErrorHandler } from './fhir/outcome.js';
import { fhirBase } from './fhir/plugin.js';
import type { FhirServices } from './fhir/services.js';
import { openHimTransactionIdOf } from './openhim/transaction-id.js';
import { registerAuth, type AuthSettings } from './platform/auth.js';
import { fhirClientErrorHandlerWith, type ClientErrorWrap } from './platform/client-errors.js';
import { answerRefusedUrl } from './platform/refused-url.js';
import { registerResponseRedaction } from './platform/response-redaction.js';
import { registerClosingAnswer } from './platform/closing.js';
import { registerCompression } from './platform/compression.js';
import { OneLinePerRequest } from './platform/request-log.js';
import { registerHealthRoutes, type ReadinessCheck } from './platform/health.js';
import { createMetrics, observeRequests, registerMetricsRoutes, type Metrics } from './platform/metrics.js';

export interface AppDeps {
  /** Current settings; a function because OpenHIM can change them live. */
  settings: () => Settings;
  services: () => FhirServices;
  softwareVersion: string;
  logger?: Logger;
  metrics?: Metrics;
  readiness?: () => ReadinessCheck[];
  /** Plugins composed in by main (OpenHIM envelope, admin API …), registered before the routes. */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[];
  https?: import('node:https').ServerOptions;
  startedAt?: string;
  /** Re-wraps the answer to a request Node refuses before Fastify (OpenHIM's envelope, main.ts). */
  clientErrorWrap?: ClientErrorWrap;
}

function authSettings(s: Settings): AuthSettings {
  return {
    mode: s['auth.mode'] as AuthSettings['mode'],
    username: s['auth.username'] as string | undefined,
    password: s['auth.password'] as string | undefined,
    bearerToken: s['auth.bearerToken'] as string | undefined,
  };
}

/**
 * A slow client cannot hold a connection: headers must arrive within headersTimeoutMs, the whole
 * request within requestTimeoutMs (Node answers 408), and a silent socket closes after
 * idleTimeoutMs. Fastify leaves requestTimeout at 0 (off) unless told; Node checks the first two
 * every connectionsCheckingInterval, so that interval is kept small.
 */
function serverTimeouts(s: Settings) {
  const requestTimeout = Number(s['limits.requestTimeoutMs']);
  // Node refuses a headersTimeout above requestTimeout
  const headersTimeout = Math.min(Number(s['limits.headersTimeoutMs']), requestTimeout);
  return {
    fastify: { requestTimeout, connectionTimeout: Number(s['limits.idleTimeoutMs']), keepAliveTimeout: 5000 },
    node: {
      headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
  };
}

/** The OpenHIM transaction id of a request that has a well-formed one, else `req-<n>` as Fastify numbers them (from 1). */
function requestIdOf(): (request: IncomingMessage) => string {
  let last = 0;
  return (request) => {
    const id = openHimTransactionIdOf(request.headers);
    if (id) return id;
    last = (last + 1) & 0x7fffffff; // Fastify's bound: a small integer for V8
    return `req-${last.toString(36)}`;
  };
}

/**
 * `protocol://host`, the same string object again while both are the same (a memo of one): the
 * FHIR base URL and the validation options built from it are then found by identity, not by
 * building and hashing a fresh string per request (issue 18).
 */
function originOf(): (protocol: string, host: string) => string {
  let last = { protocol: '', host: '', origin: '' };
  return (protocol, host) => {
    if (protocol !== last.protocol || host !== last.host) last = { protocol, host, origin: `${protocol}://${host}` };
    return last.origin;
  };
}

/** The HTTP application. No I/O happens here: main.ts opens stores and sockets; tests use app.inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const initial = deps.settings();
  const timeouts = serverTimeouts(initial);
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: Number(initial['limits.bodyBytes']),
    ...timeouts.fastify,
    http: timeouts.node,
    clientErrorHandler: fhirClientErrorHandlerWith(deps.clientErrorWrap),
    // a path the router refuses (%zz, a segment past maxParamLength): an OperationOutcome or the console's page
    frameworkErrors: answerRefusedUrl,
    // OpenHIM's transaction id becomes the request id, so every log line of a request carries it;
    // a value core never sends (not an ObjectId) is not taken as one: Fastify's own ids instead
    requestIdHeader: false,
    genReqId: requestIdOf(),
    // one line per request instead of Fastify's two (platform/request-log.ts)
    logController: new OneLinePerRequest(),
    // a request met while the server closes is answered by platform/closing.ts, as an OperationOutcome
    return503OnClosing: false,
    ...(deps.https ? { https: { ...timeouts.node, ...deps.https } } : {}),
  } as FastifyServerOptions) as unknown as FastifyInstance;
  const metrics = deps.metrics ?? createMetrics(false);
  observeRequests(app, metrics); // before any route: each route is counted by its own hook

  app.setErrorHandler(fhirErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    fhirErrorHandler(
      new MediatorError(404, {
        code: 'not-found',
        diagnostics: `No route for ${request.method} ${request.url.split('?')[0]}`,
        expression: ['url'],
      }),
      request,
      reply,
    );
  });
  registerFhirContentTypes(app, {
    maxDepth: Number(initial['limits.jsonDepth']),
    maxArrayLength: Number(initial['limits.arrayLength']),
  });
  await app.register(formbody);
  // Plugins first: the OpenHIM envelope's onSend hook must see the body before compression does.
  for (const plugin of deps.plugins ?? []) await plugin(app);
  // after the OpenHIM envelope's onRequest hook, so a request refused mid-stop still gets its envelope
  registerClosingAnswer(app);
  // After the envelope, before compression: every response body and header passes the redactor.
  registerResponseRedaction(app);
  await registerCompression(app);
  registerMetricsRoutes(app, metrics);
  registerHealthRoutes(app, deps.readiness ?? (() => []));
  registerAuth(app, () => authSettings(deps.settings()));

  const origin = originOf();
  const common = {
    services: deps.services,
    // Unset: the address the client used (a direct client); behind OpenHIM set server.publicBaseUrl.
    publicBaseUrl: (request: FastifyRequest) =>
      (deps.settings()['server.publicBaseUrl'] as string | undefined) ?? origin(request.protocol, request.host),
    capability: {
      softwareName: 'fhir-supply-mediator',
      softwareVersion: deps.softwareVersion,
      date: deps.startedAt ?? new Date().toISOString(),
      authModes: initial['auth.mode'] === 'off' ? [] : [String(initial['auth.mode'])],
    },
    defaultCount: Number(initial['fhir.defaultCount']),
    maxCount: Number(initial['fhir.maxCount']),
  };
  await app.register(fhirBase, { prefix: '/fhir/R5', version: 'r5', ...common });
  await app.register(fhirBase, { prefix: '/fhir', version: 'r4', ...common });
  return app;
}
