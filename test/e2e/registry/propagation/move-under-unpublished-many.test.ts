/**
 * A facility moved under an unpublished district follows it once the registry publishes the
 * district, however many other changes were written since: a national registry's 15,000
 * facilities make tens of thousands of settled propagation rows. Before, only the 10,000 most
 * recently settled rows were looked through for a parent not found, so a move older than those
 * (here: 10,000 other rows settled after it) was never written under its district.
 * Real feed routes, connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import type { Store } from '../../../../src/store/types.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };
const OTHERS = 10_000;

/** Settled rows of other registry facilities, all settled after the move (their writes not needed here). */
async function settledLater(store: Store, after: number): Promise<void> {
  const ids = Array.from({ length: OTHERS }, (_, i) => `other-${String(i).padStart(5, '0')}`);
  for (let i = 0; i < ids.length; i += 50)
    await Promise.all(
      ids.slice(i, i + 50).map((registryId, j) =>
        store.putPropagation({
          registryId,
          system: 'openlmis',
          version: '1',
          action: 'update',
          state: 'done',
          systemId: `lmis-${registryId}`,
          updatedAt: after + 1 + i + j,
        }),
      ),
    );
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a move under an unpublished district follows it after ${OTHERS} other rows settled`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      const app = await feedApp(t, rig, ROUTING);

      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await drain(rig.store);
      const moved = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(moved, { state: 'done', unsupported: { parent: /not published/ } }, 'its parent not found yet');
      await settledLater(rig.store, moved!.updatedAt);

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { state: 'done', version: `${moved!.version}+parent` },
        'written again once the district is published',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'the facility is under the district');
    },
  );
