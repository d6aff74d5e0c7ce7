/**
 * OpenMRS keeps a location's name unique among unretired locations only: an administrator who
 * retires 'Mberewa District' and makes it again leaves two locations of that name, one retired. A
 * secondary facility job resolving its parent by name (routing/facility-parent.ts) takes the live
 * one; a retired location is no place for a new facility. Real connectors and sandboxes, both
 * store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../support/propagation-rig.js';
import { connectorOf, idByCode } from '../../support/linked-facility.js';
import { systemParent } from '../../../src/routing/facility-parent.js';
import { ADMIN_PASSWORD } from '../../../sandbox/openmrs/index.js';

async function asAdmin(rig: PropagationRig, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${rig.openmrs.url}/ws/rest/v1/${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** An area location in OpenMRS (no facility tag), as its administrators make them. */
async function openMrsArea(rig: PropagationRig, name: string): Promise<string> {
  const res = await asAdmin(rig, 'POST', 'location', { name });
  if (res.status !== 201) throw new Error(`OpenMRS location ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { uuid: string }).uuid;
}

async function retire(rig: PropagationRig, uuid: string): Promise<void> {
  const res = await asAdmin(rig, 'DELETE', `location/${uuid}?reason=merged`);
  if (res.status !== 204) throw new Error(`retire ${uuid}: ${res.status} ${await res.text()}`);
}

const facilityUnder = (partOf: string) => ({
  identifiers: [],
  name: 'Client clinic',
  status: 'active' as const,
  kind: 'facility' as const,
  partOf,
});

for (const engine of engineCases())
  t.test(`an OpenMRS area retired and made again (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine);
    const deps = { connectors: rig.connectors.list(), store: rig.store };
    const zone = (await idByCode(connectorOf(rig, 'openlmis'), 'LKL-N-MBR', 'area'))!;

    const old = await openMrsArea(rig, 'Mberewa District');
    await retire(rig, old);
    const none = await systemParent('openmrs', facilityUnder(zone), deps);
    t.equal(none.partOf, undefined, 'only a retired one: not placed under it');
    t.match(
      none.refusal?.message,
      /has no OpenMRS location of that name \(only 1 retired or closed\), so the facility cannot be placed in openmrs/,
    );
    const live = await openMrsArea(rig, 'Mberewa District');
    const parent = await systemParent('openmrs', facilityUnder(zone), deps);
    t.same(parent, { partOf: live }, `the live one, not the retired ${old}: ${parent.refusal?.message}`);
  });
