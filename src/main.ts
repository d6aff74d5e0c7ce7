import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, mergeSettings, validateSettings } from './config/load.js';
import { assertRoutingSystems, useCheckedMappings } from './config/mapping-files.js';
import { secretKeys, settingDefs, type Settings } from './config/settings.js';
import type { FhirServices } from './fhir/services.js';
// the OpenHIM modules one by one, not its index: that would load the transaction updater (below)
import { observeUpstreamCalls } from './platform/call-recording.js';
import openhimPlugin from './openhim/plugin.js';
import { openHimClientErrorEnvelope } from './openhim/client-error-envelope.js';
import { startOpenHimFromSettings } from './openhim/lifecycle.js';
import type { OpenHimHandle } from './openhim/registration.js';
import type { ReadinessCheck } from './platform/health.js';
import { loadMediatorConfig } from './openhim/mediator-config.js';
import type { TransactionUpdaterOptions } from './openhim/transaction-updates.js';
import { createTransactionReporter, type SendTransactionUpdate } from './openhim/transaction-update-sweep.js';
import { registerTransactionUpdateMetrics } from './openhim/update-metrics.js';
import { FinalAttemptCalls } from './openhim/final-attempts.js';
import { orchestrationBodyLimit, storedFinalCalls } from './openhim/stored-final-calls.js';
import { Outbox, registerOutboxMetrics } from './outbox/index.js';
import { outboxAdminRoutes } from './outbox/admin-routes.js';
import { breakerOptionsFrom } from './outbox/breaker-settings.js';
import { outboxOptionsFrom } from './outbox/settings-options.js';
import { reviewRoutes } from './registry/review-routes.js';
import { createLogger } from './platform/logger.js';
import { learnSecrets, redact } from './platform/redaction.js';
import { liveAdminToken } from './platform/admin-auth.js';
import { liveLogLevel } from './platform/live-log-level.js';
import { packagePath } from './platform/package-root.js';
import { createMetrics, upstreamCallRecorder } from './platform/metrics.js';
import { openStore, type Store } from './store/index.js';
import { unusablePathError } from './config/unusable-path.js';
import { checkTlsFiles } from './config/tls-files.js';
import { hostLookupProblem } from './platform/host-lookup.js';
import { createRoutingServices, keyWaitingJobs } from './routing/index.js';
import type { Connector } from './routing/ports.js';
import { ConnectorSet, knownSystems } from './systems/index.js';
import { systemAnswersOf } from './systems/system-answers.js';
import { markHeldReporter } from './registry/mfr/feed-held.js';
import { plansGivenUpCounter, registrySide, type Propagator } from './registry/propagation/index.js';
import { propagationRoutes } from './registry/propagation/routes.js';
import { registryFeedRoutes } from './registry/propagation/feed-routes.js';
import { decodeRequestBodies } from './platform/request-decoding.js';
import { createScheduler, type Scheduler } from './jobs/index.js';
import { jobsAdminRoutes } from './admin/jobs-routes.js';
import { reviewUndoRoutes } from './admin/review-undo-routes.js';
import { operatorConsole } from './admin/ui/index.js';
import { storeSessions } from './admin/ui/session.js';
import { mediatorDirectory } from './admin/facility-directory.js';
import { settingsInForce } from './admin/settings-view.js';
import { CallStats } from './admin/call-stats.js';

export interface RunningMediator {
  app: FastifyInstance;
  url: string;
  store: Store;
  outbox: Outbox;
  scheduler: Scheduler;
  settings: () => Settings;
  /** `reason`: what stopped it (SIGTERM, SIGINT), said with any job run the stop interrupted. */
  stop(reason?: string): Promise<void>;
  /** While stop() runs: what it waits for (the database, a delivery), for a stop that overstays. */
  stopStage?: string;
}

/**
 * Runs an earlier process left "running" (SIGKILLed mid-run: no stop could record their end) are
 * closed as abandoned at start, not at their job's next run. A store that fails here is said and
 * start-up goes on: the next run of each job closes them as before.
 */
async function closeAbandonedRuns(scheduler: Scheduler, logger: Logger): Promise<void> {
  try {
    const closed = await scheduler.closeAbandonedRuns();
    if (closed) logger.warn({ runs: closed }, 'job runs left running by a stopped instance closed as abandoned');
  } catch (err) {
    logger.warn({ err: redact(String(err)) }, 'job runs left running were not checked at start');
  }
}

