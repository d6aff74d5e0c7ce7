/**
 * A linked facility moved under a district the registry has not published yet: OpenLMIS cannot find
 * the district's zone, keeps the old one and says so (unsupported.parent). Once the registry
 * publishes the district, the facility is written again and moves under it, with nothing else
 * changing in the registry; a system that had nothing to report keeps its outcome (no second
 * write). Before, the facility stayed in its old zone until it changed again in the registry.
 * (Done only once every system settled the facility's version: a write still queued, such as a
 * create the district's own release just queued, finds the parent itself:
 * parent-published-later.test.ts.)
 * Real feed routes, connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };

for (const engine of engineCases())
  t.test(
    `${engine.name}: a facility moved under an unpublished district moves once the district is published`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      const before = (await lmis.facilities!.get(lmisId))?.partOf;
      t.ok(zone && before && zone !== before, 'OpenLMIS has the district as a zone, the facility elsewhere');
      const app = await feedApp(t, rig, ROUTING);

      // the registry (never read: no district known) moves the facility under the district
      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await drain(rig.store);
      const moved = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(moved, { state: 'done', unsupported: { parent: new RegExp(`${DISTRICT}.*not published`) } });
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, before, 'its zone left as it was, as reported');
      const dhis2 = await rig.store.getPropagation(REGISTRY_ID, 'dhis2');

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      const row = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(row, { state: 'done', version: `${moved!.version}+parent` }, 'written again once it is published');
      t.notOk(row?.unsupported?.parent, 'with its parent found');
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'the facility is under the district');
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'dhis2'),
        { state: dhis2?.state, version: `${moved!.version}+parent` },
        "another system's outcome carried over",
      );

      // the district again (a resend): nothing more is written
      const writes = rig.writes.length;
      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      t.equal(rig.writes.length, writes, 'nothing written again');
    },
  );
