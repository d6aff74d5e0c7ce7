/**
 * The scheduled `stockToDhis2` job: it runs the bridge for a period with the configured
 * connectors and records its counts; without DHIS2, or without an LMIS keeping a ledger, its run is
 * recorded as skipped with the reason.
 */
import t from 'tap';
import { runStockJob, stockToDhis2Job } from '../../../src/bridges/stock-to-dhis2-job.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { NO_DHIS2, NO_LMIS } from '../../../src/bridges/stock-to-dhis2.js';
import { startStockRig } from './stock-rig.js';

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

  const ran = await runStockJob(deps, bridgePeriod('2027-01'));
  t.match(ran, { counts: { facilities: 2, sent: 2, unchanged: 0, rejected: 0, 'no-org-unit': 0 } });
  t.match(await runStockJob(deps, bridgePeriod('2027-01')), { counts: { sent: 0, unchanged: 2 } }, 'then nothing');

  const lmisOnly = rig.connectors.filter((c) => c.system !== 'dhis2');
  t.same(await runStockJob({ ...deps, connectors: () => lmisOnly }), { skipped: NO_DHIS2 });
  const dhis2Only = rig.connectors.filter((c) => c.system === 'dhis2');
  t.same(await runStockJob({ ...deps, connectors: () => dhis2Only }), { skipped: NO_LMIS });
});
