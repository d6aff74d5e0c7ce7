import type { Facility } from '../../domain/facility.js';
import type { FacilityCapability } from '../../routing/ports.js';

/**
 * The system's area a registry facility's parent corresponds to. Each system keeps its own area
 * tree (OpenLMIS geographic zones, DHIS2 org units above the facility level, OpenMRS parent
 * locations) with its own ids, so the registry parent is found there by name: the registry
 * jurisdiction's name, else the nearest name of the facility's area path. No area of that name is
 * reported as a field the system could not take, and the record keeps its parent.
 */
export interface AreaLookup {
  id?: string;
  unsupported?: Record<string, string>;
}

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' }) === 0;

/** The id of the system's area of that name (any case), or undefined. */
export async function findArea(capability: FacilityCapability, name: string): Promise<string | undefined> {
  const { items } = await capability.search({ name });
  return items.find((f) => f.kind === 'area' && same(f.name, name))?.id;
}

export async function systemArea(
  capability: FacilityCapability,
  facility: Facility,
  registryName: (registryId: string) => Promise<string | undefined>,
  /** The system's area of a name (findArea, usually behind a cache). */
  find: (name: string) => Promise<string | undefined>,
): Promise<AreaLookup> {
  if (capability.cannotKeep?.parent) return {};
  const names = [
    ...(facility.partOf ? [await registryName(facility.partOf)] : []),
    ...(facility.areaPath?.slice(0, 1) ?? []),
  ].filter((n): n is string => !!n);
  if (names.length === 0) return {};
  for (const name of names) {
    const id = await find(name);
    if (id) return { id };
  }
  return { unsupported: { parent: `no area named ${names[0]} in this system: its parent is left as it was` } };
}
