/**
 * A Bundle's entry map (store v24) across a SIGKILL: the real mediator process answers a
 * transaction Bundle through OpenHIM (a GET of the facility, then its stock report, which DHIS2
 * takes slower than the deadline: 202), delivers the report, cannot tell OpenHIM (down: every API
 * call a 503) and is killed with the update owed. Restarted on the same database with OpenHIM
 * back, its sweep sends the update built from the map recorded with the write: both entries, in
 * the client's order. Before, the update after the restart was the one job's answer alone.
 * SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 */
import t from 'tap';
import { startProcessThroughOpenHim } from '../../support/openhim-rig.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { marchStockCount } from '../../support/march-stock-count.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: killed with a Bundle's update owed, sent entry for entry`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, dhis2, mediator } = await startProcessThroughOpenHim(t, engine, 'openhim-entries-crash');

      openhim.state.unavailable = true;
      dhis2.faults.add({ method: 'POST', path: '/api/dataValueSets', times: 1, action: { type: 'delay', ms: 1_000 } });
      const hc = dhis2.state.summary().orgUnits['LK-HC-101'];
      const tx = '65f0c0ffee00000000e0c001';
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'GET', url: `Location/${hc}` } },
          {
            fullUrl: 'urn:uuid:00000000-0000-4000-8000-00000000c001',
            resource: marchStockCount(hc, 'HC101-2024-03-ENTRIES', 300),
            request: { method: 'POST', url: 'InventoryReport' },
          },
        ],
      };
      const answer = await mediator.fhir('POST', '/fhir/R5', bundle, { 'x-openhim-transactionid': tx });
      t.not(answer, 'no answer');
      const answered = answer === 'no answer' ? undefined : JSON.parse(answer.body?.response?.body ?? '{}');
      t.match(
        answered?.entry?.map((e: any) => e.response.status),
        ['200 OK', /^202/],
        'the GET answered, the report queued',
      );
      // each try reads the transaction first (is it ours to update?): refused at that read while core is down
      const tries = () => openhim.state.calls.filter((c) => c.url.startsWith(`/transactions/${tx}`));
      await until('the report delivered and its update refused twice', async () => tries().length >= 2, 30_000);
      t.equal(dhis2.state.imports.length, 1, 'DHIS2 has the report');
      await mediator.kill();
      t.equal(openhim.state.transactionUpdates.size, 0, 'killed before OpenHIM took any update');

      openhim.state.unavailable = false;
      await mediator.restart();
      await until('the transaction updated', async () => openhim.state.transactionUpdates.has(tx), 30_000);
      const [update] = openhim.state.transactionUpdates.get(tx) as {
        status?: string;
        response?: { status?: number; body?: string };
      }[];
      t.equal(update.status, 'Successful');
      const entries = JSON.parse(update.response?.body ?? '{}').entry ?? [];
      t.same(
        entries.map((e: any) => e.response.status),
        ['200 OK', '201 Created'],
        'both entries, in order, from the map kept across the kill (before: the job alone)',
      );
      t.match(entries[1].response.location, /\/InventoryReport\//);
    },
  );
}
