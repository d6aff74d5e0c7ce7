/**
 * A reviewer rejects the automatic match of a system record that carries the registry facility's
 * code. The registry's next change of that facility is not written into the rejected record, and
 * no record is created beside it: each system finds the record a write is for by that code (the
 * OpenLMIS facility code; DHIS2's org unit code, unique), so a create would land in the rejected
 * record or be refused; OpenMRS finds a location by its registry code attribute, and a create
 * sends that attribute, so the situation arises there too once a location carries the code (the
 * sandbox's seeded ones carry codes of their own: a data manager typed this one in). It is held,
 * and the reason says who rejected the record, when, and what a data manager can do; before, it said "a person must link it or say no-match", though the person
 * had just said no. Once the record's code is changed in the system, the next run creates the
 * facility there and links it, and the rejected record keeps its own name. Real review routes,
 * connectors and the OpenLMIS, DHIS2 and OpenMRS sandboxes, both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { stamp } from '../../../../sandbox/dhis2/state.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { reviewRoutes } from '../../../../src/registry/review-routes.js';
import { propagationStatus } from '../../../../src/registry/propagation/status.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const TOKEN = 'rejected-same-code-token';
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];

/** Gives the OpenMRS location this registry code, in the attribute the mediator reads it from. */
function setOpenMrsCode(rig: PropagationRig, location: string, code: string): void {
  const loc = rig.openmrs.store.locations.get(location)!;
  loc.attributes.find((a) => !a.voided)!.value = code;
  loc.audit.dateChanged = Date.now();
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a change of a facility whose same-code record a reviewer rejected is held, saying what to do, and created once that code is changed`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      setOpenMrsCode(rig, LOC.mwangaza, CODE);
      const ids: Record<string, string> = {};
      for (const system of SYSTEMS) {
        ids[system] = (await idByCode(connectorOf(rig, system), CODE))!;
        await rig.link(system, ids[system], REGISTRY_ID, 'auto-match');
      }
      await rig.pull();
      const names: Record<string, string> = {};
      for (const system of SYSTEMS) names[system] = (await connectorOf(rig, system).facilities!.get(ids[system]))!.name;

      const app = Fastify();
      const onDecision = (system: string) => rig.side.propagator.releaseHeld(system);
      await app.register(reviewRoutes, { prefix: '/admin', store: rig.store, adminToken: TOKEN, onDecision });
      t.teardown(() => app.close());
      for (const system of SYSTEMS) {
        const rejected = await app.inject({
          method: 'POST',
          url: `/admin/reconcile/${system}/${ids[system]}/reject`,
          headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'amina' },
          payload: {},
        });
        t.equal(rejected.statusCode, 200, rejected.body);
      }

      rig.mfr.state.rename(CODE, 'Mberewa HC (renamed)');
      await rig.pull();
      const { items } = await propagationStatus(rig.store, { state: 'held' });
      for (const system of SYSTEMS) {
        const held = items.find((i) => i.registryId === REGISTRY_ID && i.system === system);
        t.match(held, { state: 'held', action: 'create' }, `${system}: held`);
        t.match(
          held?.reason,
          new RegExp(
            `record ${ids[system]} carries the same code, and amina said on \\S+ it is not this facility \\(rejected\\)`,
          ),
          `${system}: the reason names the reviewer's rejection`,
        );
        t.match(held?.reason, new RegExp(`review API: accept\\), or give ${ids[system]} another code in ${system}`));
        t.equal(
          (await connectorOf(rig, system).facilities!.get(ids[system]))?.name,
          names[system],
          `${system}: the rejected record is not written`,
        );
      }

      // the data managers give the rejected records codes of their own, in each system
      rig.openlmis.state.store.facilities.get(ids.openlmis)!.code = 'LK-HC-101-OLD';
      // edited through DHIS2, which stamps the change (its lists are read again when one is stamped)
      Object.assign(rig.dhis2.state.orgUnits.get(ids.dhis2)!, { code: 'LK-HC-101-OLD', lastUpdated: stamp() });
      setOpenMrsCode(rig, ids.openmrs, 'LK-HC-101-OLD');
      await rig.pull();
      for (const system of SYSTEMS) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.match(row, { state: 'done', action: 'create' }, `${system}: created at the next run`);
        t.ok(row?.systemId, `${system}: a record id`);
        t.not(row?.systemId, ids[system], `${system}: as a record of its own`);
        const created = await connectorOf(rig, system).facilities!.get(row!.systemId!);
        t.equal(created?.name, 'Mberewa HC (renamed)', `${system}: named as the registry names it`);
        t.equal(await idByCode(connectorOf(rig, system), CODE), row?.systemId, `${system}: under the registry code`);
        t.equal(
          (await connectorOf(rig, system).facilities!.get(ids[system]))?.name,
          names[system],
          `${system}: the rejected record keeps its name`,
        );
        const link = (await rig.store.listCrosswalkByRegistryId(REGISTRY_ID)).find(
          (r) => r.system === system && r.state === 'manual-match',
        );
        t.equal(link?.systemId, row?.systemId, `${system}: the new record is linked`);
      }
    },
  );
