/**
 * `npm run sandbox -- dhis2` on its own prints what a mediator needs to use it, as the OpenHIM,
 * OpenMRS and registry sandboxes do (README "Sandboxes": point the mediator at them like at real
 * servers). Before, the banner gave the token only: the data set's and the programs' UIDs, which
 * the stock, delivery and requisition flows need, were nowhere an operator could read them.
 * A real mediator process started with exactly the printed settings serves those flows.
 */
import t from 'tap';
import { freePort } from '../../support/net.js';
import { startSandboxProcess } from '../../support/sandbox-process.js';
import { startMediatorProcess } from '../../support/mediator-process.js';

/** The `NAME=value` assignments of one banner line (`  mediator      A=1 B=2`). */
function assignments(banner: string, label: string): Record<string, string> {
  const line = banner.split('\n').find((l) => l.trimStart().startsWith(`${label} `));
  if (!line) return {};
  return Object.fromEntries(
    line
      .trim()
      .slice(label.length)
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

t.test("the DHIS2 sandbox's banner configures a mediator's DHIS2 flows", async (t) => {
  const port = await freePort();
  const sb = await startSandboxProcess(t, ['dhis2', '--port', String(port)]);
  const printed = { ...assignments(sb.out(), 'mediator'), ...assignments(sb.out(), 'programs') };
  t.match(
    printed,
    {
      DHIS2_BASE_URL: `http://127.0.0.1:${port}`,
      DHIS2_API_TOKEN: /^d2pat_/,
      DHIS2_DATA_SET: String,
      DHIS2_CONSIGNMENT_PROGRAM: String,
      DHIS2_REQUISITION_PROGRAM: String,
    },
    sb.out(),
  );
  const seed = (await (await fetch(`http://127.0.0.1:${port}/_sandbox/seed`)).json()) as {
    settings: Record<string, string>;
    orgUnits: Record<string, string>;
  };
  t.same(
    seed.settings,
    Object.fromEntries(Object.entries(printed).filter(([k]) => !['DHIS2_BASE_URL', 'DHIS2_API_TOKEN'].includes(k))),
    '/_sandbox/seed answers the same settings',
  );

  const mediator = await startMediatorProcess('dhis2-banner', { ...printed, AUTH_MODE: 'off' });
  t.teardown(() => mediator.close());
  const ready = (await (await fetch(`${mediator.base}/ready`)).json()) as {
    checks: { name: string; status: string }[];
  };
  t.match(
    ready.checks,
    [
      { name: 'store', status: 'ok' },
      { name: 'dhis2', status: 'ok' },
    ],
    'DHIS2 is ready',
  );
  const orgUnit = seed.orgUnits['LK-HC-102'];
  const deliveries = await fetch(`${mediator.base}/fhir/R5/SupplyDelivery?destination=Location/${orgUnit}`);
  t.equal(deliveries.status, 200, `deliveries are served from the consignment program: ${await deliveries.text()}`);
  const orders = await fetch(`${mediator.base}/fhir/SupplyRequest?subject=Location/${orgUnit}`);
  t.equal(orders.status, 200, `orders are served from the requisition program: ${await orders.text()}`);
  const stock = await fetch(`${mediator.base}/fhir/R5/InventoryReport?location=Location/${orgUnit}`);
  t.equal(stock.status, 200, `stock is served from the data set: ${await stock.text()}`);
  t.equal(await sb.stop(), 0);
});
