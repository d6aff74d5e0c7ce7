import type { Store } from '../store/types.js';
import type { Connector } from '../routing/ports.js';
import { createOpenLmisConnector, storeLedger } from './openlmis/index.js';
import { createMsupplyConnector } from './msupply/index.js';
import { createDhis2Connector } from './dhis2/index.js';
import { createOpenMrsConnector } from './openmrs/index.js';

/** Crosswalk states that link a registry facility to a system's record. */
const LINKED = new Set(['auto-match', 'manual-match']);

/** Registry id → the system's own id, from the crosswalk the reconciliation keeps. */
export function crosswalkLookup(store: Store, system: string): (registryId: string) => Promise<string | undefined> {
  return async (registryId) =>
    (await store.listCrosswalkByRegistryId(registryId)).find((r) => r.system === system && LINKED.has(r.state))
      ?.systemId;
}

/** How a system's connector is made from the settings, and whether the settings turn it on. */
export interface ConnectorFactory {
  system: string;
  enabled: (s: Record<string, unknown>) => boolean;
  create: (s: Record<string, unknown>, store: Store) => Connector;
}

/** Which connectors the settings turn on: a system is on when its base URL is set. */
const FACTORIES: ConnectorFactory[] = [
  {
    system: 'openlmis',
    enabled: (s) => !!s['openlmis.baseUrl'],
    create: (s, store) =>
      createOpenLmisConnector(s, { crosswalk: crosswalkLookup(store, 'openlmis'), ledger: storeLedger(store) }),
  },
  {
    system: 'msupply',
    enabled: (s) => !!s['msupply.baseUrl'],
    create: (s, store) => createMsupplyConnector(s, { crosswalk: crosswalkLookup(store, 'msupply') }),
  },
  {
    system: 'dhis2',
    enabled: (s) => !!s['dhis2.baseUrl'],
    create: (s, store) => createDhis2Connector(s, { crosswalk: crosswalkLookup(store, 'dhis2') }),
  },
  {
    system: 'openmrs',
    enabled: (s) => !!s['openmrs.baseUrl'],
    create: (s, store) => createOpenMrsConnector(s, { crosswalk: crosswalkLookup(store, 'openmrs') }),
  },
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
 * a removed one is closed.
 */
export class ConnectorSet {
  private readonly bySystem = new Map<string, Connector>();

  constructor(
    private readonly store: Store,
    settings: Record<string, unknown>,
  ) {
    this.apply(settings);
  }

  list(): Connector[] {
    return [...this.bySystem.values()];
  }

  apply(settings: Record<string, unknown>): void {
    for (const f of FACTORIES) {
      const existing = this.bySystem.get(f.system);
      if (f.enabled(settings) && existing?.reconfigure) {
        existing.reconfigure(settings);
        continue;
      }
      // switched off, or a connector that cannot reconfigure: the old one goes, a new one comes
      if (existing) void existing.close?.();
      this.bySystem.delete(f.system);
      if (f.enabled(settings)) this.bySystem.set(f.system, f.create(settings, this.store));
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list().map((c) => c.close?.()));
  }
}