/**
 * Registry versions an earlier process kept and was killed before planning (Propagator.planUnplanned),
 * planned at start in the background (a plan may read the systems): not left to the next pull, which
 * a push-only deployment never runs. Failing, it is said; each pull looks again.
 */
function planUnplannedAtStart(propagator: Propagator, logger: Logger): void {
  propagator
    .planUnplanned()
    .then((planned) => {
      if (planned)
        logger.warn({ versions: planned }, 'registry versions kept but not planned before a stop planned now');
    })
    .catch((err: unknown) =>
      logger.warn({ err: redact(String(err)) }, 'registry versions kept but not planned were not looked for at start'),
    );
}

export const packageVersion: string = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')).version;

/** A file a setting names, read at start; one not there stops start-up naming the setting. */
function settingFile(s: Settings, key: string): Buffer {
  const file = String(s[key]);
  try {
    return readFileSync(file);
  } catch (err) {
    throw unusablePathError(key, `${file} cannot be read`, err) ?? err;
  }
}

function tlsOptions(s: Settings) {
  if (!s['server.tlsCertFile']) return undefined;
  const ca = s['server.tlsClientCaFile'] ? settingFile(s, 'server.tlsClientCaFile') : undefined;
  const cert = settingFile(s, 'server.tlsCertFile');
  const key = settingFile(s, 'server.tlsKeyFile');
  checkTlsFiles({
    cert: { path: String(s['server.tlsCertFile']), pem: cert },
    key: { path: String(s['server.tlsKeyFile']), pem: key },
    ca: ca && { path: String(s['server.tlsClientCaFile']), pem: ca },
  });
  return { cert, key, ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) };
}

/** The services the FHIR edge calls: routing over the configured connectors and the outbox. */
export function servicesFrom(
  connectors: ConnectorSet,
  outbox: Outbox,
  store: Store,
  extra: Connector[] = [],
  recordsEntries?: () => boolean,
): FhirServices {
  return createRoutingServices({ connectors: [...connectors.list(), ...extra], outbox, store, recordsEntries });
}

/**
 * The outbox reads its options at use time (each write's deadline, each retry's backoff, each
 * breaker's failure count and open time); a live change is applied to that object. Lease, attempt
 * timeout and settle need a restart (the table).
 */
export function applyOutboxSettings(options: Outbox['options'], s: Settings): void {
  options.deadlineMs = Number(s['outbox.deadlineMs']);
  options.backoff.maxAttempts = Number(s['outbox.maxAttempts']);
  options.backoff.baseMs = Number(s['outbox.backoffBaseMs']);
  options.backoff.capMs = Number(s['outbox.backoffCapMs']);
  Object.assign(options.breaker, breakerOptionsFrom(s));
}

/**
 * The OpenHIM transaction updater, imported when the first owed update is sent: it brings undici
 * (~165 ms of CPU, issue 18), which start-up need not pay before /health; the reporter calls it
 * only for a job whose end recorded an update owed.
 */
function lazyTransactionUpdater(opts: TransactionUpdaterOptions): SendTransactionUpdate {
  let updater: Promise<SendTransactionUpdate> | undefined;
  return async (job, send) => {
    updater ??= import('./openhim/transaction-updates.js').then((m) => m.createTransactionUpdater(opts));
    return (await updater)(job, send);
  };
}

/** A write that came through OpenHIM owes it an update only while an OpenHIM is configured. */
function openhimConfigured(s: Settings): boolean {
  return typeof s['openhim.apiUrl'] === 'string' && s['openhim.apiUrl'] !== '';
}

/** Registration and heartbeats as a /ready line that never makes the mediator unready by itself. */
function openhimReadiness(handle: OpenHimHandle): ReadinessCheck {
  return {
    name: 'openhim',
    advisory: true,
    check: async () => {
      const problem = handle.problem();
      if (problem) throw new Error(problem);
    },
  };
}

/** config → store → app → listen → OpenHIM → workers. A failing OpenHIM never stops serving. */
export interface StartOptions {
  logger?: Logger;
  /** Connectors composed in beside the configured ones (bench/http.ts's no-op upstream). */
  connectors?: Connector[];
  /**
   * Whether a stop was asked for while starting (serve: a signal during start-up). Asked once
   * it listens: then no background work starts (outbox worker, transaction updates, schedules,
   * OpenHIM registration), as the stop follows at once and a job claimed in that moment would
   * be delivered by a server on its way out.
   */
  stopAsked?: () => boolean;
}

