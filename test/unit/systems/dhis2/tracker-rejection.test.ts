/**
 * Events a tracker import refused, as the client's 409: one issue per refused event at the path of
 * the line it came from, DHIS2's code and words kept (consignments, RTS events, RTS receipts).
 */
import t from 'tap';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { trackerRejection } from '../../../../src/systems/dhis2/tracker-report.js';

t.test('each refused event is an issue at its line; no position: the lines as a whole', async (t) => {
  const err = trackerRejection(
    [
      { errorCode: 'E1302', message: 'negative quantity', uid: 'ev2', index: 2 },
      { message: 'no code given', uid: 'ev9' },
    ],
    'DHIS2 refused 2 of 3 RTS events',
    (i) => (i === undefined ? 'StockReport.lines' : `StockReport.lines[${i}]`),
  );
  t.ok(err instanceof Dhis2RejectionError);
  t.equal(err.status, 422, 'the client must change the request');
  t.equal(err.upstreamStatus, 409, 'the tracker import answered 409');
  t.equal(err.errorCode, 'E1302', "the first refusal's code");
  t.same(
    err.issues.map((i) => [i.code, i.diagnostics, i.expression]),
    [
      ['business-rule', 'DHIS2 E1302: negative quantity', ['StockReport.lines[2]']],
      ['business-rule', 'DHIS2 error: no code given', ['StockReport.lines']],
    ],
  );
  t.match(err.message, /DHIS2 refused 2 of 3 RTS events/);
});
