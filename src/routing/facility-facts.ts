import type { FacilityRef } from '../domain/identifiers.js';
import type { Store } from '../store/types.js';
import type { Connector } from './ports.js';
import type { FacilityFacts } from './rules.js';

/** Crosswalk states that link a registry facility to a system's record (src/systems/index.ts reads them too). */
export const LINKED = new Set(['auto-match', 'manual-match']);

/**
 * The facts routing rules ask about a facility, each looked up once and only when a rule asks:
 * the crosswalk links from the store (the reconciliation keeps them, src/registry/store-crosswalk.ts),
 * the type codes from the value itself or else the first connector serving facilities that knows it.
 */
export function facilityFacts(
  store: Pick<Store, 'listCrosswalkByRegistryId'>,
  connectors: Connector[],
  ref: FacilityRef | undefined,
  knownTypes?: string[],
): FacilityFacts {
  let linked: Promise<string[]> | undefined;
  let types: Promise<string[]> | undefined = knownTypes && Promise.resolve(knownTypes);
  return {
    linkedSystems: () =>
      (linked ??= ref?.id
        ? store
            .listCrosswalkByRegistryId(ref.id)
            .then((rows) => rows.filter((r) => LINKED.has(r.state)).map((r) => r.system))
        : Promise.resolve([])),
    types: () => (types ??= lookUpTypes(connectors, ref)),
  };
}

async function lookUpTypes(connectors: Connector[], ref: FacilityRef | undefined): Promise<string[]> {
  if (!ref?.id) return [];
  for (const c of connectors) {
    const facility = await c.facilities?.get(ref.id);
    if (facility) return (facility.types ?? []).map((t) => t.code);
  }
  return [];
}
