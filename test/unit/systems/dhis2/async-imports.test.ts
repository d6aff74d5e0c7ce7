import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { isTransient } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { SEED_PRODUCT_CODES } from '../../../../sandbox/dhis2/index.js';
import { consignmentEvents } from '../../../support/dhis2-consignment-events.js';
import { amnesiacJournal, memoryJournal, startHarness, type Harness } from './harness.js';

/**
 * Large imports run as DHIS2 jobs (issue 11): tracker events above dhis2.trackerAsyncThreshold as
 * an async tracker job whose report is polled, data values of a report of dhis2.asyncThreshold
 * values or more as async tasks polled to their import summary; small ones synchronously. Each
 * through the sandbox, whose jobs finish in the background after a delay, per version.
 */
const GTIN = 'https://www.gs1.org/gtin';
const du = (value: number) => ({ value, unit: 'dispensing-unit' as const });
const hits = (h: Harness, prefix: string) =>
  [...h.sandbox.state.hits.entries()].filter(([k]) => k.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);

for (const version of ['2.39.1', '2.41.3', '2.43.0']) {
  t.test(`${version}: tracker events above the threshold run as a job; its report is polled`, async (t) => {
    const h = await startHarness(
      { version, jobDelayMs: 30 },
      { 'dhis2.trackerAsyncThreshold': 5, 'dhis2.jobPollMs': 5 },
    );
    t.teardown(h.close);

    const small = await postTrackerEvents(h.client, consignmentEvents(h, 5, 'Sm'));
    t.match(small, { status: 'OK', created: 5, errors: [] });
    t.equal(hits(h, 'GET /api/tracker/jobs/'), 0, 'five events: synchronous, no job');

    const before = h.sandbox.tracker.events.size;
    const large = await postTrackerEvents(h.client, consignmentEvents(h, 12, 'Lg', { bad: [3, 7] }));
    t.equal(large.status, 'ERROR', 'two refused objects: the job report says ERROR');
    t.equal(large.created, 0, 'atomicMode=ALL: none of the write is committed');
    t.same(
      large.errors.map((e) => [e.errorCode, e.index]),
      [
        ['E1302', 3],
        ['E1302', 7],
      ],
      'each refusal carries the index of the event it came from',
    );
    t.equal(h.sandbox.tracker.events.size, before, 'the refused write changed nothing');
    t.ok(hits(h, 'GET /api/tracker/jobs/') >= 2, 'the notifications, then the report, were asked for');

    const fixed = await postTrackerEvents(h.client, consignmentEvents(h, 12, 'Lg'));
    t.match(fixed, { status: 'OK', created: 12, errors: [] }, 'corrected: all twelve committed');
    const again = await postTrackerEvents(h.client, consignmentEvents(h, 12, 'Lg'));
    t.match(again, { created: 0, updated: 12 }, 'the same job again updates the same events');
    t.equal(h.sandbox.tracker.events.size, before + 12, 'no event twice');
  });
}

t.test(
  'a job the server forgets, or one that outlasts dhis2.jobTimeoutMs: transient, and safe to resend',
  async (t) => {
    const h = await startHarness(
      { jobDelayMs: 60_000 },
      { 'dhis2.trackerAsyncThreshold': 1, 'dhis2.jobPollMs': 5, 'dhis2.jobTimeoutMs': 60_000 },
    );
    t.teardown(h.close);
    const events = consignmentEvents(h, 3, 'Fg');
    const pending = postTrackerEvents(h.client, events).catch((e: unknown) => e);
    // forget the job as a restart would, once the client has seen it running
    while (hits(h, 'GET /api/tracker/jobs/') === 0) await new Promise((r) => setTimeout(r, 2));
    h.sandbox.tracker.forgetJobs();
    const lost = (await pending) as Error;
    t.ok(isTransient(lost), 'a forgotten job is a transient failure (the outbox tries again)');
    t.match(lost.message, /no longer knows the job/);

    const timed = await startHarness(
      { jobDelayMs: 60_000 },
      { 'dhis2.trackerAsyncThreshold': 1, 'dhis2.jobPollMs': 5, 'dhis2.jobTimeoutMs': 30 },
    );
    t.teardown(timed.close);
    const late = (await postTrackerEvents(timed.client, consignmentEvents(timed, 2, 'Tm')).catch((e) => e)) as Error;
    t.ok(isTransient(late));
    t.match(late.message, /not done after 30 ms \(dhis2\.jobTimeoutMs\)/);

    // the forgotten job had done its work all the same; the resend carries the same UIDs: no twins
    h.sandbox.tracker.finishJobs();
    const size = () => [...h.sandbox.tracker.events.keys()].filter((k) => k.startsWith('Fg')).length;
    t.equal(size(), 3, 'the first job imported the three events');
    const polled = hits(h, 'GET /api/tracker/jobs/');
    const resending = postTrackerEvents(h.client, events);
    // the new job is running once the client asks about it
    while (hits(h, 'GET /api/tracker/jobs/') === polled) await new Promise((r) => setTimeout(r, 2));
    h.sandbox.tracker.finishJobs();
    const resent = await resending;
    t.match(resent, { created: 0, updated: 3 }, 'the resend updates them');
    t.equal(size(), 3, 'three events, each once');
  },
);

const products = loadDhis2Products({});
const stockFor = (h: Harness) =>
  createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });

const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';
const measure = (code: string) => ({ system: MEASURE_SYSTEM, code });

/**
 * Every seeded product's receipts and consumption for the month: 18 values for one org unit and
 * month, as totals (a snapshot: the same report again changes nothing; a difference would add).
 */
