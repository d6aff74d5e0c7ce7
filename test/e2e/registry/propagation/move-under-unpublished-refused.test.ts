/**
 * A facility moved under a district the registry has not published: OpenLMIS keeps its old zone
 * and says so (unsupported.parent); OpenMRS refuses the facility's write (failed, a dead job).
 * When the district arrives the facility is written again to OpenLMIS, under it. Before, a system
 * that refused the version counted as not settled, for good (nothing writes a refused version
 * again), so OpenLMIS kept its old zone. OpenMRS, whose write was never made, gets one attempt of
 * the new version (refused again while the refusal lasts), which an operator's retry lands once.
 * Real feed routes, connectors and sandboxes (OpenMRS's refusal a sandbox fault), both engines.
 */
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { retryOutboxJob } from '../../../../src/outbox/operator.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

// DHIS2 not placed (skipped): a create there would wait for its reconciliation
const ROUTING: FlowRouting = { default: 'openlmis', secondary: [{ system: 'openmrs' }] };

for (const engine of engineCases())
  t.test(
    `${engine.name}: OpenMRS refused the facility, the move under the district still reaches OpenLMIS`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING, maxAttempts: 2 });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      await rig.link('openmrs', LOC.mwangaza, REGISTRY_ID);
      const before = (await lmis.facilities!.get(lmisId))?.partOf;
      t.ok(zone && before && zone !== before, 'OpenLMIS has the district as a zone, the facility elsewhere');
      const app = await feedApp(t, rig, ROUTING);
      const refusal = rig.openmrs.faults.add({ method: 'POST', path: '/**', action: { type: 'status', status: 400 } });

      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await drain(rig.store);
      const moved = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(moved, { state: 'done', unsupported: { parent: /not published/ } }, 'its parent not found yet');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openmrs'), { state: 'failed' }, 'OpenMRS refused it');

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { state: 'done', version: `${moved!.version}+parent` },
        'written again once the district is published',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'the facility is under the district in OpenLMIS');
      const mrs = await rig.store.getPropagation(REGISTRY_ID, 'openmrs');
      t.match(mrs, { state: 'failed', version: `${moved!.version}+parent` }, 'OpenMRS tried once more, refused');

      rig.openmrs.faults.remove(refusal.id);
      const jobs = await rig.store.listJobs({ system: 'openmrs', flow: 'propagate', status: 'rejected' });
      const job = jobs.find((j) => (j.payload as { version: string }).version === mrs!.version)!;
      t.match(
        await retryOutboxJob(rig.store, job.id, 'ops'),
        { ok: true },
        "an operator retries the new version's job",
      );
      await drain(rig.store);
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openmrs'),
        { state: 'done', version: mrs!.version },
        'it lands',
      );
      const lmisWrites = rig.writes.filter((w) => w.system === 'openlmis').length;
      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      t.equal(rig.writes.filter((w) => w.system === 'openlmis').length, lmisWrites, 'OpenLMIS not written again');
    },
  );
