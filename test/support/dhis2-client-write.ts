/**
 * A client's rename of a facility whose DHIS2 write is queued, for the propagation tests where a
 * registry change must wait for it: through the real routing (the shipped routing.json fans a
 * Location write out to DHIS2 beside OpenLMIS) while DHIS2 refuses the org unit's PUT with 503.
 */
import type { UpstreamCall } from '../../src/platform/call-recording.js';
import { createRoutingServices } from '../../src/routing/index.js';
import { DHIS2_ID_SYSTEM } from '../../src/systems/dhis2/identifiers.js';
import type { PropagationRig } from './propagation-rig.js';

/** The names the mediator sent to DHIS2 for `orgUnit`, in order, answered or not. */
export function dhis2NamesSent(writes: UpstreamCall[], orgUnit: string): string[] {
  return writes
    .filter((w) => w.system === 'dhis2' && w.method === 'PUT' && w.url.includes(`/organisationUnits/${orgUnit}`))
    .map((w) => {
      const body = typeof w.requestBody === 'string' ? JSON.parse(w.requestBody) : w.requestBody;
      return (body as { name: string }).name;
    });
}

/**
 * Installs a 503 on DHIS2's PUT of `orgUnit` (left for the test to remove), then writes the
 * OpenLMIS facility `lmisId` back as a client would, renamed to `name` and carrying the org unit's
 * UID: OpenLMIS takes it, DHIS2's job stays queued.
 */
export async function clientRenameWhileDhis2Down(rig: PropagationRig, lmisId: string, orgUnit: string, name: string) {
  const services = createRoutingServices({
    connectors: rig.connectors.list(),
    outbox: rig.outbox,
    store: rig.store,
  });
  const fault = rig.dhis2.faults.add({
    method: 'PUT',
    path: `/api/organisationUnits/${orgUnit}`,
    action: { type: 'status', status: 503 },
  });
  const read = await services.facilities!.read(lmisId);
  const identifiers = read!.identifiers.filter((i) => i.system !== DHIS2_ID_SYSTEM);
  const written = await services.facilities!.write(
    {
      ...read!,
      name,
      lastUpdated: undefined,
      identifiers: [...identifiers, { system: DHIS2_ID_SYSTEM, value: orgUnit }],
    },
    { mode: 'update', current: { value: read } },
  );
  return { fault, written };
}
