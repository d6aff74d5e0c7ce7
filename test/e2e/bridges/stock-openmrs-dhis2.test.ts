/**
 * OpenMRS stock → DHIS2 end to end (issue 15: "OpenMRS inventory" as a source): three months of
 * the OpenMRS sandbox's stock management ledger (receipts, dispensing to patients, a transfer out,
 * an adjustment, on top of the seeded opening stock) become DHIS2 data values for the org units
 * the crosswalk links the locations to (OpenMRS codes are not DHIS2 codes), each value checked
 * against figures worked out by hand and stock on hand against what the sandbox holds; a late
 * dispense re-sends exactly the values it changes; an OpenMRS outage in the middle of a run, and
 * a DHIS2 answer lost, are each repaired by running again, every value stored once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SEED_API_TOKEN, startDhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { seedUid } from '../../../sandbox/dhis2/seed.js';
import {
  ADMIN_PASSWORD,
  CENTRAL_STORE_PARTY,
  DRUGS,
  LOC,
  REASONS,
  startOpenMrsSandbox,
} from '../../../sandbox/openmrs/index.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore } from '../../../src/store/index.js';
import { linkAsDataManager } from '../../support/linked-facility.js';
import { createDhis2Connector } from '../../../src/systems/dhis2/index.js';
import { loadDhis2Products } from '../../../src/systems/dhis2/products.js';
import { createMsupplyConnector } from '../../../src/systems/msupply/index.js';
import { createOpenMrsConnector } from '../../../src/systems/openmrs/index.js';
import { startMsupplySandbox } from '../../../sandbox/msupply/index.js';
import { dhis2Value } from './stock-rig.js';

const OCT = bridgePeriod('2027-10');
const MWANGAZA_PARTY = 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281';
const KILIMA_PARTY = 'e5d4c3b2-0003-4a1b-8c2d-3e4f50617283';
const TRANSACTIONS = '/openmrs/ws/rest/v1/stockmanagement/stockitemtransaction';
const PHARMACY_PARTY = 'e5d4c3b2-0002-4a1b-8c2d-3e4f50617282';

async function startRig(t: Test, withMsupply = false) {
  const openmrs = await startOpenMrsSandbox();
  const msupply = withMsupply ? await startMsupplySandbox() : undefined;
  const dhis2 = await startDhis2Sandbox({});
  const dir = mkdtempSync(path.join(tmpdir(), 'stock-openmrs-'));
  const store = await openStore({ dataDir: dir });
  const settings = {
    'openmrs.baseUrl': openmrs.url,
    'openmrs.username': 'admin',
    'openmrs.password': ADMIN_PASSWORD,
    // small pages: a location's ledger takes several
    'openmrs.pageSize': 3,
    'dhis2.baseUrl': dhis2.url,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.dataSet': 'LkStockMnth',
    ...(msupply
      ? { 'msupply.baseUrl': msupply.url, 'msupply.username': 'mediator', 'msupply.password': 'password' }
      : {}),
  };
  const connectors = [
    createOpenMrsConnector(settings, { retries: 1, retryDelayMs: 10 }),
    ...(msupply ? [createMsupplyConnector(settings)] : []),
    createDhis2Connector(settings),
  ];
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 5_000, backoff: { baseMs: 50, capMs: 200 }, attemptTimeoutMs: 4_000, leaseMs: 5_000 },
  });
  createRoutingServices({ connectors, outbox, store });
  const link = (system: string, systemId: string, registryId: string) =>
    linkAsDataManager(store, system, systemId, registryId);
  await link('openmrs', LOC.mwangaza, 'REG-103');
  await link('dhis2', seedUid('orgUnit:LK-HC-103'), 'REG-103');
  await link('openmrs', LOC.kilima, 'REG-104');
  await link('dhis2', seedUid('orgUnit:LK-HC-104'), 'REG-104');
  t.teardown(async () => {
    await outbox.stop(1_000);
    await Promise.all(connectors.map((c) => c.close?.()));
    await store.close();
    await Promise.all([openmrs.close(), dhis2.close(), msupply?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const control = async (route: string, body: unknown) => {
    const res = await fetch(`${openmrs.url.replace(/\/openmrs$/, '')}/_sandbox/stock/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  };
  const item = (drug: string) => openmrs.stock.itemByDrug(drug)!.uuid;
  const dispense = (location: string, drug: string, batchNo: string, quantity: number, day: string) =>
    control('dispense', { locationUuid: location, drugUuid: drug, batchNo, quantity, at: `${day}T10:00:00Z` });
  const deps = { store, outbox, connectors, products: loadDhis2Products(settings), dataSet: 'LkStockMnth' };
  /** A value put into DHIS2 as an earlier run would have (by codes). */
  const putValue = async (orgUnit: string, dataElement: string, value: string) => {
    const res = await fetch(`${dhis2.url}/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE`, {
      method: 'POST',
      headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataValues: [{ dataElement, period: OCT.id, orgUnit, value }] }),
    });
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  };
  return { openmrs, dhis2, store, outbox, deps, control, item, dispense, link, putValue };
}

