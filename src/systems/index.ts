import type { Store } from '../store/types.js';
import type { Connector } from '../routing/ports.js';
import type { ConnectorLog } from './connector-log.js';
import { LINKED } from '../routing/facility-facts.js';
import { settingsRefusal } from './settings-refusal.js';

/** Registry id → the system's own id, from the crosswalk the reconciliation keeps. */
export function crosswalkLookup(store: Store, system: string): (registryId: string) => Promise<string | undefined> {
  return async (registryId) =>
    (await store.listCrosswalkByRegistryId(registryId)).find((r) => r.system === system && LINKED.has(r.state))
      ?.systemId;
}

/**
 * Crosswalk states that hold a record as a registry facility's: linked, or a pair waiting for a
 * reviewer (`review`, `flagged`). A waiting pair counts: a DHIS2 leaf above facilityLevel read as
 * an area left the facility list, and the next reconcile run retired the pair from the queue.
 */
const HELD = new Set([...LINKED, 'review', 'flagged']);

/** Whether the crosswalk holds the system's record of this id as a registry facility's (HELD). */
export function crosswalkLinked(store: Store, system: string): (systemId: string) => Promise<boolean> {
  return async (systemId) => HELD.has((await store.getCrosswalk(system, systemId))?.state ?? '');
}

/** How a system's connector is made from the settings, and whether the settings turn it on. */
export interface ConnectorFactory {
  system: string;
  enabled: (s: Record<string, unknown>) => boolean;
  /** `log`: where the connector says what the operator should hear of a write (connector-log.ts). */
  create: (s: Record<string, unknown>, store: Store, log?: ConnectorLog) => Connector;
  /** Imports the system's code (once); `create` is called only after it resolved. */
  load?: () => Promise<void>;
}

type CreateConnector = ConnectorFactory['create'];

/**
 * A built-in system, on when its base URL is set. Its code (the connector, its mappers, and undici
 * beneath them: ~170 ms of CPU at start-up, issue 18) is imported the first time the settings turn
 * it on, at start or by a later change, so a mediator serving one system never loads the others.
 */
function builtIn(system: string, load: () => Promise<CreateConnector>): ConnectorFactory {
  let loaded: Promise<CreateConnector> | undefined;
  let create: CreateConnector | undefined;
  return {
    system,
    enabled: (s) => !!s[`${system}.baseUrl`],
    load: async () => {
      // a failed import is tried again by the next change rather than remembered
      loaded ??= load().catch((err: unknown) => {
        loaded = undefined;
        throw err;
      });
      create = await loaded;
    },
    create: (s, store, log) => {
      if (!create) throw new Error(`the ${system} connector was created before its code was loaded`);
      return create(s, store, log);
    },
  };
}

/** Which connectors the settings turn on: a system is on when its base URL is set. */
const FACTORIES: ConnectorFactory[] = [
  builtIn('openlmis', async () => {
    const { createOpenLmisConnector, storeLedger } = await import('./openlmis/index.js');
    return (s, store) =>
      createOpenLmisConnector(s, { crosswalk: crosswalkLookup(store, 'openlmis'), ledger: storeLedger(store) });
  }),
  builtIn('msupply', async () => {
    const { createMsupplyConnector } = await import('./msupply/index.js');
    return (s, store, log) => createMsupplyConnector(s, { crosswalk: crosswalkLookup(store, 'msupply'), log });
  }),
  builtIn('dhis2', async () => {
    const { createDhis2Connector, storePeriodLock } = await import('./dhis2/index.js');
    return (s, store) =>
      createDhis2Connector(s, {
        crosswalk: crosswalkLookup(store, 'dhis2'),
        linked: crosswalkLinked(store, 'dhis2'),
        periodLock: storePeriodLock(store),
      });
  }),
  builtIn('openmrs', async () => {
    const { createOpenMrsConnector, storeConfirmations } = await import('./openmrs/index.js');
    return (s, store) =>
      createOpenMrsConnector(s, {
        crosswalk: crosswalkLookup(store, 'openmrs'),
        confirmedBy: storeConfirmations(store),
      });
  }),
];