function wideReport(offset = 0): StockReport {
  const catalogue = SEED_PRODUCT_CODES.map((code) => products.productOf(code)!).filter(Boolean);
  return {
    status: 'active',
    countType: 'snapshot',
    reportedAt: '2024-02-03T10:00:00Z',
    period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
    facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-101' } },
    lines: catalogue.flatMap((p, i) => [
      {
        product: { system: GTIN, code: p.code },
        quantity: du(100 + i + offset),
        itemStatus: measure('quantityReceived'),
      },
      { product: { system: GTIN, code: p.code }, quantity: du(10 + i), itemStatus: measure('consumption') },
    ]),
  };
}

for (const version of ['2.39.1', '2.41.3', '2.43.0']) {
  t.test(`${version}: a report of dhis2.asyncThreshold values or more: async tasks polled`, async (t) => {
    const h = await startHarness(
      { version, jobDelayMs: 20 },
      {
        'dhis2.dataSet': 'LkStockMnth',
        'dhis2.asyncThreshold': 10,
        'dhis2.chunkSize': 7,
        'dhis2.jobPollMs': 5,
      },
    );
    t.teardown(h.close);
    const stock = stockFor(h);
    const report = wideReport();
    const n = report.lines.length;
    t.equal(n, 18);
    const journal = memoryJournal('wide');
    const first = await stock.report(report, journal);
    t.match(first.status, new RegExp(`^accepted ${n} `), 'every value accepted, counted from the task summaries');
    t.same([...journal.steps.keys()], ['data-values-0', 'data-values-1', 'data-values-2'], 'three chunks of ≤7');
    t.equal(hits(h, 'POST /api/dataValueSets'), 3);
    t.ok(hits(h, 'GET /api/system/tasks/DATAVALUE_IMPORT/') >= 3, 'each task polled');
    t.equal(hits(h, 'GET /api/system/taskSummaries/DATAVALUE_IMPORT/'), 3, 'each summary read once it was done');
    const read = await stock.search({
      facility: h.sandbox.state.summary().orgUnits['LK-HC-101'],
      date: [{ from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59Z' }],
    });
    t.equal(read.items[0].lines.length, n, 'read back: every value');
    t.equal(
      read.items[0].lines.reduce((sum, l) => sum + l.quantity.value, 0),
      report.lines.reduce((sum, l) => sum + Math.abs(l.quantity.value), 0),
      'read back equal',
    );

    const again = await stock.report(report, amnesiacJournal());
    t.match(
      again.status,
      version === '2.43.0' ? /^accepted 18 \(imported 0, updated 18/ : /unchanged 18\)$/,
      'sent again: nothing changes, as the version counts it',
    );

    const small = await stockFor(h).report(
      { ...report, lines: report.lines.slice(0, 4), period: { start: '2024-02-01T00:00:00Z' } },
      amnesiacJournal(),
    );
    t.match(small.status, /^accepted 4 /);
    t.equal(hits(h, 'POST /api/dataValueSets'), 7, 'three async chunks again, then one synchronous post');
    t.equal(hits(h, 'GET /api/system/taskSummaries/DATAVALUE_IMPORT/'), 6, 'the small report made no task');
  });
}

t.test('async data values: a conflict still points at its line; a forgotten task is transient', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dhis2-async-'));
  cpSync(path.resolve('fhir-mappings'), dir, { recursive: true });
  const file = path.join(dir, 'dhis2-indicators.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.products = { FP_DMPA: { quantityReceived: { dataElement: 'FP_DMPA_NOPE' } } };
  writeFileSync(file, JSON.stringify(doc));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const h = await startHarness(
    { version: '2.41.3', jobDelayMs: 20 },
    { 'dhis2.dataSet': 'LkStockMnth', 'dhis2.asyncThreshold': 2, 'dhis2.jobPollMs': 5 },
  );
  t.teardown(h.close);
  const overridden = loadDhis2Products({ 'mappings.dir': dir });
  const stock = createStockCapability({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => overridden,
  });
  const report = wideReport();
  const dmpa = report.lines.findIndex(
    (l) => overridden.productCode(l.product, 'x') === 'FP_DMPA' && l.itemStatus?.code === 'quantityReceived',
  );
  const err = (await stock.report(report, amnesiacJournal()).catch((e: unknown) => e)) as Dhis2RejectionError;
  t.ok(err instanceof Dhis2RejectionError, 'refused in part, from the task summary');
  t.match(err.message, /accepted 17 of 18 data values/);
  t.same(
    err.issues.map((i) => i.expression),
    [[`StockReport.lines[${dmpa}].product`]],
    'the line of the unknown data element',
  );
  t.match(err.issues[0].diagnostics, /DHIS2 E7610: Data element not found/);

  const slow = await startHarness(
    { version: '2.41.3', jobDelayMs: 60_000 },
    { 'dhis2.dataSet': 'LkStockMnth', 'dhis2.asyncThreshold': 2, 'dhis2.jobPollMs': 5 },
  );
  t.teardown(slow.close);
  // forget the task as a restart would, once the client has seen it running
  const forget = setInterval(() => {
    if (hits(slow, 'GET /api/system/tasks/DATAVALUE_IMPORT/') > 0) slow.sandbox.dataValueJobs.forget();
  }, 1);
  t.teardown(() => clearInterval(forget));
  const lost = (await stockFor(slow)
    .report(wideReport(1), amnesiacJournal())
    .catch((e: unknown) => e)) as Error;
  t.ok(isTransient(lost), 'the task vanished: transient, the outbox sends the values again');
  t.match(lost.message, /no longer knows the job/);
});
