import type { Facility } from '../../domain/facility.js';
import { facilityFacts } from '../../routing/facility-facts.js';
import type { Connector } from '../../routing/ports.js';
import { resolveTargets, UnroutableError, type FlowRouting } from '../../routing/rules.js';
import type { Store } from '../../store/types.js';

/**
 * The systems routing.json places a new registry facility in: the `facilities` flow's system of
 * record and its secondary targets, among the systems that can create facilities. A facility no
 * rule places anywhere is created nowhere (its propagation rows say so).
 */
export async function routedSystems(
  facility: Facility,
  deps: { store: Store; connectors: () => Connector[]; routing: () => FlowRouting | undefined },
): Promise<Set<string>> {
  const connectors = deps.connectors();
  const writers = connectors.filter((c) => c.facilities?.upsert).map((c) => c.system);
  if (writers.length === 0) return new Set();
  const ref = { id: facility.id, identifier: facility.identifiers[0], display: facility.name };
  const types = (facility.types ?? []).map((t) => t.code);
  try {
    const targets = await resolveTargets(
      'facilities',
      deps.routing(),
      { facility: ref, facts: facilityFacts(deps.store, connectors, ref, types) },
      writers,
      ['Location'],
    );
    return new Set([targets.primary, ...targets.secondary]);
  } catch (err) {
    if (err instanceof UnroutableError) return new Set();
    throw err;
  }
}
