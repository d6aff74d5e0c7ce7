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
import { asOpenMrsAdmin, openMrsArea, facilityUnder } from '../../support/openmrs-areas.js';

async function retire(rig: PropagationRig, uuid: string): Promise<void> {
  const res = await asOpenMrsAdmin(rig, 'DELETE', `location/${uuid}?reason=merged`);
  if (res.status !== 204) throw new Error(`retire ${uuid}: ${res.status} ${await res.text()}`);
}

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
