/**
 * An org unit above `dhis2.facilityLevel` still takes the stock of the LMIS facility linked to it,
 * and an area never does.
 *
 * Registry propagation moves a regional store's org unit from under a district to under its region
 * (level 4 → 3), as the registry places it; the bridge's org unit finder, which kept only
 * facilities by the level alone, found neither the crosswalk's org unit nor the one of the
 * facility's code: the store's month stopped reaching DHIS2 (`no DHIS2 org unit`) from the demo's
 * first propagate run on. Such a leaf the crosswalk holds is a facility (the DHIS2 connector's rule).
 *
 * An area is not: a district (or an unlinked org unit above the level) whose code is an LMIS
 * facility's code would otherwise take that facility's stock as its own figures. The facility is
 * then unmatched, named in the run's result with the area its code names.
 */
import t from 'tap';
import { seedUid } from '../../../sandbox/dhis2/seed.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { engineCases } from '../../support/outbox-engines.js';
import { linkAsDataManager } from '../../support/linked-facility.js';
import { dhis2Value, startJanuaryStockRig, type StockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

const orgUnitOf = (rig: StockRig, code: string) => [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === code)!;

/** The DHIS2 values the run wrote for January, by org unit code (none: an empty list). */
const valuesAt = (rig: StockRig, code: string) =>
  [...rig.dhis2.state.dataValues.values()].filter((v) => v.orgUnit === orgUnitOf(rig, code).id && v.period === JAN.id);

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: org units moved up to level 3 still take their facilities' stock`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startJanuaryStockRig(t, engine);
      const region = orgUnitOf(rig, 'LKL-N');
      // propagation's moves: each store and health centre now directly under its region, each org
      // unit linked to its registry facility (propagation moves only what the crosswalk links)
      const store = orgUnitOf(rig, 'LK-WH-301');
      const centre = orgUnitOf(rig, 'LK-HC-101');
      store.parentId = region.id;
      centre.parentId = region.id;
      await linkAsDataManager(rig.store, 'dhis2', store.id, 'REG-301');
      // the health centre is found through the crosswalk only: its DHIS2 code is another now
      centre.code = 'LK-HC-101-OLD';
      await linkAsDataManager(rig.store, 'openlmis', rig.lmis.state.seedSummary().facilities['LK-HC-101'], 'REG-101');
      await linkAsDataManager(rig.store, 'dhis2', seedUid('orgUnit:LK-HC-101'), 'REG-101');

      const run = await runStockToDhis2(rig.deps, { period: JAN });
      t.equal(run.counts['no-org-unit'], 0, `every facility has its org unit (${JSON.stringify(run.outcomes)})`);
      t.equal(run.counts.sent, 2, 'both written');
      t.equal(dhis2Value(rig.dhis2, 'LK-HC-101-OLD', 'EM_ORS_CONS', JAN.id), '150', 'through the crosswalk');
      t.ok(dhis2Value(rig.dhis2, 'LK-WH-301', 'EM_AMX250_SOH', JAN.id), 'by its code');
    },
  );

  t.test(
    `${engine.name}: a code that names only an area leaves the facility unmatched`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startJanuaryStockRig(t, engine);
      // a district coded as the LMIS health centre (its own org unit coded otherwise), and the
      // regional store moved under its region with no crosswalk link: both areas, by DHIS2's levels
      const district = orgUnitOf(rig, 'LKL-N-MBR');
      orgUnitOf(rig, 'LK-HC-101').code = 'LK-HC-101-OLD';
      district.code = 'LK-HC-101';
      orgUnitOf(rig, 'LK-WH-301').parentId = orgUnitOf(rig, 'LKL-N').id;

      const run = await runStockToDhis2(rig.deps, { period: JAN });
      t.equal(run.counts['no-org-unit'], 2, `neither found (${JSON.stringify(run.outcomes)})`);
      t.equal(run.counts.sent, 0, 'nothing written');
      t.same(valuesAt(rig, 'LK-HC-101'), [], "the district took none of the health centre's stock");
      t.same(valuesAt(rig, 'LK-WH-301'), [], 'the unlinked org unit above the level took none either');
      const unmatched = (code: string) => run.outcomes.find((o) => o.facility === code && o.status === 'no-org-unit');
      t.match(
        unmatched('LK-HC-101')?.error,
        /its code LK-HC-101 names the DHIS2 area Mberewa District \(LK-HC-101\), not a facility org unit/,
        'the run names the facility and the area its code names',
      );
      t.match(unmatched('LK-WH-301')?.error, /its code LK-WH-301 names the DHIS2 area/, 'and the store');
    },
  );
}
