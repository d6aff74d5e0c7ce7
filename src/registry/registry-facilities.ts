import type { Settings } from '../config/settings.js';
import type { Facility } from '../domain/facility.js';
import type { Store } from '../store/types.js';
import type { LoadedList } from './facility-list.js';
import type { RegistryClient } from './mfr/types.js';

/**
 * Where the registry's facilities are read from, the same for the reconcile job and the review
 * console (which names the records a reconcile run suggested): the master facility registry
 * through its client when `registry.url` is set, else the `registry.file` list. The console used
 * to read only the file, so with a registry server alone every suggestion showed a bare id.
 */
export type RegistrySource = { kind: 'url'; url: string } | { kind: 'file'; file: string } | { kind: 'none' };

export function registrySource(settings: Settings): RegistrySource {
  const url = settings['registry.url'];
  if (typeof url === 'string' && url !== '') return { kind: 'url', url };
  const file = settings['registry.file'];
  if (typeof file === 'string' && file !== '') return { kind: 'file', file };
  return { kind: 'none' };
}

/**
 * Every current registry facility, by the client's checked full read (it throws rather than give a
 * partial list, so a failed page fails the caller instead of retiring rows or hiding names).
 * Jurisdictions are areas, not facilities: they are left out as the systems' zones are. `shared`
 * is the mediator's client; without one a client is made for this read and closed after it.
 */
export async function readRegistryServer(
  settings: Settings,
  shared?: () => RegistryClient | undefined,
): Promise<Facility[]> {
  const own = shared?.();
  // imported here, not at start-up: the client brings undici (issue 18)
  const client = own ?? (await import('./mfr/client.js')).createRegistryClient(settings);
  if (!client) return [];
  try {
    const records = await client.listAll();
    return records.flatMap((r) => (r.facility?.kind === 'facility' ? [r.facility] : []));
  } finally {
    if (!own) await client.close();
  }
}

/**
 * The `registry.file` list, its records given the ids the reconcile job stores (list-ids.ts: the
 * id column, else an id-like header, else the first complete unique code column, else row
 * numbers), the same for the job and the console that names the job's suggestions: a crosswalk
 * stored while the list was read by row numbers keeps them, so its decisions keep their records
 * and the console finds the facility each one names. `systems`: those reconciled against it.
 */
export async function readRegistryFile(
  file: string,
  store: Pick<Store, 'listCrosswalk'>,
  systems: string[],
): Promise<LoadedList> {
  // the list reader is imported by the first read, not at start-up (issue 18)
  const { loadFacilityList } = await import('./facility-list.js');
  return loadFacilityList(file, { system: 'registry', rowIds: await keyedByRow(store, systems), checked: true });
}

/** Whether a stored crosswalk links registry ids that are row numbers (a list read before code columns gave ids). */
async function keyedByRow(store: Pick<Store, 'listCrosswalk'>, systems: string[]): Promise<boolean> {
  const { isRowNumberId } = await import('./list-ids.js');
  for (const system of systems)
    if ((await store.listCrosswalk(system)).some((r) => isRowNumberId(r.registryId))) return true;
  return false;
}
