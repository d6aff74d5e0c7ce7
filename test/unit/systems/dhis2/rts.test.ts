import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { RTS_TRANSACTION_SYSTEM } from '../../../../src/systems/dhis2/rts.js';
import { decodeTrackerReport, trackerPage } from '../../../../src/systems/dhis2/tracker-report.js';
import { RTS, SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import {
  amnesiacJournal,
  fixture,
  fixturesPresent,
  memoryJournal,
  startHarness,
  loginPageOnce,
  LOGIN_PAGE,
} from './harness.js';
import { CONDOM, outreachDistribution, stockFor } from './rts-stock.js';

const march = [{ from: '2024-03-01T00:00:00Z', to: '2024-03-31T23:59:59Z' }];

for (const version of ['2.39.1', '2.41.3']) {
  t.test(`${version}: RTS transactions read as stock reports (either export envelope)`, async (t) => {
    const h = await startHarness({ version }, { 'dhis2.rtsProgram': RTS.program });
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const { items } = await stockFor(h).search({ facility: hc, date: march });
    t.same(
      items.map((r) => [
        r.countType,
        r.reason?.code,
        r.reason?.display,
        r.lines[0].quantity.value,
        r.lines[0].product.code,
      ]),
      [
        ['snapshot', 'corrected', undefined, 500, CONDOM.code],
        ['difference', 'distributed', 'COMMUNITY', -120, CONDOM.code],
        ['difference', 'distributed', 'SCHOOL', -80, CONDOM.code],
        ['difference', 'discarded', undefined, -6, CONDOM.code],
      ],
    );
    t.match(items[1], {
      operation: 'subtraction',
      reportedAt: '2024-03-05T10:00:00.000Z',
      facility: { id: hc, identifier: { value: 'LK-HC-101' } },
    });
    t.equal(new Set(items.map((r) => r.id)).size, 4, 'one report per event, stable ids');
    t.same((await stockFor(h).search({ facility: hc, date: [{ from: '2024-04-01T00:00:00Z' }] })).items, []);
  });
}

t.test(
  'RTS writes: one event per line under derived UIDs; a retry after a lost answer adds no second event; stock on hand left to the rules',
  async (t) => {
    const h = await startHarness({}, { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' });
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const stock = stockFor(h);
    const before = h.sandbox.tracker.events.size;
    const report = outreachDistribution(hc, -30);
    // the import is applied, its answer lost; the client resends the same event at once
    h.sandbox.faults.add({
      method: 'POST',
      path: '/api/tracker',
      times: 1,
      action: { type: 'afterApply', answer: { type: 'reset' } },
    });
    const first = await stock.report(report, amnesiacJournal('rts-1'));
    t.match(first.status, /^created 0, updated 1/, 'the resent event updated the one the lost answer created');
    t.equal(h.sandbox.tracker.events.size, before + 1, 'one new event');
    await stock.report(report, amnesiacJournal('rts-1'));
    t.equal(h.sandbox.tracker.events.size, before + 1, 'the outbox retrying the same write adds nothing either');
    const event = h.sandbox.tracker.events.get(Object.values(first.ids)[0])!;
    t.same(
      event.dataValues.filter((d) => d.dataElement !== RTS.stockOnHand),
      [
        { dataElement: RTS.stockDistributed, value: '30' },
        { dataElement: RTS.distributedTo, value: 'OUTREACH' },
      ],
    );
    t.same(
      event.dataValues.find((d) => d.dataElement === RTS.stockOnHand),
      { dataElement: RTS.stockOnHand, value: '264' },
      'the program rule computed 500 − 120 − 80 − 6 − 30',
    );
    const sent = h.sandbox.state.count('POST', '/api/tracker');
    const journal = memoryJournal('rts-2');
    await stock.report(
      {
        ...report,
        countType: 'snapshot',
        operation: undefined,
        reason: undefined,
        lines: [{ product: CONDOM, quantity: { value: 250, unit: 'dispensing-unit' } }],
      },
      journal,
    );
    await stock.report(
      {
        ...report,
        countType: 'snapshot',
        operation: undefined,
        reason: undefined,
        lines: [{ product: CONDOM, quantity: { value: 250, unit: 'dispensing-unit' } }],
      },
      journal,
    );
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), sent + 1, 'a journalled write is not sent again');

    const refused = await stock
      .report({ ...report, reason: { code: 'received' } }, amnesiacJournal('rts-3'))
      .catch((e) => e);
    t.ok(refused instanceof BusinessRuleError);
    t.same(refused.issues[0].expression, ['StockReport.lines[0].reason'], 'RTS has no receipt transaction');
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), sent + 1, 'nothing sent');

    // several codings (issue 16): a local code first, the RTS transaction second
    const viaSecond = await stock.report(
      {
        ...report,
        reason: {
          system: 'urn:local:reasons',
          code: 'OUT-1',
          alternatives: [{ system: RTS_TRANSACTION_SYSTEM, code: 'distributed' }],
        },
      },
      amnesiacJournal('rts-4'),
    );
    t.match(viaSecond.status, /^created 1/, 'the second coding names the transaction');
  },
);

