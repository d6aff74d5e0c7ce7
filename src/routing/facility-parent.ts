import { BusinessRuleError } from '../domain/errors.js';
import type { Facility } from '../domain/facility.js';
import { isTransientFailure } from '../outbox/failures.js';
import { findAreas } from '../registry/propagation/areas.js';
import type { Store } from '../store/types.js';
import { LINKED } from './facility-facts.js';
import { withLinkedParent, type AwaitJob, type LinkedParentStore } from './linked-parent.js';
import type { Connector, FacilityCapability, WriteResult } from './ports.js';

/**
 * A client's Location names its parent by one system's id (an OpenLMIS geographic zone, as the
 * system of record lists it), but its write fans out to systems that keep their own area trees
 * (routing.json `secondary`): DHIS2 wants the parent org unit's UID, OpenMRS the parent location's
 * uuid. So, when the job of each system is delivered (a retry resolves again; the job's payload
 * stays what the client sent), the parent is given as that system's own area:
 *   1. a parent the system holds itself (a DHIS2 UID a DHIS2 client knows) is kept;
 *   2. one the crosswalk links (through the registry facility) to a record of the system is that record;
 *   3. else the system's area of the parent's name, found as registry propagation finds areas
 *      (registry/propagation/areas.ts), narrowed by level when several share the name.
 * A parent no system knows is left as sent.
 */
export type ParentDeps = {
  connectors: Connector[];
  store: Pick<Store, 'getCrosswalk' | 'listCrosswalkByRegistryId'> & LinkedParentStore;
  /** The outbox's wait for another job's end without the delivery slot (DeliveryContext.awaitJob). */
  awaitJob?: AwaitJob;
};

/** The parent in the system's terms, or why there is none (no area of the name, or several). */
export interface SystemParent {
  partOf?: string;
  refusal?: BusinessRuleError;
}

export async function systemParent(system: string, facility: Facility, deps: ParentDeps): Promise<SystemParent> {
  const parentId = facility.partOf;
  const target = deps.connectors.find((c) => c.system === system)?.facilities;
  if (!parentId || !target || target.cannotKeep?.parent) return { partOf: parentId };
  if (await target.get(parentId)) return { partOf: parentId };
  const source = await parentElsewhere(system, parentId, deps.connectors);
  if (!source) return { partOf: parentId };
  const linked = await linkedRecord(system, source, deps.store);
  if (linked) return { partOf: linked };
  return areaByName(system, target, source);
}

/**
 * One system's write of a client's facility (a secondary target's job), under the parent in that
 * system's terms. A parent it has no single area for is sent as the client named it, so the
 * connector does what it does with a parent it does not hold (DHIS2 keeps an org unit's current
 * parent on an update; a create, or OpenMRS, is refused); its refusal then says why in these terms.
 */
export async function writeUnderSystemParent(
  system: string,
  facility: Facility,
  deps: ParentDeps,
  write: (facility: Facility) => Promise<WriteResult>,
): Promise<WriteResult> {
  const parent = await systemParent(system, await withLinkedParent(system, facility, deps), deps);
  if (!parent.refusal)
    return write(parent.partOf === facility.partOf ? facility : { ...facility, partOf: parent.partOf });
  return write(facility).catch((err: unknown) => {
    throw refusesParent(err) ? parent.refusal : err;
  });
}

/**
 * The system of record's write of a client's facility: what the client sent, in that system's
 * terms already, but for a parent named by the id the mediator gave it (linked-parent.ts).
 */
export async function writeUnderLinkedParent(
  system: string,
  facility: Facility,
  deps: ParentDeps,
  write: (facility: Facility) => Promise<WriteResult>,
): Promise<WriteResult> {
  return write(await withLinkedParent(system, facility, deps));
}

/** A connector's refusal of the parent it was given. */
function refusesParent(err: unknown): boolean {
  return err instanceof BusinessRuleError && err.issues.some((i) => i.expression?.includes('Location.partOf'));
}

/** The parent as the system that holds it lists it. */
interface SourceArea {
  system: string;
  area: Facility;
}

