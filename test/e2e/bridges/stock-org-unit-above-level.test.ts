/**
 * An org unit above `dhis2.facilityLevel` still takes the stock of the LMIS facility linked to it.
 * Registry propagation moves a regional store's org unit from under a district to under its region
 * (level 4 → 3), as the registry places it; the DHIS2 connector then serves it as an area Location,
 * and the bridge's org unit finder, which kept only facilities, found neither the crosswalk's org
 * unit nor the one of the facility's code: the store's month stopped reaching DHIS2 (`no DHIS2 org
 * unit`) from the demo's first propagate run on. A crosswalk link and a DHIS2 code (unique among
 * all org units) name the org unit whatever its level.
 */
import t from 'tap';
import { seedUid } from '../../../sandbox/dhis2/seed.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { engineCases } from '../../support/outbox-engines.js';
import { linkAsDataManager } from '../../support/linked-facility.js';
import { dhis2Value, startJanuaryStockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: org units moved up to level 3 still take their facilities' stock`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startJanuaryStockRig(t, engine);
      const orgUnit = (code: string) => [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === code)!;
      const region = orgUnit('LKL-N');
      // propagation's moves: each store and health centre now directly under its region
      const store = orgUnit('LK-WH-301');
      const centre = orgUnit('LK-HC-101');
      store.parentId = region.id;
      centre.parentId = region.id;
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
}
