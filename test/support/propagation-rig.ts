/**
 * The propagation rig: the registry sandbox (sandbox/mfr) and the four system sandboxes, with the
 * mediator's own parts wired as the server wires them (store, outbox with its worker, the real
 * connectors, routing's delivery handlers, the propagator and the registry client), so a test
 * changes the registry and reads the result back from each system's sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../src/config/load.js';
import type { Settings } from '../../src/config/settings.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { observeUpstreamCalls, type UpstreamCall } from '../../src/platform/call-recording.js';
import { createRoutingServices } from '../../src/routing/index.js';
import { registrySide, type RegistrySide, type RegistrySideDeps } from '../../src/registry/propagation/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ConnectorSet, knownSystems } from '../../src/systems/index.js';
import { propagateChanges } from '../../src/jobs/propagate-job.js';
import type { FlowRouting } from '../../src/routing/rules.js';
import type { CrosswalkRow } from '../../src/registry/crosswalk-types.js';
import { DEFAULT_MFR_AUTH, startMfrSandbox, type MfrSandbox, type MfrSandboxOptions } from '../../sandbox/mfr/index.js';
import { startOpenLmisSandbox } from '../../sandbox/openlmis/index.js';
import { startDhis2Sandbox, SEED_API_TOKEN } from '../../sandbox/dhis2/index.js';
import { startOpenMrsSandbox, ADMIN_PASSWORD } from '../../sandbox/openmrs/index.js';
import { startMsupplySandbox } from '../../sandbox/msupply/index.js';
import type { EngineCase } from './outbox-engines.js';
import { openLmisEnv } from './openlmis-e2e.js';

export interface PropagationRig {
  mfr: MfrSandbox;
  openlmis: Awaited<ReturnType<typeof startOpenLmisSandbox>>;
  dhis2: Awaited<ReturnType<typeof startDhis2Sandbox>>;
  openmrs: Awaited<ReturnType<typeof startOpenMrsSandbox>>;
  msupply: Awaited<ReturnType<typeof startMsupplySandbox>>;
  settings: Settings;
  store: Store;
  outbox: Outbox;
  connectors: ConnectorSet;
  side: RegistrySide;
  /** Every upstream write (not GET) the mediator made, in order. */
  writes: UpstreamCall[];
  /**
   * One pull of the registry (the `propagate` job's run), then the outbox drained (within
   * `drainMs`: a benchmark's batch of hundreds of jobs on a loaded machine needs longer).
   */
  pull(drainMs?: number): Promise<Record<string, number>>;
  /** Link a registry facility to a system's record as a person would (review accept). */
  link(system: string, systemId: string, registryId: string, state?: CrosswalkRow['state']): Promise<void>;
  close(): Promise<void>;
}

/** The registry and the four systems, as the environment `serve` reads (their sandbox credentials). */
export function upstreamEnv(s: {
  mfr: { url: string };
  openlmis: { url: string };
  dhis2: { url: string };
  openmrs: { url: string };
  msupply: { url: string };
}): Record<string, string> {
  return {
    REGISTRY_URL: s.mfr.url,
    REGISTRY_USERNAME: DEFAULT_MFR_AUTH.username,
    REGISTRY_PASSWORD: DEFAULT_MFR_AUTH.password,
    ...openLmisEnv(s.openlmis.url),
    DHIS2_BASE_URL: s.dhis2.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    OPENMRS_BASE_URL: s.openmrs.url,
    OPENMRS_USERNAME: 'admin',
    OPENMRS_PASSWORD: ADMIN_PASSWORD,
    MSUPPLY_BASE_URL: s.msupply.url,
    MSUPPLY_USERNAME: 'mediator',
    MSUPPLY_PASSWORD: 'password',
  };
}

