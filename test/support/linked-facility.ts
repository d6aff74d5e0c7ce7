/**
 * A facility's records in the systems, found by its code and linked to its registry facility as
 * a person would link them, for the propagation tests: they change the registry and read the
 * result back from each system.
 */
import type { Connector } from '../../src/routing/ports.js';
import type { Store } from '../../src/store/index.js';
import type { PropagationRig } from './propagation-rig.js';

/** The rig's connector for one system. */
export const connectorOf = (rig: { connectors: { list(): Connector[] } }, system: string): Connector =>
  rig.connectors.list().find((x) => x.system === system)!;

/** The id a system gives the facility (or, with `kind`, the area) with this code, if it has one. */
export async function idByCode(c: Connector, code: string, kind = 'facility'): Promise<string | undefined> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  return items.find((f) => f.kind === kind)?.id;
}

/**
 * The facility's records in OpenLMIS and DHIS2 (found by `code`) and OpenMRS (`openmrsLocation`:
 * its seeded locations carry no facility code) linked to `registryId`, then the registry pulled
 * once as it is. Returns the three ids by system.
 */
export async function linkInThreeSystems(
  rig: PropagationRig,
  code: string,
  registryId: string,
  openmrsLocation: string,
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {
    openlmis: (await idByCode(connectorOf(rig, 'openlmis'), code))!,
    dhis2: (await idByCode(connectorOf(rig, 'dhis2'), code))!,
    openmrs: openmrsLocation,
  };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, registryId);
  await rig.pull();
  return ids;
}

/**
 * The facility's OpenLMIS record (found by `code`) linked to `registryId` (a person's match, or
 * with `state` the matcher's, which a reviewer may reject): the connector and the record's id.
 */
export async function linkInOpenLmis(
  rig: PropagationRig,
  code: string,
  registryId: string,
  state?: 'auto-match',
): Promise<{ lmis: Connector; lmisId: string }> {
  const lmis = connectorOf(rig, 'openlmis');
  const lmisId = (await idByCode(lmis, code))!;
  await rig.link('openlmis', lmisId, registryId, state);
  return { lmis, lmisId };
}

/**
 * Links `systemId` of `system` to `registryId` in the crosswalk as a data manager's manual match
 * does (decided 2027-01-01), for the tests that need the link and not the review that makes it.
 */
export const linkAsDataManager = (
  store: Pick<Store, 'upsertCrosswalk'>,
  system: string,
  systemId: string,
  registryId: string,
) =>
  store.upsertCrosswalk({
    system,
    systemId,
    registryId,
    state: 'manual-match',
    zone: 'auto',
    reasons: [],
    suggestions: [],
    decidedBy: 'data-manager',
    decidedAt: '2027-01-01T00:00:00Z',
  });
