/**
 * A registry facility pushed before its district: OpenLMIS (a zone) and DHIS2 (a parent org unit)
 * cannot create it yet, so its create waits (held, naming the parent) instead of failing for good;
 * once the registry publishes the district, the facility is created under it in both, exactly
 * once. Before, the create failed and nothing sent it again until the facility itself changed or
 * an operator retried. The district arrives through a second propagator over the same store (a
 * restart: what waits is in the store, not in memory). Real feed routes, connectors and
 * sandboxes, both store engines.
 */
import t from 'tap';
import { facilityId, jurisdictionId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { feedApp as feedOn, location, push } from '../../../support/pushed-location.js';

const CODE = 'LK-HC-778';
const REGISTRY_ID = facilityId(CODE);
const DISTRICT_CODE = 'LKL-N-TSG';
const DISTRICT = jurisdictionId(DISTRICT_CODE);
const ROUTING: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] };
const AREA_SYSTEMS = ['openlmis', 'dhis2'];

const feedApp = (t: { teardown(fn: () => unknown): void }, rig: PropagationRig) => feedOn(t, rig, ROUTING);

/** The system's facilities carrying the code. */
async function madeIn(rig: PropagationRig, system: string) {
  const { items } = await connectorOf(rig, system).facilities!.search({ identifier: { value: CODE } });
  return items.filter((f) => f.kind === 'facility');
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a facility pushed before its district is created under it once the district is published`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      // each system reconciled (one linked facility), and the registry never read: no district known
      for (const system of AREA_SYSTEMS)
        await rig.link(system, (await idByCode(connectorOf(rig, system), 'LK-HC-101'))!, facilityId('LK-HC-101'));
      await rig.link('openmrs', LOC.mwangaza, facilityId('LK-HC-101'));

      await push(await feedApp(t, rig), location(REGISTRY_ID, CODE, 'Kachere Clinic', 'facility', DISTRICT));
      await drain(rig.store);
      for (const system of AREA_SYSTEMS) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.match(row, { action: 'create', state: 'held' }, `${system}: the create waits for its district`);
        t.match(row?.reason, new RegExp(`registry parent ${DISTRICT}.*not published`), `${system}: naming it`);
        t.equal((await madeIn(rig, system)).length, 0, `${system} made nothing yet`);
      }

      // the district, pushed later through another propagator (a restarted mediator)
      const restarted = await feedApp(t, rig);
      const district = location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n');
      await push(restarted, district);
      await drain(rig.store);
      for (const system of AREA_SYSTEMS) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.match(row, { action: 'create', state: 'done' }, `${system}: created once the district is published`);
        t.notOk(row?.unsupported?.parent, `${system}: with its parent found`);
        const made = await madeIn(rig, system);
        t.equal(made.length, 1, `${system}: one record`);
        const area = await idByCode(connectorOf(rig, system), DISTRICT_CODE, 'area');
        t.ok(area, `${system} keeps the district as an area`);
        t.equal(made[0]?.partOf, area, `${system}: under the district`);
        t.equal(made[0]?.id, row?.systemId, `${system}: the record the row names`);
      }

      // planned again (the propagate run's release, the district pushed again): nothing more is written
      const writes = rig.writes.length;
      await rig.side.propagator.releaseHeld();
      await push(restarted, district);
      await drain(rig.store);
      t.equal(rig.writes.length, writes, 'nothing written again');
      for (const system of AREA_SYSTEMS) t.equal((await madeIn(rig, system)).length, 1, `${system}: still one record`);
    },
  );
}
