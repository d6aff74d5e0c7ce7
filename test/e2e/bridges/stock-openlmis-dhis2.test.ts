/**
 * LMIS stock → DHIS2 end to end (issue 15 "Must show"): a month of OpenLMIS stock for every demo
 * facility with stock cards becomes the right DHIS2 data values, each checked against figures
 * worked out by hand from the events posted to the OpenLMIS sandbox (and stock on hand against
 * OpenLMIS's own summary as of the month's end); a second run sends nothing; a late correction
 * re-sends exactly the values it changes; a dry run writes nothing; DHIS2 failing mid-push and the
 * run repeated still leaves every value sent once.
 */
import t, { type Test } from 'tap';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { dhis2Value, startStockRig, type StockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

/** The month's events (and two before it, for the average monthly consumption). */
async function postMonth(rig: StockRig): Promise<void> {
  await rig.postEvent('LK-HC-101', 'FP01', [
    { product: 'FP-CNDM', quantity: 300, date: '2026-11-15', reason: 'Consumed' },
    { product: 'FP-CNDM', quantity: 300, date: '2026-12-15', reason: 'Consumed' },
  ]);
  await rig.postEvent('LK-HC-101', 'FP01', [
    { product: 'FP-CNDM', quantity: 600, date: '2027-01-05', from: 'LK-WH-301', reason: 'Transfer In' },
  ]);
  await rig.postEvent('LK-HC-101', 'FP01', [
    { product: 'FP-CNDM', quantity: 300, date: '2027-01-20', reason: 'Consumed' },
    { product: 'FP-CNDM', quantity: 40, date: '2027-01-25', reason: 'Damage' },
    { product: 'FP-LNG30', quantity: 20, date: '2027-01-12', reason: 'Consumed' },
  ]);
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 150, date: '2027-01-22', reason: 'Consumed' },
  ]);
}

/**
 * What DHIS2 must hold, worked out by hand from the seed's opening stock (OpenLMIS sandbox seed:
 * HC-101 condoms 1440, LNG30 120 + 60 in lot LNG-2301 expiring 2027-03-31, ORS 150, AMX 800;
 * WH-301 LNG30 84000, AMX 500000) and the events above.
 */
const EXPECTED: Record<string, Record<string, string>> = {
  'LK-HC-101': {
    // 1440 − 300 − 300 + 600 − 300 − 40; AMC (300 × 3) / 3 = 300; 1100 / 300
    FP_CNDM_SOH: '1100',
    FP_CNDM_CONS: '300',
    FP_CNDM_RCVD: '600',
    FP_CNDM_ADJ: '-40',
    FP_CNDM_SOD: '0',
    FP_CNDM_MOS: '3.67',
    FP_CNDM_EXP90: '0',
    // 120 + 60 − 20; AMC 20 / 3; the lot's 60 expire within 90 days of 31 January
    FP_LNG30_SOH: '160',
    FP_LNG30_CONS: '20',
    FP_LNG30_RCVD: '0',
    FP_LNG30_ADJ: '0',
    FP_LNG30_SOD: '0',
    FP_LNG30_MOS: '24',
    FP_LNG30_EXP90: '60',
    // all 150 consumed on the 22nd: out of stock the 22nd to the 31st
    EM_ORS_SOH: '0',
    EM_ORS_CONS: '150',
    EM_ORS_RCVD: '0',
    EM_ORS_ADJ: '0',
    EM_ORS_SOD: '10',
    EM_ORS_MOS: '0',
    EM_ORS_EXP90: '0',
    // untouched: no consumption, so no months of stock
    EM_AMX250_SOH: '800',
    EM_AMX250_CONS: '0',
    EM_AMX250_RCVD: '0',
    EM_AMX250_ADJ: '0',
    EM_AMX250_SOD: '0',
    EM_AMX250_EXP90: '0',
  },
  'LK-WH-301': {
    FP_LNG30_SOH: '84000',
    FP_LNG30_CONS: '0',
    FP_LNG30_RCVD: '0',
    FP_LNG30_ADJ: '0',
    FP_LNG30_SOD: '0',
    FP_LNG30_EXP90: '0',
    EM_AMX250_SOH: '500000',
    EM_AMX250_CONS: '0',
    EM_AMX250_RCVD: '0',
    EM_AMX250_ADJ: '0',
    EM_AMX250_SOD: '0',
    EM_AMX250_EXP90: '0',
  },
};
const VALUE_COUNT = Object.values(EXPECTED).reduce((n, v) => n + Object.keys(v).length, 0);