/** Every system a connector can be configured for (built in and registered). */
export function knownSystems(): string[] {
  return FACTORIES.map((f) => f.system);
}

/**
 * Adds a connector to every ConnectorSet made after this call, handed to routing like the built-in
 * ones (after them, in registration order). For a system whose code is not in this package: an
 * end-to-end test preloads (node --import) a module that registers its in-test system.
 */
export function registerConnectorFactory(factory: ConnectorFactory): void {
  if (FACTORIES.some((f) => f.system === factory.system))
    throw new Error(`a connector for ${factory.system} is already registered`);
  FACTORIES.push(factory);
}

/**
 * The live set of connectors. `apply` follows a settings change: a system still configured is
 * reconfigured in place (its caches and tokens survive only if it chooses), a new one is created,
 * a removed one is closed. The code of a newly configured system is imported first, then the set
 * changes in one synchronous step as it always did; changes are applied one after the other, in
 * the order they came, so a slow import never lets an older change land after a newer one.
 */
export class ConnectorSet {
  private readonly bySystem = new Map<string, Connector>();
  private applying: Promise<void> = Promise.resolve();
  /** The settings the connectors run on now: what a change refused part-way goes back to. */
  private applied: Record<string, unknown> | undefined;

  /** An empty set; `open` is the usual way in. `log`: the server's, handed to each connector. */
  constructor(
    private readonly store: Store,
    private readonly log?: ConnectorLog,
  ) {}

  /** The connectors the settings turn on, their code loaded. */
  static async open(store: Store, settings: Record<string, unknown>, log?: ConnectorLog): Promise<ConnectorSet> {
    const set = new ConnectorSet(store, log);
    await set.apply(settings);
    return set;
  }

  list(): Connector[] {
    return [...this.bySystem.values()];
  }

  apply(settings: Record<string, unknown>): Promise<void> {
    const next = this.applying.then(async () => {
      await Promise.all(FACTORIES.filter((f) => f.enabled(settings)).map((f) => f.load?.()));
      this.applyLoaded(settings);
    });
    this.applying = next.catch(() => undefined); // a refused change does not block the next one
    return next;
  }

  /**
   * All or nothing: a change one connector refuses (a setting its parser rejects, say DHIS2's
   * stock target `rts` without its program) leaves every connector as it was, including one the
   * same change had already reconfigured, so the settings in force and the connectors agree.
   * New connectors are built first (a refusal there touches nothing); a reconfigure refused
   * part-way puts the ones already reconfigured back on the settings they ran on.
   */
  private applyLoaded(settings: Record<string, unknown>): void {
    const created = new Map<string, Connector>();
    const reconfigured: Connector[] = [];
    try {
      for (const f of FACTORIES) {
        const existing = this.bySystem.get(f.system);
        if (f.enabled(settings) && !existing?.reconfigure)
          created.set(f.system, f.create(settings, this.store, this.log));
      }
      for (const f of FACTORIES) {
        const existing = this.bySystem.get(f.system);
        if (!f.enabled(settings) || !existing?.reconfigure) continue;
        existing.reconfigure(settings);
        reconfigured.push(existing);
      }
    } catch (err) {
      for (const c of reconfigured) if (this.applied) c.reconfigure?.(this.applied);
      for (const c of created.values()) void c.close?.();
      throw settingsRefusal(err);
    }
    for (const f of FACTORIES) {
      const existing = this.bySystem.get(f.system);
      if (existing && reconfigured.includes(existing)) continue;
      // switched off, or a connector that cannot reconfigure: the old one goes, a new one comes
      if (existing) void existing.close?.();
      this.bySystem.delete(f.system);
      const next = created.get(f.system);
      if (next) this.bySystem.set(f.system, next);
    }
    this.applied = settings;
  }

  async close(): Promise<void> {
    await this.applying;
    await Promise.allSettled(this.list().map((c) => c.close?.()));
  }
}
