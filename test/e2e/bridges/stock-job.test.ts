/**
 * The scheduled `stockToDhis2` job: it runs the bridge for a period with the configured
 * connectors and records its counts, and which facilities it left out and why; without DHIS2, or without an LMIS keeping a ledger, its run is
 * recorded as skipped with the reason.
 */
import t from 'tap';
import { runStockJob, stockToDhis2Job } from '../../../src/bridges/stock-to-dhis2-job.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { NO_DHIS2, NO_LMIS } from '../../../src/bridges/stock-to-dhis2.js';
import { dhis2Value, startStockRig } from './stock-rig.js';

t.test('the job sends a period and reports its counts; it skips what it cannot do', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 50, date: '2027-01-22', reason: 'Consumed' },
  ]);
  const settings = () => ({ 'dhis2.dataSet': 'LkStockMnth' });
  const deps = { store: rig.store, outbox: rig.outbox, settings, connectors: () => rig.connectors };

  const job = stockToDhis2Job(deps);
  t.equal(job.name, 'stockToDhis2');
  t.equal(job.setting, 'schedules.stockToDhis2');

  const ran = await runStockJob(deps, { period: bridgePeriod('2027-01') });
  t.match(ran, { counts: { periods: 1, facilities: 2, sent: 2, unchanged: 0, rejected: 0, 'no-org-unit': 0 } });

  // scheduled on 2 February: November, December and January, January already sent
  const scheduled = await runStockJob(deps, { now: new Date('2027-02-02T03:00:00Z') });
  t.match(
    scheduled,
    { counts: { periods: 3, facilities: 6, sent: 4, unchanged: 2 } },
    'the two months before are sent too',
  );
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', '202612'), '150', 'December: before the ORS was consumed');
  t.match(
    await runStockJob(deps, { now: new Date('2027-02-02T03:00:00Z') }),
    { counts: { sent: 0, unchanged: 6 } },
    'then nothing',
  );

  t.notOk(scheduled.detail, 'nothing left behind: no detail');

  // LK-HC-101's org unit is gone from DHIS2: the run records which facility was left out and why
  const gone = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === 'LK-HC-101')!;
  rig.dhis2.state.orgUnits.delete(gone.id);
  const left = await runStockJob(deps, { period: bridgePeriod('2027-01') });
  t.match(left, { counts: { 'no-org-unit': 1 } });
  t.match(
    left.detail,
    /^202701 openlmis facility \S*LK-HC-101\S* ?: no DHIS2 org unit \(neither a crosswalk link nor a matching code\)$/,
    'the detail names the facility, the period and why, one line',
  );

  const lmisOnly = rig.connectors.filter((c) => c.system !== 'dhis2');
  t.same(await runStockJob({ ...deps, connectors: () => lmisOnly }), { skipped: NO_DHIS2 });
  const dhis2Only = rig.connectors.filter((c) => c.system === 'dhis2');
  t.same(await runStockJob({ ...deps, connectors: () => dhis2Only }), { skipped: NO_LMIS });
});
