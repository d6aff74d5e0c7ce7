/**
 * A facility moved under a district the registry has not published: OpenLMIS keeps its old zone
 * and says so (unsupported.parent). OpenMRS is down when the district arrives, its write of the
 * facility still queued; once it is back and that write settles, the facility is written again to
 * OpenLMIS, under the district. Before, the move was looked at only in the district's own batch,
 * which found OpenMRS's row unsettled and left it: OpenLMIS kept the old zone for good.
 * Nothing is written twice: OpenMRS, which found the district itself, is not written again.
 * Real feed routes, connectors and sandboxes (OpenMRS's outage a sandbox fault), both store engines.
 */
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import type { Store } from '../../../../src/store/types.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

// DHIS2 not placed (skipped): a create there would wait for its reconciliation
const ROUTING: FlowRouting = { default: 'openlmis', secondary: [{ system: 'openmrs' }] };

/** Until every propagation job but `system`'s is done, and `system`'s has been tried (it is down). */
async function settledBut(store: Store, system: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const jobs = await store.listJobs({ flow: 'propagate' });
    const others = jobs.filter((j) => j.system !== system);
    if (others.every((j) => j.status === 'done') && jobs.some((j) => j.system === system && j.attempts > 0)) return;
    if (Date.now() > until) throw new Error(`jobs of the systems up were not delivered: ${JSON.stringify(jobs)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: OpenMRS down when the district arrives, the move reaches OpenLMIS once it is back`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        routing: ROUTING,
        maxAttempts: 1_000, // OpenMRS's job outlives the outage
        breakerOpenMs: 50, // OpenMRS back, its job is tried again at once
      });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      await rig.link('openmrs', LOC.mwangaza, REGISTRY_ID);
      const before = (await lmis.facilities!.get(lmisId))?.partOf;
      t.ok(zone && before && zone !== before, 'OpenLMIS has the district as a zone, the facility elsewhere');
      const app = await feedApp(t, rig, ROUTING);
      const down = rig.openmrs.faults.add({ path: '/**', action: { type: 'status', status: 503 } });

      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await settledBut(rig.store, 'openmrs');
      const moved = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(moved, { state: 'done', unsupported: { parent: /not published/ } }, 'its parent not found yet');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openmrs'), { state: 'queued' }, 'OpenMRS waits');

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await settledBut(rig.store, 'openmrs');
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { version: moved!.version },
        'not moved while OpenMRS still has its write to make',
      );

      const openmrsWrites = () => rig.writes.filter((w) => w.system === 'openmrs').length;
      rig.openmrs.faults.remove(down.id);
      await drain(rig.store);
      const openmrsDone = openmrsWrites();
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openmrs'),
        { state: 'done', version: `${moved!.version}+parent` },
        "OpenMRS's outcome carried over",
      );
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { state: 'done', version: `${moved!.version}+parent` },
        'written again once OpenMRS settled',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'the facility is under the district in OpenLMIS');

      // the district again: nothing more is written anywhere
      const writes = rig.writes.length;
      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      t.equal(rig.writes.length, writes, 'nothing written again');
      t.equal(openmrsWrites(), openmrsDone, 'OpenMRS written once');
    },
  );