t.test(
  'sandbox tracker semantics: E1307 for a stock on hand the rules assign, E1081, atomicMode, job polling',
  async (t) => {
    const h = await startHarness({ jobDelayMs: 60_000 });
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const te = h.sandbox.tracker.teOf(hc, 'FP_DMPA')!;
    const post = async (query: string, events: unknown[]) => {
      const res = await fetch(`${h.sandbox.url}/api/tracker?${query}`, {
        method: 'POST',
        headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const base = {
      program: RTS.program,
      programStage: RTS.stage,
      orgUnit: hc,
      occurredAt: '2024-03-02T00:00:00.000',
      status: 'COMPLETED',
    };
    const good = {
      ...base,
      event: 'abcdefghij1',
      enrollment: te.enrollment,
      dataValues: [{ dataElement: RTS.stockCount, value: '40' }],
    };
    const soh = {
      ...base,
      event: 'abcdefghij2',
      enrollment: te.enrollment,
      dataValues: [
        { dataElement: RTS.stockDiscarded, value: '1' },
        { dataElement: RTS.stockOnHand, value: '999' },
      ],
    };
    const orphan = { ...base, event: 'abcdefghij3', enrollment: 'nosuchenrol', dataValues: [] };
    const all = await post('async=false&atomicMode=ALL', [good, soh, orphan]);
    t.equal(all.status, 409);
    t.same(
      all.body.validationReport.errorReports.map((e: any) => e.errorCode),
      ['E1081', 'E1307'],
      'validation and the program rules both report; ALL commits none of the batch',
    );
    t.notOk(h.sandbox.tracker.events.has('abcdefghij1'));
    const object = await post('async=false&atomicMode=OBJECT', [good, soh, orphan]);
    t.equal(object.status, 409);
    const decoded = decodeTrackerReport(object.body)!;
    t.same(
      decoded.errors.map((e) => [e.errorCode, e.uid, e.index]).sort(),
      [
        ['E1081', 'abcdefghij3', undefined],
        ['E1307', 'abcdefghij2', undefined],
      ],
      'a refused event is named by its uid: the bundle report lists committed ones only',
    );
    t.same(
      object.body.bundleReport.typeReportMap.EVENT.objectReports.map((o: any) => o.uid),
      ['abcdefghij1'],
    );
    t.equal(decoded.created, 1, 'with OBJECT the valid event is kept');
    t.ok(h.sandbox.tracker.events.has('abcdefghij1'));
    const job = await post('', [{ ...good, event: 'abcdefghij4', occurredAt: '2024-03-03T00:00:00.000' }]);
    t.match(
      job.body,
      { status: 'OK', message: 'Tracker job added', response: { id: /^\w{11}$/ } },
      'async is the default',
    );
    const auth = { headers: { authorization: `ApiToken ${SEED_API_TOKEN}` } };
    const early = await fetch(`${job.body.response.location}/report`, auth);
    t.equal(early.status, 404, 'a job still running has no report');
    t.notOk(h.sandbox.tracker.events.has('abcdefghij4'), 'nor has it imported anything yet');
    h.sandbox.tracker.finishJobs();
    let notes: any[] = [];
    while (!notes.some((n) => n.completed))
      notes = (await (await fetch(job.body.response.location, auth)).json()) as any[];
    t.equal(notes[0].completed, true, 'newest first: the completion');
    t.equal(notes.at(-1).message, 'Tracker import started');
    const report = (await (await fetch(`${job.body.response.location}/report`, auth)).json()) as any;
    t.equal(report.stats.created, 1);
    t.ok(h.sandbox.tracker.events.has('abcdefghij4'));
  },
);

t.test('tracker fixtures decode', { skip: !fixturesPresent && 'no ../shared/fixtures' }, async (t) => {
  t.same(decodeTrackerReport(fixture('tracker/import-report-event-ok.json')), {
    status: 'OK',
    created: 1,
    updated: 0,
    ignored: 0,
    errors: [],
  });
  const err = decodeTrackerReport(fixture('tracker/import-report-event-error.json'))!;
  t.match(err, { status: 'ERROR', ignored: 1, errors: [{ errorCode: 'E1029', uid: 'STPIK5YTi4f' }] });
  t.match(decodeTrackerReport(fixture('tracker/job-report-error.json')), {
    status: 'ERROR',
    errors: [{ errorCode: 'E1033' }],
  });
  const old = trackerPage(fixture('tracker/export-events-page.json'), 'events')!;
  const modern = trackerPage(fixture('tracker/export-events-page-v41plus-docs.json'), 'events')!;
  t.ok(old.items.length > 0 && modern.items.length > 0, 'both envelopes read');
  t.equal((modern.items[0] as any).event, 'A7rzcnZTe2T');
});

t.test('RTS events answered by a login page: read again, a 502 only when it stays', async (t) => {
  const h = await startHarness({}, { 'dhis2.rtsProgram': RTS.program });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  loginPageOnce(h, 'GET', '/api/tracker/events');
  t.equal((await stockFor(h).search({ facility: hc, date: march })).items.length, 4, 'read again: the four reports');
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/events',
    action: { type: 'status', status: 200, body: LOGIN_PAGE },
  });
  const err = await stockFor(h)
    .search({ facility: hc, date: march })
    .catch((e) => e);
  t.equal(err.status, 502, "the upstream's fault, not the client's");
  t.match(err.message, /GET \/api\/tracker\/events answered 200 with an HTML page/);
});

t.test(
  "RTS distributions: the destination is sent as an option of the 'deliver to' option set, or refused before DHIS2",
  async (t) => {
    const h = await startHarness({}, { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' });
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const stock = stockFor(h);
    const distribution = (display: string | undefined): StockReport => ({
      status: 'active',
      countType: 'difference',
      operation: 'subtraction',
      reportedAt: '2024-03-26T09:00:00Z',
      reason: { system: RTS_TRANSACTION_SYSTEM, code: 'distributed', display },
      facility: { id: hc },
      lines: [{ product: CONDOM, quantity: { value: -5, unit: 'dispensing-unit' } }],
    });
    const sentTo = async (display: string | undefined, key: string) => {
      const r = await stock.report(distribution(display), amnesiacJournal(key));
      const event = h.sandbox.tracker.events.get(Object.values(r.ids)[0])!;
      return event.dataValues.find((d) => d.dataElement === RTS.distributedTo)?.value;
    };
    t.equal(await sentTo('SCHOOL', 'd-code'), 'SCHOOL', 'an option code as it is');
    t.equal(await sentTo('school health programme', 'd-name'), 'SCHOOL', "an option's name: its code");
    t.equal(await sentTo('distributed', 'd-kind'), undefined, 'the reason named again: no destination');
    t.equal(await sentTo(undefined, 'd-none'), undefined, 'no display: no destination');

    const posts = h.sandbox.state.count('POST', '/api/tracker');
    const err = (await stock
      .report(distribution('Clinic 12'), amnesiacJournal('d-bad'))
      .catch((e) => e)) as BusinessRuleError;
    t.ok(err instanceof BusinessRuleError, 'a destination DHIS2 has no option for: refused here');
    t.same(err.issues[0].expression, ['StockReport.reason']);
    t.match(
      err.issues[0].diagnostics,
      /"Clinic 12" is not an RTS destination: DHIS2 takes one of COMMUNITY \(Community health workers\), SCHOOL/,
    );
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts, 'nothing sent to DHIS2');

    // what DHIS2 does with a value outside the option set (sandbox as the server)
    const te = h.sandbox.tracker.teOf(hc, 'FP_CNDM')!;
    const res = await fetch(`${h.sandbox.url}/api/tracker?async=false`, {
      method: 'POST',
      headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          {
            event: 'abcdefghiD1',
            program: RTS.program,
            programStage: RTS.stage,
            enrollment: te.enrollment,
            orgUnit: hc,
            occurredAt: '2024-03-27T00:00:00.000',
            status: 'COMPLETED',
            dataValues: [
              { dataElement: RTS.stockDistributed, value: '1' },
              { dataElement: RTS.distributedTo, value: 'distributed' },
            ],
          },
        ],
      }),
    });
    t.equal(res.status, 409);
    t.same(
      decodeTrackerReport(await res.json())!.errors.map((e) => e.errorCode),
      ['E1125'],
      'DHIS2 refuses a value that is no option code',
    );
  },
);