type Rig = Awaited<ReturnType<typeof startRig>>;

/** August to October 2027 at Mwangaza Health Centre and Kilima Dispensary (the sandbox's opening stock is 2024's). */
async function threeMonths(rig: Rig) {
  const operation = (type: string, at: string, body: Record<string, unknown>) =>
    rig.control('operations', { operationTypeUuid: rig.openmrs.stock.typeUuid(type as 'receipt'), at, ...body });
  await operation('receipt', '2027-08-05T09:00:00Z', {
    sourceUuid: CENTRAL_STORE_PARTY,
    destinationUuid: MWANGAZA_PARTY,
    stockOperationItems: [
      { stockItemUuid: rig.item(DRUGS.amoxicillin), batchNo: 'AMX-2708', expiration: '2028-01-15', quantity: 600 },
    ],
  });
  await rig.dispense(LOC.mwangaza, DRUGS.amoxicillin, 'AMX-2708', 150, '2027-08-20');
  await operation('transferout', '2027-09-01T09:00:00Z', {
    sourceUuid: MWANGAZA_PARTY,
    destinationUuid: KILIMA_PARTY,
    stockOperationItems: [
      { stockItemUuid: rig.item(DRUGS.paracetamol), batchNo: 'PCM-2401', expiration: '2027-06-30', quantity: 500 },
    ],
  });
  await rig.dispense(LOC.mwangaza, DRUGS.amoxicillin, 'AMX-2708', 90, '2027-09-15');
  await rig.dispense(LOC.kilima, DRUGS.paracetamol, 'PCM-2401', 100, '2027-10-05');
  await rig.dispense(LOC.mwangaza, DRUGS.amoxicillin, 'AMX-2708', 60, '2027-10-10');
  await operation('adjustment', '2027-10-12T09:00:00Z', {
    sourceUuid: MWANGAZA_PARTY,
    reasonUuid: REASONS.damaged,
    stockOperationItems: [
      { stockItemUuid: rig.item(DRUGS.amoxicillin), batchNo: 'AMX-2401', expiration: '2031-12-31', quantity: -100 },
    ],
  });
  await rig.dispense(LOC.mwangaza, DRUGS.ors, 'ORS-2312', 300, '2027-10-20');
  await operation('receipt', '2027-10-25T09:00:00Z', {
    sourceUuid: CENTRAL_STORE_PARTY,
    destinationUuid: MWANGAZA_PARTY,
    stockOperationItems: [
      { stockItemUuid: rig.item(DRUGS.zinc), batchNo: 'ZNC-2710', expiration: '2029-01-01', quantity: 200 },
    ],
  });
}

