/**
 * A data element a stock-out is written to (stock on hand, months of stock) whose "Zero is
 * significant" is off drops a count of 0 in DHIS2, so the connector refuses that count (422). The
 * implementer learns it on /ready while configuring, not when a facility first runs out: an
 * advisory `dhis2-setup` line names each data element and the setting, and the mediator stays
 * ready. Through the real mediator and the DHIS2 sandbox (no store involved: SQLite only).
 */
import t from 'tap';
import { startDhis2Rig, STOCK_TO_DHIS2 } from '../../../support/dhis2-e2e.js';

interface Ready {
  status: string;
  checks: { name: string; status: string; reason?: string }[];
}

t.test('/ready names the stock data elements that drop zeros', async (t) => {
  const rig = await startDhis2Rig(STOCK_TO_DHIS2);
  t.teardown(() => rig.close());
  const sb = rig.dhis2.state;
  const de = (code: string) => [...sb.dataElements.values()].find((d) => d.code === code)!;
  de('FP_CNDM_SOH').zeroIsSignificant = false;
  de('FP_CNDM_MOS').zeroIsSignificant = false;
  // a consumption's zero is sent as a deletion, no stock-out hides behind it: not named
  de('FP_CNDM_CONS').zeroIsSignificant = false;

  const ready = await rig.fhir('GET', '/ready');
  t.equal(ready.status, 200, 'still ready: writes of other values go through');
  const body = ready.body as Ready;
  t.equal(body.status, 'ready');
  const setup = body.checks.find((c) => c.name === 'dhis2-setup');
  t.equal(setup?.status, 'degraded', JSON.stringify(body.checks));
  t.match(setup?.reason, /FP_CNDM_SOH \(stockOnHand\)/, 'names the stock on hand data element');
  t.match(setup?.reason, /FP_CNDM_MOS \(monthsOfStock\)/, 'names the months of stock data element');
  t.notMatch(setup?.reason, /FP_CNDM_CONS/, 'a consumption data element is no stock-out');
  t.match(setup?.reason, /Zero is significant/, 'says what to change');
  t.equal(body.checks.find((c) => c.name === 'dhis2')?.status, 'ok');
});

t.test('/ready has no setup problem when every stock-out data element keeps zeros', async (t) => {
  const rig = await startDhis2Rig(STOCK_TO_DHIS2);
  t.teardown(() => rig.close());
  const ready = await rig.fhir('GET', '/ready');
  const body = ready.body as Ready;
  t.equal(ready.status, 200);
  t.equal(body.checks.find((c) => c.name === 'dhis2-setup')?.status, 'ok', JSON.stringify(body.checks));
});
