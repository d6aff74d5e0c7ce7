/**
 * One LMIS down while the stock → DHIS2 bridge runs (OpenLMIS answering 503 to its stock card
 * reads): the other LMIS's facilities are still compared and sent, and the run says which system
 * it could not read and why. Before, the run stopped at the first LMIS's outage, so Open mSupply's
 * month never reached DHIS2 either, until the next scheduled run a month later.
 */
import t from 'tap';
import { startMsupplySandbox } from '../../../sandbox/msupply/index.js';
import { seedUid } from '../../../sandbox/dhis2/seed.js';
import { runStockJob } from '../../../src/bridges/stock-to-dhis2-job.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { createMsupplyConnector } from '../../../src/systems/msupply/index.js';
import { linkAsDataManager } from '../../support/linked-facility.js';
import { engineCases } from '../../support/outbox-engines.js';
import { dhis2Value, startJanuaryStockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: OpenLMIS down, Open mSupply stock still reaches DHIS2, the run names what it could not read`,
    { skip: engine.skip },
    async (t) => {
      // LK-HC-101 used 150 ORS in January: OpenLMIS's value, sent once OpenLMIS answers
      const rig = await startJanuaryStockRig(t, engine);
      const msupply = await startMsupplySandbox();
      t.teardown(() => msupply.close());
      const connector = createMsupplyConnector({
        'msupply.baseUrl': msupply.url,
        'msupply.username': 'mediator',
        'msupply.password': 'password',
      });
      t.teardown(() => connector.close?.());
      // after OpenLMIS in the connectors' order: the outage is met first
      const connectors = [...rig.connectors, connector];
      await linkAsDataManager(rig.store, 'msupply', 'store-hc-north', 'REG-102');
      await linkAsDataManager(rig.store, 'dhis2', seedUid('orgUnit:LK-HC-102'), 'REG-102');
      const dispensed = await fetch(`${msupply.url}/_sandbox/prescriptions`, {
        method: 'POST',
        body: JSON.stringify({
          storeId: 'store-hc-north',
          itemCode: 'ORS205S',
          units: 200,
          datetime: '2027-01-20T10:00:00Z',
        }),
      });
      t.equal(dispensed.status, 201);
      rig.lmis.faults.add({
        method: 'GET',
        path: '/api/v2/stockCardSummaries',
        action: { type: 'status', status: 503 },
      });

      const run = await runStockToDhis2({ ...rig.deps, connectors }, { period: JAN });
      t.equal(dhis2Value(rig.dhis2, 'LK-HC-102', 'EM_ORS_CONS', JAN.id), '200', "Open mSupply's month reached DHIS2");
      t.equal(run.counts.sent, 1, `HC-NORTH sent (${JSON.stringify(run.counts)})`);
      t.match(run.unread, [{ system: 'openlmis', reason: /503/ }], 'OpenLMIS is named, with why');
      t.equal(run.unread.length, 1);

      // the scheduled job records it in the run's detail, and sends OpenLMIS's month once it answers
      const deps = { store: rig.store, outbox: rig.outbox, settings: () => ({ 'dhis2.dataSet': 'LkStockMnth' }) };
      const job = await runStockJob({ ...deps, connectors: () => connectors }, { period: JAN });
      t.match(job.counts, { unreadSystems: 1, unchanged: 1 });
      t.match(
        job.detail,
        /^202701 openlmis: stock ledgers not read \(.*503.*\); its facilities wait for the next run$/m,
      );

      rig.lmis.faults.clear();
      const again = await runStockJob({ ...deps, connectors: () => connectors }, { period: JAN });
      t.match(again.counts, { unreadSystems: 0, unchanged: 1 }, `${JSON.stringify(again.counts)}`);
      t.equal(
        dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_CONS', JAN.id),
        '150',
        "OpenLMIS's month too, once it answers",
      );
      t.notMatch(again.detail ?? '', /not read/, 'nothing unread is left in the detail');
    },
  );
}
