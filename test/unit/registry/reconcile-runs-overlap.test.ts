/**
 * Two reconcile runs of one system overlap: `reconcile --store` from a file while the weekly job
 * runs (the job's lock keeps instances of the job apart, not the CLI). Each offers the registry
 * facilities nobody had linked when it read the crosswalk; the one that writes last linked a
 * facility the other had just linked to another record, and one registry facility ended linked to
 * two records of the system. Its link goes to review instead, saying who holds the facility
 * (claimed-meanwhile.ts, as for a person's link). Both store engines.
 */
import t from 'tap';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';
import { holdsRegistryId } from '../../../src/registry/crosswalk-types.js';
import { meanwhileDuringRun } from '../../support/store-meanwhile.js';

const registry = [
  fac('R1', 'Kaumu Dispensary', 'Kitui South', 'Kitui'),
  fac('R2', 'Mutomo Health Centre', 'Kitui South', 'Kitui'),
];
const kaumu = fac('L1', 'Kaumu Dispensary', 'Kitui South', 'Kitui');
const kaumuAgain = fac('L3', 'Kaumu Dispensary', 'Kitui South', 'Kitui');
const unrelated = fac('L2', 'Unrelated Place', 'Nowhere', 'Elsewhere');

for (const engine of engineCases())
  t.test(
    `${engine.name}: a run that links a facility another run linked meanwhile leaves it to review`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await reconcileIntoStore(store, 'emr', [unrelated], registry);

      // the other run (another list of the system) links R1 to L3 while this one matches
      const otherRun = async () => {
        await reconcileIntoStore(store, 'emr', [kaumuAgain], registry);
      };
      await reconcileIntoStore(meanwhileDuringRun(store, otherRun), 'emr', [kaumu, unrelated], registry);

      const rows = await store.listCrosswalk('emr');
      const linkingR1 = rows.filter((r) => r.registryId === 'R1' && holdsRegistryId(r.state)).map((r) => r.systemId);
      t.same(linkingR1, ['L3'], 'R1 is linked to one record, the one linked first');
      const l1 = rows.find((r) => r.systemId === 'L1');
      t.equal(l1?.state, 'review', 'L1, which this run would have linked to R1, waits for a person');
      t.match(
        l1?.reasons.find((r) => r.field === 'review')?.detail,
        /already matched to L3 by another reconcile run/,
        'saying who holds R1',
      );
      t.ok(
        l1?.suggestions.some((s) => s.registryId === 'R1'),
        'R1 still shown as its candidate',
      );
    },
  );