export interface RigOptions {
  env?: Record<string, string>;
  /** The `facilities` flow of routing.json; default: the shipped one. */
  routing?: FlowRouting;
  /** Attempts before a job is dead-lettered (default the outbox's). */
  maxAttempts?: number;
  /**
   * How long a system's breaker stays open after its failures (default the outbox's, 30 s): an
   * outage the test ends leaves the jobs waiting that long unless it is short.
   */
  breakerOpenMs?: number;
  /** Options of the registry sandbox (its clock, page size, history). */
  mfr?: MfrSandboxOptions;
  /** Propagation's logger and plan-given-up counter (the server's; none by default). */
  propagation?: Pick<RegistrySideDeps, 'logger' | 'countPlanGivenUp'>;
}

export async function startPropagationRig(options: RigOptions = {}): Promise<PropagationRig> {
  const env = options.env ?? {};
  const [mfr, openlmis, dhis2, openmrs, msupply] = await Promise.all([
    startMfrSandbox({ ...options.mfr, port: 0 }),
    startOpenLmisSandbox({ port: 0 }),
    startDhis2Sandbox({ port: 0 }),
    startOpenMrsSandbox({ port: 0 }),
    startMsupplySandbox({ port: 0 }),
  ]);
  const sandboxes = [mfr, openlmis, dhis2, openmrs, msupply];
  const dir = mkdtempSync(path.join(tmpdir(), 'propagation-'));
  try {
    return await wire();
  } catch (err) {
    await Promise.all(sandboxes.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function wire(): Promise<PropagationRig> {
    const settings = loadSettings({
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'off',
      ...upstreamEnv({ mfr, openlmis, dhis2, openmrs, msupply }),
      ...env,
    } as NodeJS.ProcessEnv);
    const store = await openStore({
      databaseUrl: settings['store.databaseUrl'] as string | undefined,
      dataDir: dir,
    });
    const outbox = new Outbox({
      store,
      options: {
        backoff: { baseMs: 20, capMs: 100, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) },
        pollMs: 50,
        ...(options.breakerOpenMs !== undefined ? { breaker: { halfOpenAfterMs: options.breakerOpenMs } } : {}),
      },
    });
    const connectors = await ConnectorSet.open(store, settings);
    createRoutingServices({ connectors: connectors.list(), outbox, store });
    const side = registrySide({
      store,
      outbox,
      connectors: () => connectors.list(),
      settings: () => settings,
      systems: knownSystems(),
      ...(options.routing ? { routing: () => options.routing } : {}),
      ...options.propagation,
    });
    const writes: UpstreamCall[] = [];
    const stopObserving = observeUpstreamCalls((call) => {
      if (call.method !== 'GET' && call.system !== 'registry' && !/\/(token|login|session)\b/.test(call.url))
        writes.push(call);
    });
    outbox.startWorker();
    return {
      mfr,
      openlmis,
      dhis2,
      openmrs,
      msupply,
      settings,
      store,
      outbox,
      connectors,
      side,
      writes,
      async pull(drainMs) {
        const result = await propagateChanges({
          store,
          settings: () => settings,
          propagator: side.propagator,
          registry: side.registry,
        });
        await drain(store, drainMs);
        return result.counts ?? {};
      },
      async link(system, systemId, registryId, state = 'manual-match') {
        await store.upsertCrosswalk({
          system,
          systemId,
          registryId,
          state,
          zone: state === 'review' ? 'review' : 'auto',
          reasons: [],
          suggestions: [],
          decidedBy: state === 'review' || state === 'auto-match' ? 'auto' : 'rig',
          decidedAt: new Date().toISOString(),
        });
      },
      async close() {
        stopObserving();
        await outbox.stop();
        await side.close();
        await connectors.close();
        await store.close();
        await Promise.all(sandboxes.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** The rig on a fresh database of this engine, closed and the database dropped when `t` ends. */
export async function startPropagationRigOn(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  options: RigOptions = {},
): Promise<PropagationRig> {
  const db = await engine.freshDatabase({ migrated: true });
  const rig = await startPropagationRig({ ...options, env: { ...options.env, DATABASE_URL: db.databaseUrl } });
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  return rig;
}

/** Until no propagation job is pending or in flight (the worker delivers them). */
export async function drain(store: Store, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const counts = await store.countJobsByStatus();
    if (counts.pending === 0 && counts['in-flight'] === 0) return;
    if (Date.now() > until) throw new Error(`outbox not drained: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
