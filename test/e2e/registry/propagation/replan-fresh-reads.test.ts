/**
 * A plan that meets another write of its row is made again from fresh reads of everything it
 * depends on, the registry parent's publication included. Here a facility pushed before its
 * district is planned; just before its plan is written, the district is published and another
 * plan of the facility (another instance's, made before the district came: held for it) is
 * written. The re-plan reads the district as published and queues the create, which is written
 * with no further pull. Before, the re-plan reused the parent read before the conflicting write,
 * wrote the hold again, and the create waited for the next pull (pulls off: for good).
 *
 * Without that other write the same hold was lost too: the district's intake released the
 * facilities held under it before this one's hold was written. A hold for a parent published
 * since its read is now planned again, as a hold from links a decision moved is.
 * Real feed routes, connectors and OpenLMIS sandbox, both store engines.
 */
import t from 'tap';
import { facilityId, jurisdictionId } from '../../../../sandbox/mfr/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

const CODE = 'LK-HC-778';
const REGISTRY_ID = facilityId(CODE);
const DISTRICT_CODE = 'LKL-N-TSG';
const DISTRICT = jurisdictionId(DISTRICT_CODE);
const ROUTING: FlowRouting = { default: 'openlmis' };

const CASES = engineCases().flatMap((engine) => [true, false].map((otherPlan) => ({ engine, otherPlan })));

for (const { engine, otherPlan } of CASES)
  t.test(
    `${engine.name}: a district published just before the hold for it is written${otherPlan ? ', with another plan of it' : ''}: the create goes out`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const lmis = connectorOf(rig, 'openlmis');
      // OpenLMIS reconciled (one linked facility), the registry never read: no district known
      await rig.link('openlmis', (await idByCode(lmis, 'LK-HC-101'))!, facilityId('LK-HC-101'));
      const app = await feedApp(t, rig, ROUTING);
      const other = await feedApp(t, rig, ROUTING);

      // the facility's first plan write for OpenLMIS: just before it, the district is published
      // (through another instance's feed) and that instance's plan of the facility, held for the
      // district it had not seen yet, is written
      let met = false;
      const put = rig.store.putPropagation.bind(rig.store);
      rig.store.putPropagation = async (p, seen) => {
        if (p.registryId === REGISTRY_ID && p.system === 'openlmis' && !met) {
          met = true;
          await push(other, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
          if (otherPlan) await put(p);
        }
        return put(p, seen);
      };
      await push(app, location(REGISTRY_ID, CODE, 'Kachere Clinic', 'facility', DISTRICT));
      await drain(rig.store);

      t.ok(met, 'the district came just before the plan was written');
      const row = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(row, { action: 'create', state: 'done' }, 'created, with no further pull');
      const { items } = await lmis.facilities!.search({ identifier: { value: CODE } });
      const made = items.filter((f) => f.kind === 'facility');
      t.equal(made.length, 1, 'one record');
      t.equal(made[0]?.partOf, await idByCode(lmis, DISTRICT_CODE, 'area'), 'under the district');
    },
  );
