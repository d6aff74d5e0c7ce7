import type { Facility } from '../../domain/facility.js';
import type { Code, Identifier } from '../../domain/identifiers.js';
import type { FacilityCapability, FacilityField } from '../../routing/ports.js';

/**
 * The facility a system is asked to write for a registry change. An update starts from the
 * system's own record, so what the registry does not govern (OpenLMIS programs, the system's
 * identifiers that its upsert finds the record by, its facility type vocabulary) is kept, and
 * lays the registry's name, status, position, parent and code over it. A create is the registry
 * facility itself, its parent given as the system's area.
 */
export interface WriteInput {
  registry: Facility;
  /** The system's current record (update, deactivate); absent for a create. */
  current?: Facility;
  /** The system's area the registry parent corresponds to, when one was found. */
  parentId?: string;
  /** The namespace the registry code is written under (registry.identifierSystem). */
  registryCodeSystem: string;
  /** The registry's types in the system's vocabulary (facility-types.json); empty keeps the system's. */
  types: Code[];
}

export function facilityToWrite({ registry, current, parentId, registryCodeSystem, types }: WriteInput): Facility {
  const code = registry.identifiers.find((i) => i.system === registryCodeSystem);
  if (!current) {
    return {
      ...registry,
      id: undefined,
      partOf: parentId,
      types,
      identifiers: code ? [code] : registry.identifiers,
    };
  }
  return {
    ...current,
    types: types.length ? types : current.types,
    name: registry.name,
    status: registry.status,
    position: registry.position ?? current.position,
    partOf: parentId ?? current.partOf,
    areaPath: registry.areaPath ?? current.areaPath,
    identifiers: withCode(current.identifiers, code),
  };
}

function withCode(identifiers: Identifier[], code: Identifier | undefined): Identifier[] {
  if (!code) return identifiers;
  return [...identifiers.filter((i) => i.system !== code.system), code];
}

/**
 * The fields a registry change alters on the system's record (all of them for a create, but the
 * code: a new record takes the registry code as its own or keeps it under the registry's
 * namespace). The registry code counts as changed when the system's record holds that value under
 * no namespace: a system that keeps it (OpenMRS, Open mSupply) then writes it, and one that keeps
 * its own code (OpenLMIS, DHIS2: set from the registry code when the mediator created the record)
 * reports it as not kept, as after a recode in the registry.
 */
export function changedFields(
  write: Facility,
  current: Facility | undefined,
  registryCodeSystem: string,
): FacilityField[] {
  const fields: FacilityField[] = [];
  const differs = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  if (!current || write.name !== current.name) fields.push('name');
  if (!current || write.status !== current.status) fields.push('status');
  if (write.position && (!current || differs(write.position, current.position))) fields.push('position');
  if (write.partOf && (!current || write.partOf !== current.partOf)) fields.push('parent');
  const typeCodes = (f: Facility | undefined) => (f?.types ?? []).map((t) => t.code).sort();
  if (write.types?.length && (!current || differs(typeCodes(write), typeCodes(current)))) fields.push('type');
  const code = write.identifiers.find((i) => i.system === registryCodeSystem)?.value;
  if (current && code && !current.identifiers.some((i) => i.value === code)) fields.push('code');
  return fields;
}

/**
 * The fields to check against what the system can keep. A system with no facility types
 * (OpenMRS) never gets the registry's type written, so it never shows as changed: it is added
 * whenever the registry facility has one, so its loss is reported, not silent.
 */
export function fieldsToReport(
  fields: FacilityField[],
  capability: FacilityCapability,
  registry: Facility,
): FacilityField[] {
  const typeLost = !!capability.cannotKeep?.type && !!registry.types?.length && !fields.includes('type');
  return typeLost ? [...fields, 'type'] : fields;
}

/** Each changed field the system cannot keep, with the connector's reason. */
export function unsupportedFields(
  capability: FacilityCapability,
  fields: FacilityField[],
): Record<string, string> | undefined {
  const entries = fields.flatMap((f) => (capability.cannotKeep?.[f] ? [[f, capability.cannotKeep[f]!]] : []));
  return entries.length ? Object.fromEntries(entries) : undefined;
}
