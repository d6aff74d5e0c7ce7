/**
 * The first propagation after a reconcile: a national reconcile links thousands of records that
 * already agree with the registry (same name, code, position, parent, status), and the propagate
 * run after it plans an update of each for every system. Writing each again is audited upstream
 * (a DHIS2 org-unit write also clears its caches) and, for thousands, takes hours: only what
 * differs is written. Through the real connectors, outbox and sandboxes, on both store engines:
 * three facilities reconciled in OpenLMIS, DHIS2 and OpenMRS, one of them under another name;
 * that one is written once in each system, the two that agree in none.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { openInRegistry, reconciledRecords, registryFacilities } from '../../../support/reconciled-records.js';

const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
const RENAMED = facilityId('REC-2');

for (const engine of engineCases())
  t.test(
    `after a reconcile, only the record that differs from the registry is written (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        routing: { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] },
      });
      // each system reconciled once (a facility new to it is created, not held), the seeds settled
      await rig.link('openlmis', (await idByCode(connectorOf(rig, 'openlmis'), 'LK-HC-101'))!, facilityId('LK-HC-101'));
      await rig.link('dhis2', (await idByCode(connectorOf(rig, 'dhis2'), 'LK-HC-101'))!, facilityId('LK-HC-101'));
      await rig.link('openmrs', LOC.mwangaza, facilityId('LK-HC-101'));
      await rig.pull();
      const mark = (await rig.store.getCursor('registry.changes')) ?? undefined;

      openInRegistry(rig, 'REC', 3);
      const records = await registryFacilities(rig, 'REC', mark);
      t.equal(records.length, 3, 'the registry lists the three facilities');
      // REC-2 is held in every system under the name it had before the registry's
      const ids = await reconciledRecords(rig, records, SYSTEMS, (write, _system, registryId) =>
        registryId === RENAMED ? { ...write, name: `${write.name} (old name)` } : write,
      );

      const lmisFrom = rig.openlmis.state.requestCount();
      const writesFrom = rig.writes.length;
      await rig.pull();

      // OpenLMIS's own request log: one PUT, of the renamed facility
      const lmisWrites = rig.openlmis.state
        .requestLog(lmisFrom)
        .filter((r) => r.method !== 'GET' && !r.path.includes('/token'))
        .map((r) => `${r.method} ${r.path}`);
      t.same(lmisWrites, [`PUT /api/facilities/${ids.openlmis.get(RENAMED)}`], 'OpenLMIS: the renamed facility alone');
      // DHIS2's own count of PUTs per org unit (the reconcile's records were made by POST)
      const orgUnitPuts = [...ids.dhis2]
        .map(([registryId, uid]) => [registryId, rig.dhis2.state.count('PUT', `/api/organisationUnits/${uid}`)])
        .sort();
      t.same(
        orgUnitPuts,
        records.map((r) => [r.id, r.id === RENAMED ? 1 : 0]).sort(),
        'DHIS2: one PUT of the renamed org unit, none of the others',
      );
      const writesTo = (system: string) =>
        rig.writes
          .slice(writesFrom)
          .filter((w) => w.system === system)
          .map((w) => `${w.method} ${new URL(w.url).pathname}`);
      t.same(
        writesTo('dhis2'),
        [`PUT /api/organisationUnits/${ids.dhis2.get(RENAMED)}`],
        'DHIS2: the renamed org unit alone',
      );
      t.same(
        writesTo('openmrs'),
        [`POST /openmrs/ws/rest/v1/location/${ids.openmrs.get(RENAMED)}`],
        'OpenMRS: the renamed location alone',
      );

      for (const system of SYSTEMS) {
        const read = await connectorOf(rig, system).facilities!.get(ids[system].get(RENAMED)!);
        t.equal(read?.name, 'Reconciled Clinic REC 2', `${system} holds the registry's name`);
        const rows = await rig.store.listPropagations({ system });
        const settled = rows.filter((r) => records.some((x) => x.id === r.registryId)).map((r) => r.state);
        t.same(settled, ['done', 'done', 'done'], `${system}: every change settled`);
      }
    },
  );