/** Worked out by hand from the seed (Mwangaza: AMX 1000 AMX-2401, PCM 2000 PCM-2401, ORS 300 ORS-2312, 2024) and threeMonths. */
const EXPECTED: Record<string, Record<string, string>> = {
  'LK-HC-103': {
    // 900 left of AMX-2401 after 100 damaged, 300 of AMX-2708 (600 − 150 − 90 − 60)
    EM_AMX250_SOH: '1200',
    EM_AMX250_CONS: '60',
    EM_AMX250_RCVD: '0',
    EM_AMX250_ADJ: '-100',
    EM_AMX250_SOD: '0',
    // AMC (150 + 90 + 60) / 3 = 100
    EM_AMX250_MOS: '12',
    // AMX-2708 expires 2028-01-15, within 90 days of 31 October; AMX-2401 only in 2031
    EM_AMX250_EXP90: '300',
    // all 300 sachets dispensed on the 20th: out of stock the 20th to the 31st
    EM_ORS_SOH: '0',
    EM_ORS_CONS: '300',
    EM_ORS_SOD: '12',
    EM_ORS_MOS: '0',
    EM_ORS_EXP90: '0',
    // 500 transferred out to Kilima in September: consumption there, so AMC 500 / 3
    EM_PCM500_SOH: '1500',
    EM_PCM500_CONS: '0',
    EM_PCM500_MOS: '9',
    EM_PCM500_EXP90: '0',
    // first received on the 25th: none on hand the 1st to the 24th
    EM_ZNC20_SOH: '200',
    EM_ZNC20_RCVD: '200',
    EM_ZNC20_CONS: '0',
    EM_ZNC20_SOD: '24',
  },
  'LK-HC-104': {
    // 500 received from Mwangaza in September, 100 dispensed in October; AMC 100 / 3
    EM_PCM500_SOH: '400',
    EM_PCM500_CONS: '100',
    EM_PCM500_RCVD: '0',
    EM_PCM500_ADJ: '0',
    EM_PCM500_SOD: '0',
    EM_PCM500_MOS: '12',
  },
};
/** 7 values each for AMX, ORS, PCM at Mwangaza and PCM at Kilima; zinc has no months of stock. */
const VALUE_COUNT = 7 * 4 + 6;

function checkValues(t: Test, rig: Rig) {
  for (const [ou, values] of Object.entries(EXPECTED))
    for (const [de, value] of Object.entries(values))
      t.equal(dhis2Value(rig.dhis2, ou, de, OCT.id), value, `${ou} ${de}`);
}

const storedValues = (rig: Rig) =>
  [...rig.dhis2.state.dataValues.values()].filter(
    (v) => v.period === OCT.id && [seedUid('orgUnit:LK-HC-103'), seedUid('orgUnit:LK-HC-104')].includes(v.orgUnit),
  ).length;

t.test('three months of OpenMRS stock become the right DHIS2 values through the crosswalk', async (t) => {
  const rig = await startRig(t);
  await threeMonths(rig);
  // counts the ledger requests (a rule that only waits 0 ms)
  const pages = rig.openmrs.faults.add({ method: 'GET', path: TRANSACTIONS, action: { type: 'delay', ms: 0 } });
  const first = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(first.counts.sent, 2, `Mwangaza and Kilima (${JSON.stringify(first.counts)})`);
  // pages of 3: Mwangaza's 12 transactions in 4, Kilima's 2 in 1, one empty page each for the
  // pharmacy and Rio Azul (parties with no stock)
  t.equal(rig.openmrs.faults.list().find((r) => r.id === pages.id)?.hits, 7, 'the ledger is read page by page');
  rig.openmrs.faults.clear();
  t.same(first.outcomes.map((o) => [o.system, o.orgUnit?.code, o.orgUnit?.by]).sort(), [
    ['openmrs', 'LK-HC-103', 'crosswalk'],
    ['openmrs', 'LK-HC-104', 'crosswalk'],
  ]);
  t.equal(first.counts.values, VALUE_COUNT);
  t.equal(storedValues(rig), VALUE_COUNT);
  checkValues(t, rig);
  t.equal(
    dhis2Value(rig.dhis2, 'LK-HC-103', 'EM_ZNC20_MOS', OCT.id),
    undefined,
    'no months of stock without consumption',
  );

  // stock on hand as the sandbox's inventory holds it (October is the last month with movements)
  const onHand = (party: string, drug: string) => String(rig.openmrs.stock.quantity(party, rig.item(drug)));
  t.equal(onHand(MWANGAZA_PARTY, DRUGS.amoxicillin), EXPECTED['LK-HC-103'].EM_AMX250_SOH);
  t.equal(onHand(MWANGAZA_PARTY, DRUGS.ors), EXPECTED['LK-HC-103'].EM_ORS_SOH);
  t.equal(onHand(MWANGAZA_PARTY, DRUGS.paracetamol), EXPECTED['LK-HC-103'].EM_PCM500_SOH);
  t.equal(onHand(MWANGAZA_PARTY, DRUGS.zinc), EXPECTED['LK-HC-103'].EM_ZNC20_SOH);
  t.equal(onHand(KILIMA_PARTY, DRUGS.paracetamol), EXPECTED['LK-HC-104'].EM_PCM500_SOH);

  // found late: 50 zinc tablets dispensed on 28 October
  await rig.dispense(LOC.mwangaza, DRUGS.zinc, 'ZNC-2710', 50, '2027-10-28');
  const imports = rig.dhis2.state.imports.length;
  const corrected = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(corrected.counts.sent, 1);
  t.equal(corrected.counts.unchanged, 1);
  t.same(
    corrected.outcomes[0].changes.map((c) => [c.productCode, c.measure, c.previous, c.value]),
    [
      ['EM_ZNC20', 'consumption', 0, 50],
      ['EM_ZNC20', 'monthsOfStock', undefined, 9],
      ['EM_ZNC20', 'stockOnHand', 200, 150],
    ],
  );
  t.equal(rig.dhis2.state.imports.length, imports + 1);
  t.equal(rig.dhis2.state.imports.at(-1)!.values, 3, 'exactly the three changed values');
  const again = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(again.counts.unchanged, 2, 'and a third run has nothing to send');
});

