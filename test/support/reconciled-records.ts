/**
 * The state a national reconcile leaves, for the first propagation after it: registry facilities
 * already held by each system (made straight through the connector's upsert, as the registry has
 * them, no store or outbox), linked to them as the matcher's auto-match links them.
 */
import { activeMapping } from '../../src/config/mappings.js';
import type { Facility } from '../../src/domain/facility.js';
import { eachLimited } from '../../src/platform/each-limited.js';
import type { RegistryRecord } from '../../src/registry/mfr/types.js';
import { findArea } from '../../src/registry/propagation/areas.js';
import {
  FACILITY_TYPES_FILE,
  systemTypes,
  type FacilityTypeMap,
} from '../../src/registry/propagation/facility-types.js';
import { registryCodeSystem } from '../../src/registry/propagation/propagator.js';
import { facilityToWrite } from '../../src/registry/propagation/write.js';
import type { StepJournal } from '../../src/routing/ports.js';
import type { PropagationRig } from './propagation-rig.js';

/** Opens `n` facilities `${prefix}-0` … in the registry under Mberewa District (LKL-N-MBR). */
export function openInRegistry(rig: PropagationRig, prefix: string, n: number): void {
  for (let i = 0; i < n; i++)
    rig.mfr.state.open({
      code: `${prefix}-${i}`,
      name: `Reconciled Clinic ${prefix} ${i}`,
      parent: 'LKL-N-MBR',
      point: [34.1 + i / 10_000, -10.4],
    });
}

/** The registry's facilities whose code starts with `prefix`, as its client reads them from `mark`. */
export async function registryFacilities(
  rig: PropagationRig,
  prefix: string,
  mark?: string,
): Promise<RegistryRecord[]> {
  const records: RegistryRecord[] = [];
  for await (const page of rig.side.registry()!.changesSince(mark))
    records.push(
      ...page.records.filter(
        (r) => r.facility?.kind === 'facility' && r.facility.identifiers.some((i) => i.value.startsWith(`${prefix}-`)),
      ),
    );
  return records;
}

const journal = (key: string): StepJournal => ({ idempotencyKey: key, run: (_step, action) => action() });

/**
 * Each record made in each system as the registry has it (`differ` may change what a system
 * holds), under the system's Mberewa District, then linked as an auto-match; the system ids, by
 * system and registry id.
 */
export async function reconciledRecords(
  rig: PropagationRig,
  records: RegistryRecord[],
  systems: string[],
  differ: (write: Facility, system: string, registryId: string) => Facility = (w) => w,
): Promise<Record<string, Map<string, string>>> {
  const types = activeMapping<FacilityTypeMap>(FACILITY_TYPES_FILE);
  const ids: Record<string, Map<string, string>> = {};
  for (const connector of rig.connectors.list().filter((c) => systems.includes(c.system))) {
    const parentId = await findArea(connector.facilities!, 'Mberewa District');
    const made = (ids[connector.system] = new Map<string, string>());
    await eachLimited(records, 4, async (r) => {
      const write = facilityToWrite({
        registry: r.facility!,
        parentId,
        registryCodeSystem: registryCodeSystem(rig.settings),
        types: systemTypes(types, r.facility!.types, connector.system).codes,
      });
      const result = await connector.facilities!.upsert!(
        differ(write, connector.system, r.id),
        journal(`${r.id}|${connector.system}`),
      );
      made.set(r.id, Object.values(result.ids)[0]);
    });
  }
  for (const [system, made] of Object.entries(ids))
    for (const [registryId, systemId] of made) await rig.link(system, systemId, registryId, 'auto-match');
  return ids;
}