/**
 * The system holding the parent. One that fails to answer (down, slow, its login refused) most
 * likely does not hold it, so the others are asked: an outage of a system unrelated to the write
 * must not hold up, or dead-letter, another system's job. They are asked at once and the first
 * that holds the id answers (ids are each system's own: one holds it), so a system that hangs
 * until its timeout does not make the attempt outlast the outbox's. Only when none of those that
 * answered holds it does a failure decide, an outage first (transient: the job waits for it).
 */
async function parentElsewhere(system: string, id: string, connectors: Connector[]): Promise<SourceArea | undefined> {
  const failures: unknown[] = [];
  const asks = connectors
    .filter((c) => c.system !== system && c.facilities)
    .map((c) =>
      c.facilities!.get(id).then(
        (area) => (area ? { system: c.system, area } : undefined),
        (err: unknown) => void failures.push(err),
      ),
    );
  // the first answer that holds it; none (every answer empty or failed): undefined
  const found = await Promise.any(asks.map((a) => a.then((v) => v ?? Promise.reject(new Error('not here'))))).catch(
    () => undefined,
  );
  if (found) return found;
  if (failures.length) throw failures.find(isTransientFailure) ?? failures[0];
  return undefined;
}

/** The system's record the crosswalk links to the same registry facility as the parent. */
async function linkedRecord(
  system: string,
  source: SourceArea,
  store: ParentDeps['store'],
): Promise<string | undefined> {
  const row = await store.getCrosswalk(source.system, source.area.id!);
  if (!row?.registryId || !LINKED.has(row.state)) return undefined;
  const rows = await store.listCrosswalkByRegistryId(row.registryId);
  return rows.find((r) => r.system === system && LINKED.has(r.state))?.systemId;
}

async function areaByName(system: string, target: FacilityCapability, source: SourceArea): Promise<SystemParent> {
  const { name } = source.area;
  // a retired (closed) area is no place for a new facility, and names are unique only among the
  // live ones (OpenMRS LocationValidator): one retired and made again is not two of the name
  const found = await findAreas(target, name);
  const named = found.filter((a) => a.status !== 'inactive');
  const candidates = named.length > 1 ? atLevelOf(named, source.area) : named;
  if (candidates.length === 1) return { partOf: candidates[0].id! };
  const parent = `parent area '${name}' (${areaNoun(source.system)} ${source.area.id})`;
  const what = areaNoun(system);
  const retired = found.length > named.length ? ` (only ${found.length - named.length} retired or closed)` : '';
  const refusal = new BusinessRuleError(
    candidates.length === 0
      ? `${parent} has no ${what} of that name${retired}, so the facility cannot be placed in ${system}; link the two in the crosswalk or name the ${what} alike`
      : `${parent} has ${candidates.length} ${what}s of that name in ${system}: ${candidates
          .map((c) => c.id!)
          .sort()
          .join(', ')}; link the right one to it in the crosswalk`,
    'Location.partOf',
  );
  return { refusal };
}

/**
 * Areas of the same level as the parent: levels are each system's own (an OpenLMIS level code, a
 * DHIS2 level number), so they are compared by what both may carry, the level's name. None at
 * that level keeps them all (still ambiguous).
 */
function atLevelOf(areas: Facility[], parent: Facility): Facility[] {
  const levels = new Set(levelNames(parent));
  if (!levels.size) return areas;
  const same = areas.filter((a) => levelNames(a).some((l) => levels.has(l)));
  return same.length ? same : areas;
}

function levelNames(area: Facility): string[] {
  return (area.types ?? [])
    .flatMap((t) => [t.display, t.code])
    .filter((x): x is string => !!x)
    .map((x) => x.toLowerCase());
}

/** What each system calls the area a facility sits in, for the refusal. */
const AREA_NOUNS: Record<string, string> = {
  openlmis: 'OpenLMIS zone',
  dhis2: 'DHIS2 org unit',
  openmrs: 'OpenMRS location',
  msupply: 'Open mSupply name',
};

function areaNoun(system: string): string {
  return AREA_NOUNS[system] ?? `${system} area`;
}