t.test('OpenMRS failing after the first location: named as not read, a re-run sends the rest once', async (t) => {
  const rig = await startRig(t);
  await threeMonths(rig);
  let faulted = false;
  const broken = runStockToDhis2(rig.deps, {
    period: OCT,
    concurrency: 1,
    onFacility: () => {
      // OpenMRS goes down once the first location is written
      if (!faulted)
        rig.openmrs.faults.add({ method: 'GET', path: TRANSACTIONS, action: { type: 'status', status: 503 } });
      faulted = true;
    },
  });
  // the run goes on with the other LMISs (none here) and says which it could not read, and why
  t.match((await broken).unread, [{ system: 'openmrs', reason: /503/ }], 'the run names OpenMRS as not read');
  t.equal(storedValues(rig), 7 * 3 + 6, 'Mwangaza was written before OpenMRS failed');
  rig.openmrs.faults.clear();
  const rerun = await runStockToDhis2(rig.deps, { period: OCT });
  t.same([rerun.counts.sent, rerun.counts.unchanged], [1, 1], 'Kilima now; Mwangaza not again');
  t.equal(storedValues(rig), VALUE_COUNT);
  checkValues(t, rig);
});

t.test('a DHIS2 answer lost, then the run repeated: every value stored exactly once', async (t) => {
  const rig = await startRig(t);
  await threeMonths(rig);
  rig.dhis2.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    times: 1,
    action: { type: 'afterApply', answer: { type: 'reset' } },
  });
  rig.dhis2.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    times: 4,
    action: { type: 'status', status: 503 },
  });
  const first = await runStockToDhis2(rig.deps, { period: OCT, deadlineMs: 200 });
  t.ok(first.counts.queued >= 1, `a write is left to the outbox (${JSON.stringify(first.counts)})`);
  const rerun = await runStockToDhis2(rig.deps, { period: OCT, deadlineMs: 200 });
  t.equal(rerun.counts.sent, 0, 'the re-run does not write what is already queued');
  rig.outbox.startWorker();
  for (let i = 0; i < 200; i++) {
    const jobs = (await rig.store.listJobs?.({})) ?? [];
    if (jobs.length && jobs.every((j: { status: string }) => j.status === 'done')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  checkValues(t, rig);
  t.equal(storedValues(rig), VALUE_COUNT, 'each value stored once');
  const last = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(last.counts.unchanged, 2, 'and nothing is left to send');
});

