/**
 * DHIS2 losing values the stock bridge delivered (restored from a backup taken before the run, or
 * the month's values cleared by hand): the next run finds them missing and sends them again, once
 * (a write still queued is not sent twice: stock-openlmis-dhis2.test.ts, DHIS2 failing mid-push).
 */
import t from 'tap';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { dhis2Value, startStockRig, type StockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

async function postMonth(rig: StockRig): Promise<void> {
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 150, date: '2027-01-22', reason: 'Consumed' },
  ]);
}

/** DHIS2's values of one org unit and period gone, as after a restore from an older backup. */
function clearValues(rig: StockRig, orgUnitCode: string, period: string): number {
  const ou = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === orgUnitCode)!;
  let n = 0;
  for (const [k, v] of rig.dhis2.state.dataValues)
    if (v.orgUnit === ou.id && v.period === period) {
      rig.dhis2.state.dataValues.delete(k);
      n++;
    }
  return n;
}

t.test('values DHIS2 lost after they were delivered are sent again, once', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  await postMonth(rig);
  const first = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(first.counts.sent, 2, JSON.stringify(first.counts));
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_CONS', JAN.id), '150');

  t.ok(clearValues(rig, 'LK-HC-101', JAN.id) > 0, 'DHIS2 lost the health centre’s January');
  const again = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(again.counts.sent, 1, `the lost values are sent again (${JSON.stringify(again.counts)})`);
  t.equal(again.counts['already-sent'], 0, 'not reported as already sent');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_CONS', JAN.id), '150', 'DHIS2 holds them again');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', JAN.id), '0');

  const imports = rig.dhis2.state.imports.length;
  const settled = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(settled.counts.unchanged, 2, 'then nothing is left to send');
  t.equal(rig.dhis2.state.imports.length, imports, 'and nothing is sent');

  // lost a second time: sent a third time (the key chains on each delivered write)
  clearValues(rig, 'LK-HC-101', JAN.id);
  const third = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(third.counts.sent, 1, JSON.stringify(third.counts));
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_CONS', JAN.id), '150');
});
