import t from 'tap';
import { isTransient } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { consignmentEvents } from '../../../support/dhis2-consignment-events.js';
import { amnesiacJournal, startHarness, type Harness } from './harness.js';

/**
 * DHIS2 failing an import on its own (an exception inside it: the database gone, a deadlock) says
 * so with status ERROR and no refused value or object — a 409 up to 2.42 for data values and up
 * to 2.40 for tracker, an ERROR task summary from 2.43 — or with a 500 (sandbox/dhis2/
 * import-failures.ts has the sources). Neither a refusal nor a success: the write is an unknown
 * outcome, sent again later, and lands once.
 */
const GTIN = 'https://www.gs1.org/gtin';
const products = loadDhis2Products({});
const stockFor = (h: Harness) =>
  createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });

const march: StockReport = {
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2024-04-02T09:00:00Z',
  period: { start: '2024-03-01T00:00:00Z', end: '2024-03-31T23:59:59Z' },
  facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-101' } },
  lines: [
    { product: { system: GTIN, code: '10860012300034' }, quantity: { value: 300, unit: 'dispensing-unit' } },
    { product: { system: GTIN, code: '10860012300027' }, quantity: { value: 45, unit: 'dispensing-unit' } },
  ],
};

const tracked = (h: Harness, tag: string) => [...h.sandbox.tracker.events.keys()].filter((k) => k.startsWith(tag));

for (const [version, said] of [
  ['2.39.1', /with status ERROR and no refused value or object: Exception:could not execute batch/],
  ['2.41.3', /500/],
] as const) {
  for (const async of [false, true]) {
    t.test(
      `${version}${async ? ' (async job)' : ''}: a tracker import that failed inside DHIS2 is sent again`,
      async (t) => {
        const h = await startHarness(
          { version, jobDelayMs: 5 },
          { 'dhis2.trackerAsyncThreshold': async ? 1 : 100, 'dhis2.jobPollMs': 5 },
        );
        t.teardown(h.close);
        const tag = async ? 'Fa' : 'Fs';
        // twice: the client's own retry of a 500 meets the outage too
        h.sandbox.state.importFailures.failNext(2);
        const err = (await postTrackerEvents(h.client, consignmentEvents(h, 3, tag)).then(
          () => undefined,
          (e: unknown) => e,
        )) as Error | undefined;
        t.ok(err, 'not taken for a success: nothing was imported');
        t.notOk(err instanceof Dhis2RejectionError, 'not a refusal: the events are not at fault');
        t.ok(err && isTransient(err), 'transient: the outbox sends it again');
        if (version === '2.39.1' || !async) t.match(err?.message, said);
        t.same(tracked(h, tag), [], 'DHIS2 kept none of them');

        h.sandbox.state.importFailures.clear();
        const again = await postTrackerEvents(h.client, consignmentEvents(h, 3, tag));
        t.match(again, { status: 'OK', created: 3, errors: [] }, 'sent again once DHIS2 is back: imported');
        t.equal(tracked(h, tag).length, 3, 'each event once');
      },
    );
  }
}

for (const [version, status] of [
  ['2.39.1', 409],
  ['2.41.3', 409],
  ['2.43.0', 500],
] as const) {
  for (const async of [false, true]) {
    t.test(
      `${version}${async ? ' (async task)' : ''}: a data value import that failed inside DHIS2 is sent again`,
      async (t) => {
        const h = await startHarness(
          { version, jobDelayMs: 5 },
          {
            'dhis2.dataSet': 'LkStockMnth',
            'dhis2.asyncThreshold': async ? 1 : 0,
            'dhis2.jobPollMs': 5,
          },
        );
        t.teardown(h.close);
        h.sandbox.state.importFailures.failNext(2);
        const err = (await stockFor(h)
          .report(march, amnesiacJournal())
          .then(
            () => undefined,
            (e: unknown) => e,
          )) as Error | undefined;
        t.ok(err, 'not taken for a success');
        t.notOk(err instanceof Dhis2RejectionError, 'not a refusal: the values are not at fault');
        t.ok(err && isTransient(err), 'transient: the outbox sends it again');
        if (!async) t.match(err?.message, new RegExp(`${status}`));
        if (!async && status === 409) t.match(err?.message, /The import process failed: could not execute batch/);
        if (async && version === '2.43.0') t.match(err?.message, /status ERROR and no refused value/);
        t.equal(h.sandbox.state.dataValues.size, 0, 'DHIS2 kept no value');

        h.sandbox.state.importFailures.clear();
        const again = await stockFor(h).report(march, amnesiacJournal());
        t.match(again.status, /^accepted 2 /, 'sent again once DHIS2 is back: accepted');
        t.equal(h.sandbox.state.dataValues.size, 2);
      },
    );
  }
}