t.test('a value the LMIS no longer yields is deleted in DHIS2, once, never zeroed', async (t) => {
  const rig = await startRig(t);
  await threeMonths(rig);
  // an earlier run wrote co-trimoxazole at Mwangaza; OpenMRS has no such stock now (the receipt was corrected away)
  await rig.putValue('LK-HC-103', 'EM_CTX480_SOH', '70');
  const dry = await runStockToDhis2(rig.deps, { period: OCT, dryRun: true });
  const mwangaza = dry.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-103')!;
  t.same(mwangaza.stale, [{ productCode: 'EM_CTX480', measure: 'stockOnHand', previous: 70 }]);
  t.equal(mwangaza.staleStatus, 'would-retract');
  t.equal(dry.counts.staleValues, 1);

  const run = await runStockToDhis2(rig.deps, { period: OCT });
  const after = run.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-103')!;
  t.equal(after.status, 'sent', 'the values it yields are sent');
  // the DHIS2 connector deletes (importStrategy=DELETE): a zero would read as a stock-out on dashboards
  t.equal(after.staleStatus, 'retracted');
  t.equal(run.counts.retractedValues, 1);
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-103', 'EM_CTX480_SOH', OCT.id), undefined, 'deleted, not zeroed');
  t.equal(storedValues(rig), VALUE_COUNT);
  const again = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(again.counts.staleValues, 0, 'nothing left to delete on the next run');
  t.equal(again.counts.retractedValues, 0, 'and nothing deleted twice');
  t.equal(again.counts.unchanged, 2);
});

t.test('two LMIS linked to one org unit: the first feeds it, the second is refused and reported', async (t) => {
  const rig = await startRig(t, true);
  await threeMonths(rig);
  // a data manager linked the mSupply store HC-NORTH to Mwangaza's registry facility as well
  await rig.link('msupply', 'store-hc-north', 'REG-103');
  const run = await runStockToDhis2(rig.deps, { period: OCT });
  const shared = run.outcomes.filter((o) => o.status === 'shared-org-unit');
  t.equal(shared.length, 1);
  t.equal(shared[0].system, 'msupply');
  t.equal(shared[0].orgUnit?.code, 'LK-HC-103');
  t.match(shared[0].error, /already fed by openmrs SBX-10001: msupply HC-NORTH is not written over it/);
  t.equal(run.counts['shared-org-unit'], 1);
  // OpenMRS's values stand: the mSupply store's (10 packs of each item) were not written over them
  checkValues(t, rig);
  const rerun = await runStockToDhis2(rig.deps, { period: OCT });
  t.equal(rerun.counts['shared-org-unit'], 1, 'the same one refused on every run, no flip-flop');
  t.equal(rerun.counts.sent, 0);
  checkValues(t, rig);
});

t.test(
  "a facility's pharmacy is part of its ledger; a move between them is neither consumed nor received",
  async (t) => {
    const rig = await startRig(t);
    await threeMonths(rig);
    // Mwangaza's store sends 100 amoxicillin to its own pharmacy (a location below it), which dispenses 40
    await rig.control('operations', {
      operationTypeUuid: rig.openmrs.stock.typeUuid('transferout'),
      at: '2027-10-15T09:00:00Z',
      sourceUuid: MWANGAZA_PARTY,
      destinationUuid: PHARMACY_PARTY,
      stockOperationItems: [
        { stockItemUuid: rig.item(DRUGS.amoxicillin), batchNo: 'AMX-2708', expiration: '2028-01-15', quantity: 100 },
      ],
    });
    await rig.dispense(LOC.mwangazaPharmacy, DRUGS.amoxicillin, 'AMX-2708', 40, '2027-10-16');
    const run = await runStockToDhis2(rig.deps, { period: OCT });
    t.equal(run.counts['no-org-unit'], 0, 'the pharmacy is not a facility of its own');
    t.equal(run.counts.sent, 2);
    const amx = (de: string) => dhis2Value(rig.dhis2, 'LK-HC-103', `EM_AMX250_${de}`, OCT.id);
    // 1200 before, less the 40 the pharmacy dispensed; the 100 moved inside the facility changes nothing
    t.equal(amx('SOH'), '1160');
    t.equal(amx('CONS'), '100', "the store's 60 and the pharmacy's 40");
    t.equal(amx('RCVD'), '0', 'the pharmacy receiving from its own store is no receipt');
    t.equal(amx('ADJ'), '-100', 'the move nets to nothing: only the 100 damaged');
    // AMC (150 + 90 + 100) / 3
    t.equal(amx('MOS'), String(Math.round((1160 / (340 / 3)) * 100) / 100));
    t.equal(amx('EXP90'), '260', 'AMX-2708 in the store and the pharmacy together');
    const held = (party: string) => rig.openmrs.stock.quantity(party, rig.item(DRUGS.amoxicillin));
    t.equal(
      String(held(MWANGAZA_PARTY) + held(PHARMACY_PARTY)),
      amx('SOH'),
      "both parties' stock, as the sandbox holds it",
    );
  },
);
