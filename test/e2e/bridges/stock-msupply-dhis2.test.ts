/**
 * Open mSupply stock → DHIS2 end to end (issue 15 "Must show"): a month of the mSupply sandbox's
 * ledger (its seeded stock and prescriptions dated in and before the month) becomes DHIS2 data
 * values for the org units the crosswalk links its stores to (store codes are not DHIS2 codes),
 * each value checked against figures worked out by hand and stock on hand against the sandbox's
 * stock lines; a late prescription re-sends exactly the values it changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SEED_API_TOKEN, startDhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { seedUid } from '../../../sandbox/dhis2/seed.js';
import { startMsupplySandbox } from '../../../sandbox/msupply/index.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore } from '../../../src/store/index.js';
import { linkAsDataManager } from '../../support/linked-facility.js';
import { createDhis2Connector } from '../../../src/systems/dhis2/index.js';
import { loadDhis2Products } from '../../../src/systems/dhis2/products.js';
import { createMsupplyConnector } from '../../../src/systems/msupply/index.js';
import { dhis2Value } from './stock-rig.js';

const OCT = bridgePeriod('2027-10');

async function startRig(t: Test) {
  const msupply = await startMsupplySandbox();
  const dhis2 = await startDhis2Sandbox({});
  const dir = mkdtempSync(path.join(tmpdir(), 'stock-msupply-'));
  const store = await openStore({ dataDir: dir });
  const settings = {
    'msupply.baseUrl': msupply.url,
    'msupply.username': 'mediator',
    'msupply.password': 'password',
    'dhis2.baseUrl': dhis2.url,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.dataSet': 'LkStockMnth',
  };
  const connectors = [createMsupplyConnector(settings), createDhis2Connector(settings)];
  const outbox = new Outbox({ store, options: { deadlineMs: 5_000 } });
  createRoutingServices({ connectors, outbox, store });
  // the stores and the org units, each linked to the same registry facility
  const link = (system: string, systemId: string, registryId: string) =>
    linkAsDataManager(store, system, systemId, registryId);
  await link('msupply', 'store-hc-north', 'REG-102');
  await link('dhis2', seedUid('orgUnit:LK-HC-102'), 'REG-102');
  await link('msupply', 'store-wh-central', 'REG-302');
  await link('dhis2', seedUid('orgUnit:LK-WH-302'), 'REG-302');
  t.teardown(async () => {
    await outbox.stop(1_000);
    await Promise.all(connectors.map((c) => c.close?.()));
    await store.close();
    await Promise.all([msupply.close(), dhis2.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const dispense = async (storeId: string, itemCode: string, units: number, day: string) => {
    const res = await fetch(`${msupply.url}/_sandbox/prescriptions`, {
      method: 'POST',
      body: JSON.stringify({ storeId, itemCode, units, datetime: `${day}T10:00:00.000Z` }),
    });
    if (res.status !== 201) throw new Error(await res.text());
  };
  const deps = { store, outbox, connectors, products: loadDhis2Products(settings), dataSet: 'LkStockMnth' };
  return { msupply, dhis2, deps, dispense };
}

/**
 * From the mSupply sandbox seed (HC-NORTH: 10 packs of each item, batches expiring 2027-12-31;
 * WH-CENTRAL: 500 packs, expiring 2028-06-30; pack sizes AMX 100, PCM 1000, ORS 50, ZNC 100,
 * CTX 1000) and the prescriptions below.
 */
