/**
 * A client's rename of a facility whose DHIS2 write is queued, for the propagation tests where a
 * registry change must wait for it: through the real routing (the shipped routing.json fans a
 * Location write out to DHIS2 beside OpenLMIS) while DHIS2 refuses the org unit's PUT with 503.
 */
import type { Test } from 'tap';
import type { UpstreamCall } from '../../src/platform/call-recording.js';
import { createRoutingServices } from '../../src/routing/index.js';
import { DHIS2_ID_SYSTEM } from '../../src/systems/dhis2/identifiers.js';
import { until } from './net.js';
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

/** The facility a queued-client-write test renames: its code, registry id and DHIS2 org unit. */
export interface QueuedFacility {
  code: string;
  registryId: string;
  orgUnit: string;
}

/**
 * `clientRenameWhileDhis2Down` to 'Client name', asserted: the write is taken and DHIS2's job is
 * queued under the FHIR id `lmisId`. Returns the 503 fault, for `registryRenameWaits` to lift.
 */
export async function queueClientRename(t: Test, rig: PropagationRig, lmisId: string, orgUnit: string) {
  const { fault, written } = await clientRenameWhileDhis2Down(rig, lmisId, orgUnit, 'Client name');
  t.not(written.status, 'rejected', 'the client write is taken');
  const queued = (await rig.store.listJobs({ flow: 'facility' })).filter((j) => j.system === 'dhis2');
  t.match(
    queued,
    [{ status: /^(pending|in-flight)$/, payload: { id: lmisId } }],
    "DHIS2's job, queued under the FHIR id",
  );
  return fault;
}

/**
 * The registry renames the facility while the client's DHIS2 job waits: the propagation to DHIS2
 * is tried but writes nothing until `fault` is lifted and the client's job lands, then the
 * registry's name goes over the client's and the propagation is done.
 */
export async function registryRenameWaits(
  t: Test,
  rig: PropagationRig,
  facility: QueuedFacility,
  fault: { id: string },
): Promise<void> {
  const namesSent = () => dhis2NamesSent(rig.writes, facility.orgUnit);
  rig.mfr.state.rename(facility.code, 'Registry name');
  const pulled = rig.pull();
  await until(
    'the propagation to DHIS2 tried',
    async () =>
      (await rig.store.listJobs({ flow: 'propagate' })).some((j) => j.system === 'dhis2' && j.attempts > 0) ||
      undefined,
    20_000,
  );
  await new Promise((r) => setTimeout(r, 1_000)); // room for a propagation that does not wait
  t.notOk(namesSent().includes('Registry name'), 'no registry write while the client write waits');
  rig.dhis2.faults.remove(fault.id);
  await pulled;

  const sent = namesSent();
  const lastClient = sent.lastIndexOf('Client name');
  t.ok(lastClient >= 0 && sent.indexOf('Registry name') > lastClient, `client write, then registry: ${sent}`);
  t.equal(rig.dhis2.state.orgUnits.get(facility.orgUnit)!.name, 'Registry name', 'DHIS2 holds the registry change');
  t.match(await rig.store.getPropagation(facility.registryId, 'dhis2'), { state: 'done' });
}
