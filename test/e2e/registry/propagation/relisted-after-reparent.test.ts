/**
 * A facility moved under a district the registry has not published, then missed by a full read
 * (closed as `<version>+absent`), then its district published: the closure is written again under
 * the district (`<version>+absent+parent`). When the next full read lists the facility again in
 * the very version it was closed in, the closure is undone: open again in every system. Before,
 * the relisting looked only for a version ending in `+absent`, so the facility stayed closed in
 * every system while the registry listed it open.
 * Real feed routes, connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };

for (const engine of engineCases())
  t.test(
    `${engine.name}: a closure moved under its published district is undone when the facility is listed again`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      const app = await feedApp(t, rig, ROUTING);
      const propagator = rig.side.propagator;

      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await drain(rig.store);
      const listed = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
      const other = { ...listed, id: 'not-this-one' };

      // a full read that does not list it: closed everywhere, its district still unpublished
      t.match(await propagator.confirmAbsent([other]), { absent: 1 });
      await drain(rig.store);
      t.equal((await lmis.facilities!.get(lmisId))?.status, 'inactive', 'closed in OpenLMIS');

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      const district = (await rig.store.getRegistryRecord(DISTRICT))!.record as RegistryRecord;
      const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.version;
      t.equal(kept, `${listed.version}+absent+parent`, 'the closure written again under its district');
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'under the district');

      // the next full read lists it again, in the version it was closed in
      t.match(await propagator.confirmAbsent([listed, district]), { absent: 0, relisted: 1 }, 'its closure undone');
      await drain(rig.store);
      const record = await lmis.facilities!.get(lmisId);
      t.equal(record?.status, 'active', 'open again in OpenLMIS');
      t.equal(record?.partOf, zone, 'still under the district');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), {
        version: `${kept}+relisted`,
        state: 'done',
      });
      t.match(await propagator.confirmAbsent([listed, district]), { absent: 0, relisted: 0 }, 'nothing more to undo');
    },
  );
