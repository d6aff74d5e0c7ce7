/**
 * A registry that ignores `_sort` (some HAPI configurations, custom mCSD servers) on the
 * `_lastUpdated` feed, both store engines: between two pulls, two Locations late in the
 * registry's own order change, then four early ones. The search from the stored mark lists the
 * four first, in order by chance; that page once moved the search and the stored mark to its
 * newest instant, and the two older changes on the next page were never taken in, in that pull or
 * any after. Now every change at or before the stored mark is taken in. Real sandbox and store.
 */
import t from 'tap';
import { CHANGES_CURSOR, propagateChanges } from '../../../../src/jobs/propagate-job.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';

const PAGE = 4;

for (const engine of engineCases())
  t.test(
    `${engine.name}: a page in order by chance moves no mark past older changes`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        mfr: { ignoreSort: true },
        env: { REGISTRY_CHANGE_FEED: 'lastUpdated', REGISTRY_PAGE_SIZE: String(PAGE) },
      });
      const pull = () =>
        propagateChanges({
          store: rig.store,
          settings: () => rig.settings,
          propagator: rig.side.propagator,
          registry: rig.side.registry,
        });
      await pull(); // the registry as seeded: its own order is the order its Locations were made

      const listed = rig.mfr.state.visible('Location');
      t.ok(listed.length > PAGE + 2, 'more Locations than the changes');
      const late = listed.slice(-2).map((l) => rig.mfr.state.rename(l.id, `${l.name} (renamed first)`));
      const early = listed.slice(0, PAGE).map((l) => rig.mfr.state.rename(l.id, `${l.name} (renamed after)`));
      await pull();

      const mark = Date.parse((await rig.store.getCursor(CHANGES_CURSOR))!);
      t.equal(mark, Date.parse(early.at(-1)!.lastUpdated), 'the mark: the newest change');
      for (const v of [...late, ...early]) {
        const kept = await rig.store.getRegistryRecord(v.id);
        t.equal(kept?.version, String(v.versionId), `${v.id} version ${v.versionId} taken in`);
      }
    },
  );