export async function startMediator(initial: Settings, opts: StartOptions = {}): Promise<RunningMediator> {
  // env/file/defaults: the OpenHIM layer is merged above this, never above an earlier OpenHIM layer,
  // so a console value set back to its default gives the env/file value back
  const baseSettings = initial;
  let settings = initial;
  const logger = opts.logger ?? createLogger(String(settings['log.level']));
  learnSecrets(settings, logger); // before anything is emitted: logs, responses and stored errors are masked
  useCheckedMappings(settings); // a bad mapping file stops start-up (file, path, reason) before anything opens
  assertRoutingSystems([...knownSystems(), ...(opts.connectors ?? []).map((c) => c.system)]);
  const logLevel = liveLogLevel(logger);
  const store = await openStore({
    databaseUrl: settings['store.databaseUrl'] as string | undefined,
    dataDir: String(settings['store.dataDir']),
    lockSilentMs: settings['store.lockSilentMs'] as number | undefined,
    onWarning: (message) => logger.warn({ database: 'sqlite' }, `store: ${message}`),
  });
  const metrics = createMetrics(true);
  registerTransactionUpdateMetrics(metrics.registry, store); // owed, refused, abandoned: read when scraped
  const stopObserving = observeUpstreamCalls(upstreamCallRecorder(metrics));
  const mediatorConfig = loadMediatorConfig();
  // read for every OpenHIM answer: worked out once per settings object (a live change replaces it)
  let secretsOf: { settings: Settings; values: string[] } | undefined;
  const secrets = () => {
    if (secretsOf?.settings !== settings) {
      const values = secretKeys()
        .map((k) => settings[k])
        .filter((v): v is string => typeof v === 'string' && v.length > 0);
      secretsOf = { settings, values };
    }
    return secretsOf.values;
  };
  // the OpenHIM transaction updates 202'd writes owe: recorded with the job's end, sent at once,
  // and by a sweep whatever a crash or an OpenHIM outage kept from going
  // the calls of the attempt that ends a job owing an update: that update shows them to OpenHIM
  const finalAttempts = new FinalAttemptCalls();
  const transactionUpdates = createTransactionReporter({
    store,
    send: lazyTransactionUpdater({
      settings: () => settings,
      urn: mediatorConfig.urn,
      secretValues: secrets,
      finalAttempts,
    }),
    timings: {
      retryBaseMs: Number(settings['openhim.updateRetryBaseMs']),
      retryCapMs: Number(settings['openhim.updateRetryCapMs']),
      giveUpAfterMs: Number(settings['openhim.updateGiveUpMs']),
      claimMs: Number(settings['openhim.updateClaimMs']),
    },
    logger: logLevel.child({ component: 'openhim' }),
  });
  const outboxMetrics = registerOutboxMetrics(metrics.registry, store);
  const outbox = new Outbox({
    store,
    onSettled: (job) => transactionUpdates.report(job),
    owesTransactionUpdate: (job) => job.transactionId !== undefined && openhimConfigured(settings),
    transactionUpdateGraceMs: Number(settings['openhim.updateClaimMs']),
    // a write held for a while is charged past its bound only while its system answers /ready's check
    systemAnswers: systemAnswersOf(() => [...connectors.list(), ...(opts.connectors ?? [])]),
    aroundAttempt: (job, attempt) =>
      job.transactionId !== undefined && openhimConfigured(settings)
        ? finalAttempts.record(job.id, attempt)
        : attempt(),
    // stored with the end that owes the update: it then survives a restart (migration v46)
    finalCallsOf: (job) =>
      storedFinalCalls(finalAttempts.callsOf([job.id]), {
        urn: mediatorConfig.urn,
        bodyLimitBytes: orchestrationBodyLimit(settings),
        secretValues: secrets(),
      }),
    metrics: outboxMetrics,
    logger: {
      debug: (o, m) => logger.debug(o, m),
      info: (o, m) => logger.info(o, m),
      warn: (o, m) => logger.warn(o, m),
      error: (o, m) => logger.error(o, m),
    },
    options: outboxOptionsFrom(settings),
  });
  const connectors = await ConnectorSet.open(store, settings, logLevel.child({ component: 'connectors' }));
  // jobs an older release accepted, keyed as their writes are today, before this one accepts any
  const keyed = await keyWaitingJobs({ connectors: [...connectors.list(), ...(opts.connectors ?? [])], outbox, store });
  if (keyed) logger.info({ jobs: keyed }, 'waiting jobs given the order keys of their records');
  let services = servicesFrom(connectors, outbox, store, opts.connectors, () => openhimConfigured(settings));
  // cron expressions read from the current settings: a change from OpenHIM re-arms (refresh below)
  // registry propagation: its outbox handlers, registered once (connectors are looked up at delivery)
  const propagation = registrySide({
    store,
    outbox,
    connectors: () => connectors.list(),
    settings: () => settings,
    systems: knownSystems(),
    onMarkHeld: markHeldReporter(metrics.registry, logLevel.child({ component: 'registry' })),
    logger: logLevel.child({ component: 'propagation' }),
    countPlanGivenUp: plansGivenUpCounter(metrics.registry),
  });
  const scheduler = createScheduler({
    store,
    outbox,
    propagator: propagation.propagator,
    registry: propagation.registry,
    settings: () => settings,
    connectors: () => connectors.list(),
    onPruned: (counts) => outboxMetrics.pruned?.(counts),
    logger: {
      info: (o, m) => logger.info(o, m),
      warn: (o, m) => logger.warn(o, m),
      error: (o, m) => logger.error(o, m),
    },
  });

  // the operator console (/admin/ui): where each setting came from, and recent upstream calls
  let openhimKeys: string[] = [];
  const callStats = new CallStats();
  // started once the app listens; /ready reports it from then on
  const registration: { openhim?: OpenHimHandle } = {};
  // /ready: the store (without it nothing is served: 503), and every configured upstream reachable
  // with the current credentials (one down is 'degraded': the rest is still served)
  const readiness = (): ReadinessCheck[] => [
    {
      name: 'store',
      essential: true,
      check: async () => {
        await store.countJobsByStatus();
        // a standby or a full disk still reads: every write would be a 503 meanwhile
        await store.checkWritable?.();
      },
    },
    ...connectors
      .list()
      .filter((c) => c.ping)
      .map((c) => ({ name: c.system, check: () => c.ping!() })),
    // what would refuse writes later, found while configuring: reported, never unready
    ...connectors
      .list()
      .filter((c) => c.checkSetup)
      .map((c) => ({ name: `${c.system}-setup`, advisory: true, check: () => c.checkSetup!() })),
    ...(registration.openhim ? [openhimReadiness(registration.openhim)] : []),
  ];
  const app = await buildApp({
    settings: () => settings,
    services: () => services,
    softwareVersion: packageVersion,
    logger,
    metrics,
    https: tlsOptions(settings),
    readiness,
    clientErrorWrap: openHimClientErrorEnvelope(mediatorConfig.urn),
    plugins: [
      async (a) => {
        await a.register(openhimPlugin, {
          urn: mediatorConfig.urn,
          secretValues: secrets,
          bodyLimitBytes: () => Number(settings['openhim.orchestrationBodyLimitBytes']),
          recordRequest: (r) => store.recordTransactionRequest(r),
          releaseEntries: (tx, key) => store.releaseRequestEntries(tx, key),
        });
      },
      async (a) => {
        // one scope for the admin API and the registry's feed: registered before compression, so
        // it decodes gzip and deflate bodies in a scope of its own (request-decoding.ts)
        await a.register(async (scope) => {
          await decodeRequestBodies(scope);
          // read per request: a password changed live from OpenHIM replaces the old one at once
          const token = liveAdminToken(() => settings);
          await scope.register(outboxAdminRoutes, {
            prefix: '/admin',
            store,
            adminToken: token,
            systems: () => connectors.list().map((c) => c.system),
          });
          // the review API names registry records (queue and mCSD export) from the same list the
          // reconcile job and the console read
          const directory = mediatorDirectory({
            settings: () => settings,
            connectors: () => connectors.list(),
            registry: propagation.registry,
            store,
          });
          const registry = async () => [...(await directory.registry()).values()];
          await scope.register(reviewRoutes, {
            prefix: '/admin',
            store,
            adminToken: token,
            registry,
            // the systems the console offers: an empty queue of one of them is no work, another name a 404
            systems: () => directory.systems(),
            // a decision may release registry changes held for that system
            onDecision: (system) => propagation.propagator.releaseHeld(system),
          });
          await scope.register(propagationRoutes, {
            prefix: '/admin',
            store,
            propagator: propagation.propagator,
            adminToken: token,
            // as for the review queue: another name than these (or a stored one) is a 404
            systems: () => directory.systems(),
          });
          // the mCSD feed is authenticated like the FHIR API (inbound credentials), not as an admin
          await scope.register(registryFeedRoutes, {
            propagator: propagation.propagator,
            settings: () => settings,
            store,
            registry: propagation.registry,
          });
          await scope.register(jobsAdminRoutes, { prefix: '/admin', store, scheduler, adminToken: token });
          await scope.register(reviewUndoRoutes, {
            prefix: '/admin',
            store,
            adminToken: token,
            registry,
            onDecision: (system) => propagation.propagator.releaseHeld(system),
          });
          await scope.register(operatorConsole, {
            adminToken: token,
            readiness,
            breakers: () => outbox.breakerGates(),
            calls: callStats,
            sessions: storeSessions(store),
            directory,
            settings: () => settingsInForce(settings, { openhimKeys }),
          });
        });
      },
    ],
  });

  // before it answers: the console and GET /admin/jobs never show a dead process's run running
  await closeAbandonedRuns(scheduler, logger);
  const host = String(settings['server.host']);
  const address = await app.listen({ host, port: Number(settings['server.port']) }).catch((err: unknown) => {
    const problem = hostLookupProblem(err, host);
    throw problem ? new ConfigError(problem) : err;
  });
  // unset, links use the address each client used (app.ts): no URL to name here
  const linksBase =
    (settings['server.publicBaseUrl'] as string | undefined) ?? 'unset: links use the address each client used';
  logger.info({ address, publicBaseUrl: linksBase }, 'mediator listening');
  const working = !opts.stopAsked?.();
  if (working) {
    outbox.startWorker();
    if (openhimConfigured(settings)) transactionUpdates.start();
    scheduler.start();
    planUnplannedAtStart(propagation.propagator, logger);
  } else logger.info('a stop was asked for while starting: no background work started');

  const openhim = !working
    ? undefined
    : startOpenHimFromSettings(settings, {
        mediatorConfig: { ...mediatorConfig, version: packageVersion },
        logger: logLevel.child({ component: 'openhim' }),
        knownSetting: (key) => settingDefs.some((d) => d.key === key && !d.restart),
        applySettings: async (layer) => {
          learnSecrets({ ...settings, ...layer } as Settings, logger); // new values join the old ones, which stay masked
          const next = mergeSettings(baseSettings, layer, 'OpenHIM config');
          validateSettings(next);
          openhimKeys = Object.keys(layer);
          await connectors.apply(next); // a newly configured system's code is imported here
          const previous = settings;
          settings = next;
          services = servicesFrom(connectors, outbox, store, opts.connectors, () => openhimConfigured(settings));
          applyOutboxSettings(outbox.options, settings);
          scheduler.refresh();
          // only a changed setting moves the level (a logger handed in by a caller keeps its own otherwise)
          if (settings['log.level'] !== previous['log.level']) logLevel.set(String(settings['log.level']));
          logger.info({ keys: Object.keys(layer) }, 'configuration from OpenHIM applied');
        },
      });

  registration.openhim = openhim;
  let stopStage: string | undefined;

  return {
    app,
    url: address,
    store,
    outbox,
    scheduler,
    settings: () => settings,
    get stopStage() {
      return stopStage;
    },
    async stop(reason?: string) {
      // what the stop waits for now: said by serve when it gives up waiting (a database that drops packets)
      const stage = (what: string) => (stopStage = what);
      openhim?.stop();
      // no tick from now on: a run begun while the server closes and the outbox drains would
      // prolong the shutdown, or be cut by the SIGKILL that follows it; a run under way is asked
      // to stop and recorded interrupted
      const jobsStopped = scheduler.stop(reason);
      stage('requests in flight to be answered');
      await app.close();
      stage('the outbox deliveries under way to end and be recorded');
      await outbox.stop();
      stage('the OpenHIM transaction updates to be recorded');
      await transactionUpdates.stop();
      stage('the job run under way to end and be recorded');
      await jobsStopped; // a run in progress finishes and is recorded before the store closes
      stage('registry propagation and the connectors to close');
      await propagation.close();
      await connectors.close();
      stopObserving();
      callStats.close();
      stage('the database to close');
      await store.close();
      stage('nothing: stopped');
    },
  };
}