function checkValues(t: Test, rig: StockRig, expected = EXPECTED): void {
  for (const [ou, values] of Object.entries(expected))
    for (const [de, value] of Object.entries(values))
      t.equal(dhis2Value(rig.dhis2, ou, de, JAN.id), value, `${ou} ${de} ${JAN.id}`);
  t.equal(
    dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_AMX250_MOS', JAN.id),
    undefined,
    'no months of stock without consumption',
  );
}

/** Values DHIS2 stored (imported or updated) over every import so far. */
const storedValues = (rig: StockRig) => rig.dhis2.state.imports.reduce((n, i) => n + i.imported + i.updated, 0);

t.test('a month of OpenLMIS stock becomes the right DHIS2 values, once', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  await postMonth(rig);

  const first = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(first.counts.sent, 2, 'one write per org unit with stock: LK-HC-101 and LK-WH-301');
  t.equal(first.counts.values, VALUE_COUNT);
  t.equal(first.counts['no-org-unit'], 0);
  checkValues(t, rig);
  t.equal(storedValues(rig), VALUE_COUNT, 'each value stored once');

  // stock on hand as OpenLMIS itself reports it at the month's end
  const seed = rig.lmis.state.seedSummary();
  const admin = await (
    await fetch(`${rig.lmis.url}/api/oauth/token?grant_type=password&username=administrator&password=password`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('user-client:changeme').toString('base64')}` },
    })
  ).json();
  const summaries = await (
    await fetch(
      `${rig.lmis.url}/api/v2/stockCardSummaries?facilityId=${seed.facilities['LK-HC-101']}&programId=${seed.programs.FP01}&asOfDate=${JAN.days.to}`,
      { headers: { authorization: `Bearer ${(admin as { access_token: string }).access_token}` } },
    )
  ).json();
  const sohOf = (id: string) =>
    (summaries as { content: { orderable: { id: string }; stockOnHand: number }[] }).content.find(
      (s) => s.orderable.id === id,
    )?.stockOnHand;
  t.equal(
    String(sohOf(seed.orderables['FP-CNDM'])),
    EXPECTED['LK-HC-101'].FP_CNDM_SOH,
    'condoms as OpenLMIS sums them',
  );
  t.equal(String(sohOf(seed.orderables['FP-LNG30'])), EXPECTED['LK-HC-101'].FP_LNG30_SOH, 'LNG30 over both cards');

  const again = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(again.counts.unchanged, 2, 'the second run finds nothing changed');
  t.equal(again.counts.sent + again.counts.queued + again.counts['already-sent'], 0, 'and writes nothing');
  t.equal(storedValues(rig), VALUE_COUNT, 'DHIS2 stored nothing more');
});

t.test('a late correction re-sends exactly the values it changes; a dry run writes nothing', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  await postMonth(rig);
  await runStockToDhis2(rig.deps, { period: JAN });
  const before = rig.dhis2.state.imports.length;

  // found late: 100 amoxicillin tablets dispensed on 28 January
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-AMX250', quantity: 100, date: '2027-01-28', reason: 'Consumed' },
  ]);

  const jobsBefore = (await rig.store.listJobs?.({}))?.length;
  const dry = await runStockToDhis2(rig.deps, { period: JAN, dryRun: true });
  t.equal(dry.counts['would-send'], 1, 'one org unit would change');
  t.same(
    dry.outcomes[0].changes.map((c) => [dry.outcomes[0].orgUnit?.code, c.productCode, c.measure, c.previous, c.value]),
    [
      ['LK-HC-101', 'EM_AMX250', 'consumption', 0, 100],
      ['LK-HC-101', 'EM_AMX250', 'monthsOfStock', undefined, 21],
      ['LK-HC-101', 'EM_AMX250', 'stockOnHand', 800, 700],
    ],
    'old → new per value',
  );
  t.same(dry.outcomes[0].dataElements, ['EM_AMX250_CONS', 'EM_AMX250_MOS', 'EM_AMX250_SOH']);
  t.equal(rig.dhis2.state.imports.length, before, 'the dry run sent nothing to DHIS2');
  t.equal((await rig.store.listJobs?.({}))?.length, jobsBefore, 'and queued nothing');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_AMX250_SOH', JAN.id), '800');

  const corrected = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(corrected.counts.sent, 1);
  t.equal(corrected.counts.unchanged, 1, 'the warehouse is untouched');
  t.equal(rig.dhis2.state.imports.length, before + 1, 'one import');
  t.equal(rig.dhis2.state.imports.at(-1)!.values, 3, 'of exactly the three changed values');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_AMX250_SOH', JAN.id), '700');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_AMX250_CONS', JAN.id), '100');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_AMX250_MOS', JAN.id), '21', '700 / (100 / 3)');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'FP_CNDM_SOH', JAN.id), '1100', 'the rest as it was');
});

t.test('DHIS2 failing mid-push, then the run repeated: every value stored exactly once', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  await postMonth(rig);
  // the first import is applied but its answer lost (the connection reset), then DHIS2 is down for a while
  rig.dhis2.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    times: 1,
    action: { type: 'afterApply', answer: { type: 'reset' } },
  });
  rig.dhis2.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    times: 6,
    action: { type: 'status', status: 503 },
  });
  const first = await runStockToDhis2(rig.deps, { period: JAN, deadlineMs: 200 });
  t.ok(first.counts.queued >= 1, `a write is left to the outbox (${JSON.stringify(first.counts)})`);

  const rerun = await runStockToDhis2(rig.deps, { period: JAN, deadlineMs: 200 });
  t.equal(rerun.counts.sent, 0, 'the re-run does not write what is already queued');
  rig.outbox.startWorker();
  await untilSettled(rig);
  t.same(
    rig.dhis2.faults.list().map((r) => r.hits),
    [1, 6],
    'an import was applied with its answer lost, and DHIS2 then refused six',
  );
  checkValues(t, rig);
  t.equal(storedValues(rig), VALUE_COUNT, 'each value stored once');
  const last = await runStockToDhis2(rig.deps, { period: JAN });
  t.equal(last.counts.unchanged, 2, 'and nothing is left to send');
});

async function untilSettled(rig: StockRig): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const jobs = (await rig.store.listJobs?.({})) ?? [];
    if (jobs.length && jobs.every((j: { status: string }) => j.status === 'done')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a weekly data set takes weeks: a month is refused, a week is sent', async (t) => {
  const rig = await startStockRig('LkStockWkly');
  t.teardown(rig.close);
  await postMonth(rig);
  await t.rejects(runStockToDhis2(rig.deps, { period: JAN }), {
    status: 422,
    message: 'DHIS2 data set LkStockWkly takes Weekly periods; 202701 is Monthly',
  });
  t.equal(rig.dhis2.state.imports.length, 0, 'nothing sent');

  // 18–24 January: the 300 condoms consumed on the 20th
  const week = bridgePeriod('2027W3');
  const sent = await runStockToDhis2(rig.deps, { period: week });
  t.equal(sent.counts.sent, 2);
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'FP_CNDM_CONS', '2027W3'), '300');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'FP_CNDM_RCVD', '2027W3'), '0', 'received on the 5th: another week');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'FP_CNDM_SOH', '2027W3'), '1140', '1440 − 300 − 300 + 600 − 300');
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOD', '2027W3'), '3', 'out of ORS the 22nd to the 24th');
});
