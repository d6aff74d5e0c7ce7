/**
 * One system down must not stop propagation to the others. A new registry facility is checked,
 * before it is created, against each system's list for an unlinked record with its code; with
 * OpenMRS down that read fails. The run goes on: OpenLMIS and DHIS2 get the facility and every
 * other change, OpenMRS's create waits (held, saying why) and is made once when OpenMRS is back.
 * Real connectors and sandboxes, on both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { connectorOf, idByCode, linkInThreeSystems } from '../../../support/linked-facility.js';
import { CHANGES_CURSOR, propagateChanges } from '../../../../src/jobs/propagate-job.js';

const EVERYWHERE: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] };
const NEW_CODE = 'LK-HC-190';
const NEW_ID = facilityId(NEW_CODE);

for (const engine of engineCases())
  t.test(`OpenMRS down while a new facility arrives (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine, { routing: EVERYWHERE });
    const ids = await linkInThreeSystems(rig, 'LK-HC-101', facilityId('LK-HC-101'), LOC.mwangaza);
    const down = rig.openmrs.faults.add({ path: '/**', action: { type: 'status', status: 503 } });
    rig.mfr.state.open({ code: NEW_CODE, name: 'Lakeview Health Centre', parent: 'LKL-N-MBR', point: [34.2, -10.5] });
    rig.mfr.state.rename('LK-HC-101', 'Mberewa HC (renamed)');
    const cursorBefore = await rig.store.getCursor(CHANGES_CURSOR);

    const run = await propagateChanges({
      store: rig.store,
      settings: () => rig.settings,
      propagator: rig.side.propagator,
      registry: rig.side.registry,
    }).catch((err: unknown) => err);
    t.notOk(run instanceof Error, `the run is not stopped by OpenMRS${run instanceof Error ? `: ${run.message}` : ''}`);
    t.not(await rig.store.getCursor(CHANGES_CURSOR), cursorBefore, 'the high-water mark moves past the page');
    // the others proceed; OpenMRS's rename waits in the outbox meanwhile
    await drainAllBut(rig, 'openmrs');
    for (const system of ['openlmis', 'dhis2']) {
      t.ok(await idByCode(connectorOf(rig, system), NEW_CODE), `${system} has the new facility`);
      t.equal((await connectorOf(rig, system).facilities!.get(ids[system]))?.name, 'Mberewa HC (renamed)');
    }
    t.match(
      await rig.store.getPropagation(NEW_ID, 'openmrs'),
      { action: 'create', state: 'held', reason: /openmrs.*could not be read.*503.*next run/s },
      'OpenMRS create waits, saying why',
    );

    rig.openmrs.faults.remove(down.id);
    await rig.pull();
    t.match(await rig.store.getPropagation(NEW_ID, 'openmrs'), { action: 'create', state: 'done' });
    const { items } = await connectorOf(rig, 'openmrs').facilities!.search({ identifier: { value: NEW_CODE } });
    t.equal(items.filter((f) => f.kind === 'facility').length, 1, 'OpenMRS has it once');
    t.equal((await connectorOf(rig, 'openmrs').facilities!.get(ids.openmrs))?.name, 'Mberewa HC (renamed)');
  });

/** Until every job of the other systems is settled (OpenMRS's retry on). */
async function drainAllBut(rig: { store: Parameters<typeof drain>[0] }, system: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const jobs = await rig.store.listJobs({ flow: 'propagate' });
    if (jobs.every((j) => j.system === system || j.status === 'done')) return;
    if (Date.now() > until) throw new Error('jobs of the systems up were not delivered');
    await new Promise((r) => setTimeout(r, 50));
  }
}
