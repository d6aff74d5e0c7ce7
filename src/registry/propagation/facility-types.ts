import { codeCandidates, type Code } from '../../domain/identifiers.js';
import type { MappingFile } from '../../config/mappings.js';

/**
 * fhir-mappings/facility-types.json: what each system calls a registry facility type. Every
 * system has its own type vocabulary (OpenLMIS facility types, DHIS2 org unit groups), so a
 * registry type reaches a system only through a row here; one without a row is reported, and the
 * system's own type is kept.
 */
export interface FacilityTypeMap {
  types: { registry: { system?: string; code: string }; display?: string; systems: Record<string, string> }[];
}

export const FACILITY_TYPES_FILE: MappingFile<FacilityTypeMap> = {
  file: 'facility-types.json',
  schema: 'facility-types.schema.json',
  check: (data) => {
    const seen = new Set<string>();
    return data.types.flatMap((t, i) => {
      const key = `${t.registry.system ?? ''}|${t.registry.code}`;
      const dup = seen.has(key);
      seen.add(key);
      return dup ? [{ path: `/types/${i}/registry`, reason: `repeats the registry type ${t.registry.code}` }] : [];
    });
  },
};

export interface SystemTypes {
  /** The system's type codes for the registry's types (empty when none maps). */
  codes: Code[];
  /** Registry types with no row for this system. */
  unmapped: string[];
}

/** The registry facility's types in one system's vocabulary. */
export function systemTypes(map: FacilityTypeMap, registryTypes: Code[] | undefined, system: string): SystemTypes {
  const codes: Code[] = [];
  const unmapped: string[] = [];
  for (const t of registryTypes ?? []) {
    // every coding of the type, the first with a row wins
    const row = codeCandidates(t)
      .map((c) =>
        map.types.find((r) => r.registry.code === c.code && (!r.registry.system || r.registry.system === c.system)),
      )
      .find(Boolean);
    const code = row?.systems[system];
    if (code) codes.push({ code, display: row!.display });
    else unmapped.push(t.code);
  }
  return { codes, unmapped };
}
