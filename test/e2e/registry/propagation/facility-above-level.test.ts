/**
 * A DHIS2 facility that propagation moves above `dhis2.facilityLevel` stays a facility, linked.
 * The registry places the regional store LK-WH-301 directly under its region; DHIS2 has it under a
 * district (level 4). Propagation moves the org unit where the registry says (level 3). Decoding
 * the kind from the level alone made it an area Location: the next reconcile run, which lists
 * facilities only, retired its crosswalk link (the demo's `dhis2.retired: 2`), and later registry
 * changes no longer reached the org unit. An org unit above the level with no children (DHIS2's
 * `leaf`) that the crosswalk links to a registry facility is a facility; an area with no children
 * yet, linked to nothing, stays an area. Through the registry and DHIS2 sandboxes, on both engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { seedUid } from '../../../../sandbox/dhis2/index.js';
import { reconcileAll } from '../../../../src/jobs/reconcile-job.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { connectorOf } from '../../../support/linked-facility.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';

const CODE = 'LK-WH-301';
const REGISTRY_ID = facilityId(CODE);
const UID = seedUid(`orgUnit:${CODE}`);

/** The propagation rig, its DHIS2 connector, a reconcile run of it alone, and the northern region. */
async function northernRig(t: Parameters<typeof startPropagationRigOn>[0], engine: EngineCase) {
  const rig = await startPropagationRigOn(t, engine);
  const dhis2 = connectorOf(rig, 'dhis2');
  const reconcile = async () =>
    (await reconcileAll({ store: rig.store, settings: () => rig.settings, connectors: () => [dhis2] })).counts!;
  const region = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === 'LKL-N')!;
  return { rig, dhis2, reconcile, region };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a store moved under its region keeps its link and stays a facility`,
    { skip: engine.skip },
    async (t) => {
      const { rig, dhis2, reconcile, region } = await northernRig(t, engine);
      const orgUnit = () => rig.dhis2.state.orgUnits.get(UID)!;

      await reconcile();
      const linked = await rig.store.getCrosswalk('dhis2', UID);
      t.equal(linked?.registryId, REGISTRY_ID, 'the first run links the store to its registry facility');
      t.equal(linked?.state, 'auto-match');

      // a registry change: propagation writes the org unit where the registry places it
      rig.mfr.state.rename(CODE, 'Northern Regional Medical Stores');
      await rig.pull();
      t.equal(orgUnit().parentId, region.id, 'moved under its region');
      t.equal(rig.dhis2.state.orgUnitView(orgUnit()).level, 3, 'now above dhis2.facilityLevel (4)');
      t.equal((await dhis2.facilities!.get(UID))?.kind, 'facility', 'served as a facility, not an area');

      const after = await reconcile();
      t.equal(after['dhis2.retired'], 0, 'reconcile retires no link');
      const kept = await rig.store.getCrosswalk('dhis2', UID);
      t.equal(kept?.registryId, REGISTRY_ID, 'still linked to its registry facility');
      t.equal(kept?.state, 'auto-match');
      // a Location search by level: the store among the districts, each of its own kind
      const { items } = await dhis2.facilities!.search({ type: '3' });
      const kinds = Object.fromEntries(items.map((f) => [rig.dhis2.state.orgUnits.get(f.id!)?.code, f.kind]));
      t.equal(kinds[CODE], 'facility', 'found at level 3 as a facility');
      t.equal(kinds['LKL-N-MBR'], 'area', 'the districts at that level stay areas');

      rig.mfr.state.rename(CODE, 'Northern Medical Store');
      await rig.pull();
      t.equal(orgUnit().name, 'Northern Medical Store', 'a later registry change still reaches the org unit');
      t.equal((await rig.store.getPropagation(REGISTRY_ID, 'dhis2'))?.state, 'done');
    },
  );

  t.test(
    `${engine.name}: a store in the review queue moved under its region is not retired`,
    { skip: engine.skip },
    async (t) => {
      const { rig, dhis2, reconcile, region } = await northernRig(t, engine);
      await reconcile();
      const linked = (await rig.store.getCrosswalk('dhis2', UID))!;
      // a pair the matcher could not decide alone: waiting for a reviewer, linking nothing yet
      await rig.store.upsertCrosswalk({
        ...linked,
        state: 'review',
        zone: 'review',
        registryId: undefined,
        suggestions: [{ registryId: REGISTRY_ID, score: linked.score ?? 0, reasons: [] }],
      });
      // DHIS2's own maintenance places the store under its region while the pair waits
      const orgUnit = rig.dhis2.state.orgUnits.get(UID)!;
      orgUnit.parentId = region.id;
      orgUnit.lastUpdated = new Date().toISOString().slice(0, 23);
      t.equal(rig.dhis2.state.orgUnitView(orgUnit).level, 3, 'now above dhis2.facilityLevel (4)');
      t.equal((await dhis2.facilities!.get(UID))?.kind, 'facility', 'still served as a facility');

      const after = await reconcile();
      t.equal(after['dhis2.retired'], 0, 'reconcile retires no row');
      const row = (await rig.store.getCrosswalk('dhis2', UID))!;
      t.not(row.state, 'no-match', 'the pair is not dropped as a record gone from the list');
      t.ok(
        row.registryId === REGISTRY_ID || row.suggestions.some((s) => s.registryId === REGISTRY_ID),
        'the registry facility is still on offer to the reviewer',
      );
    },
  );

  t.test(`${engine.name}: an area with no children yet stays an area`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine);
    const dhis2 = connectorOf(rig, 'dhis2');
    const region = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === 'LKL-N')!;
    const district = [...rig.dhis2.state.orgUnits.values()].find((o) => o.parentId === region.id)!;
    // a district emptied: its facilities moved elsewhere, none linked to it
    for (const ou of rig.dhis2.state.orgUnits.values()) if (ou.parentId === district.id) ou.parentId = region.id;
    t.equal(rig.dhis2.state.orgUnitView(district).leaf, true, 'DHIS2 shows it as a leaf');
    t.equal(
      (await dhis2.facilities!.get(district.id))?.kind,
      'area',
      'still an area: propagation can place facilities in it',
    );
  });
}
