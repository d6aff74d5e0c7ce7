import type { Settings } from '../../config/settings.js';
import { activeMapping } from '../../config/mappings.js';
import type { Outbox } from '../../outbox/outbox.js';
import type { Connector } from '../../routing/ports.js';
import { ROUTING_FILE, type FlowRouting, type RoutingRules } from '../../routing/rules.js';
import type { Store } from '../../store/types.js';
import type { MarkHeldReport } from '../mfr/feed-held.js';
import { lazyRegistryClient } from '../mfr/lazy-client.js';
import type { RegistryClient } from '../mfr/types.js';
import { Propagator } from './propagator.js';
import { FACILITY_TYPES_FILE, type FacilityTypeMap } from './facility-types.js';
import type { PropagationLogger } from './plan-given-up.js';

export { Propagator, PROPAGATE_FLOW, registryCodeSystem } from './propagator.js';
export type { IntakeCounts, PropagationPayload } from './propagator.js';
export { plansGivenUpCounter } from './plan-given-up.js';

export interface RegistrySideDeps {
  store: Store;
  outbox: Outbox;
  connectors: () => Connector[];
  settings: () => Settings;
  /** Every system a connector may be configured for (their propagation handlers are registered once). */
  systems: string[];
  /** The `facilities` flow of routing.json; default: the checked mapping in force. */
  routing?: () => FlowRouting | undefined;
  /** A pull that kept the feed's mark where it was (the server logs and counts it: feed-held.ts). */
  onMarkHeld?: (held: MarkHeldReport) => void;
  /** Where propagation warns an operator (a plan given up: plan-given-up.ts). */
  logger?: PropagationLogger;
  /** Counts a plan given up, by system (the server's plansGivenUpCounter). */
  countPlanGivenUp?: (system: string) => void;
}

export interface RegistrySide {
  propagator: Propagator;
  /** The registry client of the current settings (made again when its URL changes). */
  registry: () => RegistryClient | undefined;
  close(): Promise<void>;
}

/** The propagator with its outbox handlers, and the registry client, as the server and the CLI use them. */
export function registrySide(deps: RegistrySideDeps): RegistrySide {
  const propagator = new Propagator({
    ...deps,
    routing: deps.routing ?? (() => activeMapping<RoutingRules>(ROUTING_FILE).flows.facilities),
    types: () => activeMapping<FacilityTypeMap>(FACILITY_TYPES_FILE),
  });
  propagator.registerHandlers(deps.systems);
  let client: RegistryClient | undefined;
  let url: unknown;
  const registry = () => {
    const s = deps.settings();
    if (s['registry.url'] !== url) {
      void client?.close();
      url = s['registry.url'];
      client = lazyRegistryClient(s, { onMarkHeld: deps.onMarkHeld });
    } else client?.reconfigure?.(s);
    return client;
  };
  return { propagator, registry, close: async () => client?.close() };
}