const EXPECTED: Record<string, Record<string, string>> = {
  'LK-HC-102': {
    // 1000 − 300 − 200 − 100; AMC (300 + 200 + 100) / 3 = 200; all of it expires 2027-12-31
    EM_AMX250_SOH: '400',
    EM_AMX250_CONS: '100',
    EM_AMX250_RCVD: '0',
    EM_AMX250_ADJ: '0',
    EM_AMX250_SOD: '0',
    EM_AMX250_MOS: '2',
    EM_AMX250_EXP90: '400',
    // all 500 dispensed on the 20th: out of stock the 20th to the 31st
    EM_ORS_SOH: '0',
    EM_ORS_CONS: '500',
    EM_ORS_SOD: '12',
    EM_ORS_MOS: '0',
    EM_ORS_EXP90: '0',
    EM_PCM500_SOH: '10000',
    EM_PCM500_CONS: '0',
    EM_PCM500_EXP90: '10000',
    EM_ZNC20_SOH: '1000',
    EM_CTX480_SOH: '10000',
  },
  'LK-WH-302': {
    EM_AMX250_SOH: '50000',
    EM_AMX250_EXP90: '0',
    EM_PCM500_SOH: '500000',
    EM_ORS_SOH: '25000',
    EM_ZNC20_SOH: '50000',
    EM_CTX480_SOH: '500000',
    EM_CTX480_CONS: '0',
  },
};

t.test('a month of Open mSupply stock becomes DHIS2 values through the crosswalk', async (t) => {
  const rig = await startRig(t);
  await rig.dispense('store-hc-north', 'AMX250T', 300, '2027-08-10');
  await rig.dispense('store-hc-north', 'AMX250T', 200, '2027-09-10');
  await rig.dispense('store-hc-north', 'AMX250T', 100, '2027-10-15');
  await rig.dispense('store-hc-north', 'ORS205S', 500, '2027-10-20');

  const first = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(first.counts.sent, 2, `HC-NORTH and WH-CENTRAL (${JSON.stringify(first.counts)})`);
  t.same(
    first.outcomes.map((o) => [o.facility, o.orgUnit?.code, o.orgUnit?.by]).sort(),
    [
      ['HC-NORTH', 'LK-HC-102', 'crosswalk'],
      ['WH-CENTRAL', 'LK-WH-302', 'crosswalk'],
    ],
    'store codes are not org unit codes: the crosswalk names the org units',
  );
  // 7 values for the two items with consumption, 6 for each of the other three, at both stores
  t.equal(first.counts.values, 7 * 2 + 6 * 3 + 6 * 5);
  for (const [ou, values] of Object.entries(EXPECTED))
    for (const [de, value] of Object.entries(values))
      t.equal(dhis2Value(rig.dhis2, ou, de, OCT.id), value, `${ou} ${de}`);
  t.equal(
    dhis2Value(rig.dhis2, 'LK-HC-102', 'EM_ZNC20_MOS', OCT.id),
    undefined,
    'no months of stock without consumption',
  );

  // stock on hand as the sandbox holds it (the month is the last with movements)
  const unitsAt = (storeId: string, itemId: string) =>
    [...rig.msupply.state.stockLines.values()]
      .filter((l) => l.storeId === storeId && l.itemId === itemId)
      .reduce((n, l) => n + l.totalNumberOfPacks * l.packSize, 0);
  t.equal(String(unitsAt('store-hc-north', 'item-amx250')), EXPECTED['LK-HC-102'].EM_AMX250_SOH);
  t.equal(String(unitsAt('store-hc-north', 'item-ors')), EXPECTED['LK-HC-102'].EM_ORS_SOH);
  t.equal(String(unitsAt('store-wh-central', 'item-ctx480')), EXPECTED['LK-WH-302'].EM_CTX480_SOH);

  // found late: 100 zinc tablets dispensed on 5 October
  await rig.dispense('store-hc-north', 'ZNC20T', 100, '2027-10-05');
  const imports = rig.dhis2.state.imports.length;
  const corrected = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(corrected.counts.sent, 1);
  t.equal(corrected.counts.unchanged, 1);
  t.same(
    corrected.outcomes[0].changes.map((c) => [c.productCode, c.measure, c.previous, c.value]),
    [
      ['EM_ZNC20', 'consumption', 0, 100],
      ['EM_ZNC20', 'expiringWithin90Days', 1000, 900],
      ['EM_ZNC20', 'monthsOfStock', undefined, 27],
      ['EM_ZNC20', 'stockOnHand', 1000, 900],
    ],
  );
  t.equal(rig.dhis2.state.imports.length, imports + 1);
  t.equal(rig.dhis2.state.imports.at(-1)!.values, 4, 'exactly the four changed values');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-102', 'EM_ZNC20_SOH', OCT.id), '900');
});
