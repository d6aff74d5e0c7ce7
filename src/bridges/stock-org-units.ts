import type { Facility, FacilityRef } from '../domain/index.js';
import { holdsRegistryId } from '../registry/crosswalk-types.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';

/**
 * Which DHIS2 org unit an LMIS facility reports under. The rule, first that answers:
 * 1. the crosswalk: the LMIS facility and a DHIS2 org unit linked to the same registry facility
 *    (each link auto- or manually matched, or flagged but still held; src/registry);
 * 2. the facility code: an org unit whose code is the LMIS facility's code (the demo sandboxes
 *    share national codes LK-HC-101 …, as openlmis-dhis2-integration's shared_facilities does;
 *    DHIS2 keeps codes unique among all org units).
 * Either only a facility org unit, as the DHIS2 connector decides it: at `dhis2.facilityLevel` or
 * below, or a leaf above it the crosswalk holds (a regional store propagation moved under its
 * region). An area is never one: a district whose code equals an LMIS facility's would otherwise
 * take that facility's stock as the district's own figures.
 * No answer: the facility is skipped and counted, never guessed, with why when an area was named.
 */
export interface OrgUnitTarget {
  uid: string;
  code?: string;
  name: string;
  /** How it was found, for the run's counts and the dry run. */
  by: 'crosswalk' | 'code';
}

/** The finder's answer: the org unit, or none and (when an area was named) why not. */
export type OrgUnitLookup = { target: OrgUnitTarget } | { target?: undefined; why?: string };

export type OrgUnitFinder = (system: string, facility: FacilityRef) => Promise<OrgUnitLookup>;

const CODE_SYSTEM = 'http://dhis2.org/identifiertypes#code';

const codeOf = (f: Facility) => f.identifiers.find((i) => i.system === CODE_SYSTEM)?.value;

function targetOf(f: Facility, by: OrgUnitTarget['by']): OrgUnitTarget {
  return { uid: f.id!, code: codeOf(f), name: f.name, by };
}

/** Why an area the crosswalk or the code names is not taken, for the run's result. */
const areaNamed = (how: string, area: Facility) =>
  `${how} names the DHIS2 area ${area.name}${codeOf(area) ? ` (${codeOf(area)})` : ''}, not a facility org unit`;

/** One finder per run: DHIS2's org units listed once (by code and UID), the crosswalk read per facility. */
export function orgUnitFinder(store: Store, dhis2: Connector): OrgUnitFinder {
  let index: Promise<{ byCode: Map<string, Facility>; byUid: Map<string, Facility> }> | undefined;
  const load = () =>
    (index ??= (async () => {
      const all = (await dhis2.facilities?.listAll?.()) ?? [];
      const byCode = new Map<string, Facility>();
      const byUid = new Map<string, Facility>();
      for (const f of all) {
        // areas too, so a code or link that names one is reported as such, never taken
        if (!f.id) continue;
        byUid.set(f.id, f);
        const code = codeOf(f);
        if (code) byCode.set(code, f);
      }
      return { byCode, byUid };
    })());

  const viaCrosswalk = async (system: string, id: string): Promise<Facility | undefined> => {
    const own = await store.getCrosswalk(system, id);
    if (!own?.registryId || !holdsRegistryId(own.state)) return undefined;
    const linked = (await store.listCrosswalkByRegistryId(own.registryId)).find(
      (r) => r.system === dhis2.system && holdsRegistryId(r.state),
    );
    return linked ? (await load()).byUid.get(linked.systemId) : undefined;
  };

  return async (system, facility) => {
    const linked = facility.id ? await viaCrosswalk(system, facility.id) : undefined;
    if (linked?.kind === 'facility') return { target: targetOf(linked, 'crosswalk') };
    const code = facility.identifier?.value;
    const byCode = code ? (await load()).byCode.get(code) : undefined;
    if (byCode?.kind === 'facility') return { target: targetOf(byCode, 'code') };
    if (byCode) return { why: areaNamed(`its code ${code}`, byCode) };
    return linked ? { why: areaNamed('the crosswalk', linked) } : {};
  };
}
