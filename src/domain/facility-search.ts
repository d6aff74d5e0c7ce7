import type { Facility } from './facility.js';
import { nameMatches } from './name-search.js';

/**
 * The criteria of a facility search this match reads: the part of routing's SearchCriteria every
 * system keeps (named here so the domain depends on nothing outside it, DESIGN §3).
 */
export interface FacilityCriteria {
  name?: string;
  status?: string;
  partOf?: string;
  type?: string;
  identifier?: { system?: string; value: string };
}

/**
 * Does a facility a connector read meet the search's criteria on what every system keeps of it:
 * its name (or an alias), status, parent, type and identifier? One function, so the systems answer
 * one search alike. A token's code is matched exactly (FHIR search.html#token: case-sensitive
 * unless its code system says otherwise, and none of these says anything). The time criteria are
 * each connector's own: only some systems keep when a facility last changed.
 */
export function facilityMatches(f: Facility, c: FacilityCriteria): boolean {
  if (c.name && !nameMatches(f.name, c.name) && !f.aliases?.some((a) => nameMatches(a, c.name!))) return false;
  if (c.status && f.status !== c.status) return false;
  if (c.partOf && f.partOf !== c.partOf) return false;
  if (c.type && !f.types?.some((t) => t.code === c.type)) return false;
  if (c.identifier) {
    const { system, value } = c.identifier;
    if (!f.identifiers.some((i) => i.value === value && (!system || i.system === system))) return false;
  }
  return true;
}
