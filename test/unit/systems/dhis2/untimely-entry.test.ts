/**
 * DHIS2 refusing data values as untimely (the data set's expiry days passed) or because the
 * mediator's user may not capture there (org unit outside its data capture org units, data set
 * without data write sharing), through the real stock connector and the sandbox, on a version up
 * to 2.42 (per-value conflicts E7617, E7640, E7601 for the whole set) and on 2.43 (a refusal of
 * the whole group: E8011, E8030, E8010). The write is refused for good with where and why in the
 * operator's words; the same job run again before DHIS2 changes is refused again; run again after
 * a DHIS2 administrator reopened the period (a lock exception) or gave access, it succeeds, and a
 * value DHIS2 had already accepted is not sent again. Before, the journal replayed the first
 * refusal on every retry, and the message said only "1 refused".
 */
import t, { type Test } from 'tap';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { callsOf, createOrchestrationStore, runWithOrchestrations } from '../../../../src/platform/call-recording.js';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { memoryJournal, startHarness, type Harness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = { system: GTIN, code: '10860012300034' };
const ORS = { system: GTIN, code: '10860012300072' };
const hc101 = {
  identifier: { system: 'http://fhir-supply-mediator.org/fhir/identifier/openlmis-facility-code', value: 'LK-HC-101' },
};
const january: StockReport = {
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2024-02-03T10:00:00Z',
  period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
  facility: hc101,
  lines: [
    { product: CONDOM, quantity: { value: 120, unit: 'dispensing-unit' } },
    { product: ORS, quantity: { value: 40, unit: 'dispensing-unit' } },
  ],
};

const VERSIONS = [
  { version: '2.41.3', untimely: 'E7640', outside: 'E7617', noWrite: 'E7601' },
  { version: '2.43.0', untimely: 'E8030', outside: 'E8011', noWrite: 'E8010' },
];

async function rig(t: Test, version: string) {
  const h = await startHarness({ version }, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const products = loadDhis2Products({});
  const stock = createStockCapability({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
  });
  return { h, stock };
}

/** "Today is" the day the sandbox's clock says from now on. */
const today = (h: Harness, iso: string) => (h.sandbox.state.clockOffsetMs = Date.parse(iso) - Date.now());
const held = (h: Harness, code: string) => {
  const s = h.sandbox.state.summary();
  return [...h.sandbox.state.dataValues.values()].find(
    (v) => v.dataElement === s.dataElements[code] && v.period === '202401' && v.orgUnit === s.orgUnits['LK-HC-101'],
  )?.value;
};
const posts = (h: Harness) => h.sandbox.state.count('POST', '/api/dataValueSets');
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Dhis2RejectionError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
};

for (const v of VERSIONS) {
  t.test(`${v.version}: past the expiry days, refused until the period is reopened, then sent`, async (t) => {
    const { h, stock } = await rig(t, v.version);
    h.sandbox.state.dataSets.get('LkStockMnth')!.expiryDays = 10;
    today(h, '2024-02-11T09:00:00Z');
    const journal = memoryJournal();
    const err = await refusal(stock.report(january, journal));
    t.equal(err.transient, false, 'permanent: the outbox does not try it again by itself');
    t.equal(err.status, 422);
    t.match(
      err.message,
      new RegExp(
        `^dhis2: accepted 0 of 2 data values for LK-HC-101 202401; 2 refused: untimely: period 202401 is closed .*data set LkStockMnth.*org unit LK-HC-101.*then retry the job \\(DHIS2 ${v.untimely}\\)`,
      ),
      'the message names DHIS2 once, counts the values refused, says which period, data set and org unit, why and what to do, with DHIS2 code',
    );
    t.same(
      err.issues.map((i) => i.expression),
      [['StockReport.period']],
      'one issue, on the period',
    );
    t.match(err.issues[0].diagnostics, new RegExp(`^DHIS2 ${v.untimely}: .*202401.*: period 202401 is closed`));
    t.equal(held(h, 'FP_CNDM_SOH'), undefined, 'nothing written');

    const before = posts(h);
    await refusal(stock.report(january, journal));
    t.equal(posts(h), before + 1, 'run again while closed: the refused values are asked once more, and refused');

    h.sandbox.state.dataSets
      .get('LkStockMnth')!
      .lockExceptions.add(`${h.sandbox.state.summary().orgUnits['LK-HC-101']}|202401`);
    const done = await stock.report(january, journal);
    t.match(done.status, /^accepted 2 /, 'run again after the lock exception: accepted');
    t.equal(held(h, 'FP_CNDM_SOH'), '120');
    t.equal(held(h, 'EM_ORS_SOH'), '40');
    const after = posts(h);
    await stock.report(january, journal);
    t.equal(posts(h), after, 'and done: the journal answers a replay without DHIS2');
  });

  t.test(`${v.version}: the org unit outside the user's data capture org units`, async (t) => {
    const { h, stock } = await rig(t, v.version);
    h.sandbox.state.userNamed('mediator')!.captureOrgUnits = ['LKL-S'];
    const journal = memoryJournal();
    const recorded = createOrchestrationStore();
    const err = await refusal(runWithOrchestrations(() => stock.report(january, journal), recorded));
    t.equal(err.transient, false);
    t.match(
      err.message,
      new RegExp(
        `no access: the mediator's DHIS2 user may not enter data for org unit LK-HC-101 .*data capture org units.*\\(DHIS2 ${v.outside}\\)`,
      ),
    );
    t.same(
      err.issues.map((i) => i.expression),
      [['StockReport.facility']],
    );
    const said = JSON.stringify({ message: err.message, issues: err.issues });
    t.notOk(said.includes(SEED_API_TOKEN) || said.includes('Mediator-2024!'), 'no credential in what is said');
    const uid = h.sandbox.state.userUid(h.sandbox.state.userNamed('mediator')!);
    t.notOk(said.includes(uid), 'the user is never named: not by its UID either');
    const answers = JSON.stringify(callsOf(recorded).map((c) => c.response?.body));
    t.match(answers, /not in hierarchy of current user|E8\d{3}/, 'the orchestrations hold the import answer');
    t.notOk(answers.includes(uid), 'nor in the answer the orchestration shows OpenHIM');
    if (v.outside === 'E7617')
      t.match(
        err.issues[0].diagnostics,
        /^DHIS2 E7617: Organisation unit: `[^`]+` not in hierarchy of current user: the mediator.s DHIS2 user/,
      );
    h.sandbox.state.userNamed('mediator')!.captureOrgUnits = ['LKL-N'];
    t.match((await stock.report(january, journal)).status, /^accepted 2 /, 'retried once the user has the region');
  });

  t.test(`${v.version}: the data set not shared with the user for data write`, async (t) => {
    const { h, stock } = await rig(t, v.version);
    h.sandbox.state.userNamed('mediator')!.dataSets = ['LkStockWkly'];
    const journal = memoryJournal();
    const err = await refusal(stock.report(january, journal));
    t.match(
      err.message,
      new RegExp(`no access: .*may not write data values of data set LkStockMnth.*\\(DHIS2 ${v.noWrite}\\)`),
    );
    t.same(
      err.issues.map((i) => i.expression),
      [['StockReport']],
    );
    t.equal(held(h, 'FP_CNDM_SOH'), undefined, 'nothing written');
    h.sandbox.state.userNamed('mediator')!.dataSets = undefined;
    t.match((await stock.report(january, journal)).status, /^accepted 2 /);
  });
}

t.test('2.41.3: one value untimely, the other taken: the retry sends only the refused one', async (t) => {
  // no data set named: DHIS2 up to 2.42 checks each value against its data element's data sets
  // that have the org unit, so a value of a data element outside the monthly set is not locked
  const h = await startHarness({ version: '2.41.3' });
  t.teardown(h.close);
  const products = loadDhis2Products({});
  const stock = createStockCapability({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
  });
  const s = h.sandbox.state.summary();
  const monthly = h.sandbox.state.dataSets.get('LkStockMnth')!;
  monthly.expiryDays = 10;
  monthly.dataElements = monthly.dataElements.filter((d) => d !== s.dataElements.EM_ORS_SOH);
  const weekly = h.sandbox.state.dataSets.get('LkStockWkly')!;
  weekly.organisationUnits = weekly.organisationUnits.filter((o) => o !== s.orgUnits['LK-HC-101']);
  today(h, '2024-03-01T09:00:00Z');
  const journal = memoryJournal();
  const err = await refusal(stock.report(january, journal));
  t.match(err.message, /accepted 1 of 2 data values .* 1 refused: untimely: .*\(DHIS2 E7640\)/);
  t.equal(held(h, 'EM_ORS_SOH'), '40', 'the value outside the closed data set is taken');
  t.equal(held(h, 'FP_CNDM_SOH'), undefined);

  monthly.lockExceptions.add(`${s.orgUnits['LK-HC-101']}|202401`);
  const done = await stock.report(january, journal);
  t.match(done.status, /^accepted 2 \(imported 2,/, 'both counted once: one then, one now');
  t.equal(h.sandbox.state.imports.at(-1)?.values, 1, 'the retry sent only the value refused before');
  t.equal(held(h, 'FP_CNDM_SOH'), '120');
});

t.test('2.41.3: a period not open yet (open future periods)', async (t) => {
  const { h, stock } = await rig(t, '2.41.3');
  h.sandbox.state.dataSets.get('LkStockMnth')!.openFuturePeriods = 0;
  today(h, '2024-01-20T09:00:00Z');
  const err = await refusal(stock.report(january, memoryJournal()));
  t.match(err.message, /untimely: period 202401 is not open yet in data set LkStockMnth .*\(DHIS2 E7641\)/);
  t.same(
    err.issues.map((i) => i.expression),
    [['StockReport.period'], ['StockReport.period']],
    'one per data element, as DHIS2 names each',
  );
});

t.test('2.43.0: a period after the org unit closed (E8031) is about the facility', async (t) => {
  const { h, stock } = await rig(t, '2.43.0');
  const s = h.sandbox.state.summary();
  h.sandbox.state.orgUnits.get(s.orgUnits['LK-HC-101'])!.closedDate = '2023-12-31T00:00:00.000';
  const err = await refusal(stock.report(january, memoryJournal()));
  t.match(err.message, /untimely: org unit LK-HC-101 is not open in period 202401 .*\(DHIS2 E8031\)/);
  t.same(
    err.issues.map((i) => i.expression),
    [['StockReport.facility']],
  );
});
