/**
 * A data manager links a record while a reconcile run is matching (the weekly job, or
 * `reconcile --store`, takes seconds on a national list). The run offered every registry facility
 * not linked when it read the crosswalk; before, its automatic match of another record to the
 * facility the person had just linked was written over nothing, and one registry facility ended
 * linked to two records of the system (a registry rename then written to both). Now the run checks
 * the crosswalk again under the review lock before it writes: its match goes to review, saying who
 * holds the facility. Both store engines.
 */
import t from 'tap';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { applyReview } from '../../../src/registry/review.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';
import { holdsRegistryId } from '../../../src/registry/crosswalk-types.js';
import { meanwhileDuringRun } from '../../support/store-meanwhile.js';

const registry = [
  fac('R1', 'Kaumu Dispensary', 'Kitui South', 'Kitui'),
  fac('R2', 'Mutomo Health Centre', 'Kitui South', 'Kitui'),
];
const unrelated = fac('L2', 'Unrelated Place', 'Nowhere', 'Elsewhere');
const kaumu = fac('L1', 'Kaumu Dispensary', 'Kitui South', 'Kitui');

for (const engine of engineCases())
  t.test(
    `${engine.name}: a link made while a run matches stays the facility's only one`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await reconcileIntoStore(store, 'emr', [unrelated], registry);
      t.equal((await store.getCrosswalk('emr', 'L2'))?.registryId, undefined, 'L2 matched nothing at first');

      const acceptL2 = async () => {
        const row = (await store.getCrosswalk('emr', 'L2'))!;
        const at = new Date().toISOString();
        await store.upsertCrosswalk(applyReview(row, { op: 'accept', registryId: 'R1' }, { user: 'amina', at }));
      };
      await reconcileIntoStore(meanwhileDuringRun(store, acceptL2), 'emr', [kaumu, unrelated], registry);

      const rows = await store.listCrosswalk('emr');
      const linkingR1 = rows.filter((r) => r.registryId === 'R1' && holdsRegistryId(r.state)).map((r) => r.systemId);
      t.same(linkingR1, ['L2'], 'R1 is linked to L2 alone, as amina decided');
      const l1 = rows.find((r) => r.systemId === 'L1');
      t.equal(l1?.state, 'review', 'L1, which the run would have linked to R1, waits for a person');
      t.match(
        l1?.reasons.find((r) => r.field === 'review')?.detail,
        /already matched by a reviewer to L2/,
        'saying who holds R1',
      );
      t.ok(
        l1?.suggestions.some((s) => s.registryId === 'R1'),
        'R1 still shown as its candidate',
      );
    },
  );
