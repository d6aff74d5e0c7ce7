/**
 * An OpenHIM rerun of a write still being delivered, across a SIGKILL: the real mediator process
 * answers the original request 202 (DHIS2 slower than the deadline), then a rerun of it (a new
 * transaction id, core's parentid) 202 from the same job; it delivers the write once, cannot tell
 * OpenHIM (down: every API call a 503) and is killed with both updates owed. OpenHIM comes back,
 * the mediator restarts on the same database, and its sweep updates both transactions, each once.
 * Before this (store migration v17), only the job's first transaction was ever updated: the
 * rerun's stayed Processing. SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 */
import t from 'tap';
import { DEFAULT_OPENHIM_USER } from '../../../sandbox/openhim/index.js';
import { startProcessThroughOpenHim } from '../../support/openhim-rig.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { marchStockCount } from '../../support/march-stock-count.js';

for (const engine of engineCases()) {
  t.test(`${engine.name}: a rerun answered 202 is updated too, across a kill`, { skip: engine.skip }, async (t) => {
    const { openhim, dhis2, mediator } = await startProcessThroughOpenHim(t, engine, 'openhim-rerun-crash');

    openhim.state.unavailable = true; // core restarting: every API call a 503
    dhis2.faults.add({ method: 'POST', path: '/api/dataValueSets', times: 1, action: { type: 'delay', ms: 1_500 } });
    const hc = dhis2.state.summary().orgUnits['LK-HC-101'];
    const body = marchStockCount(hc, 'HC101-2024-03-RERUN', 300);
    const original = '65f0c0ffee0000000000b001';
    const rerun = '65f0c0ffee0000000000b002';
    const first = await mediator.fhir('POST', '/fhir/R5/InventoryReport', body, {
      'x-openhim-transactionid': original,
    });
    t.match(first, { status: 202 }, 'the original is answered 202');
    // core's rerun: the stored request again, a new transaction id, the original as parentid
    const again = await mediator.fhir('POST', '/fhir/R5/InventoryReport', body, {
      'x-openhim-transactionid': rerun,
      parentid: original,
    });
    t.match(again, { status: 202 }, 'the rerun is answered 202 while the write is still being delivered');
    const puts = (tx: string) =>
      openhim.state.calls.filter((c) => c.method === 'PUT' && c.url === `/transactions/${tx}`);
    // each try reads the transaction first (is it ours to update?): refused at that read while core is down
    const tries = (tx: string) => openhim.state.calls.filter((c) => c.url.startsWith(`/transactions/${tx}`));
    await until(
      'both updates refused at least once',
      async () => tries(original).length > 0 && tries(rerun).length > 0,
      30_000,
    );
    t.equal(dhis2.state.imports.length, 1, 'DHIS2 has the write once');
    await mediator.kill();
    t.equal(openhim.state.transactionUpdates.size, 0, 'killed before OpenHIM took any update');

    openhim.state.unavailable = false;
    await mediator.restart();
    for (const tx of [original, rerun])
      await until(`the update of ${tx}`, async () => openhim.state.transactionUpdates.has(tx), 30_000);
    await new Promise((r) => setTimeout(r, 600)); // past a claim and several sweeps
    for (const tx of [original, rerun]) {
      const updates = openhim.state.transactionUpdates.get(tx);
      t.match(updates, [{ status: 'Successful', response: { status: 201 } }], `${tx}: its final state, once`);
      t.notMatch(JSON.stringify(updates), DEFAULT_OPENHIM_USER.password, 'without the OpenHIM password');
      t.equal(puts(tx).filter((c) => c.status === 200).length, 1, `${tx}: taken once`);
    }
    t.equal(dhis2.state.imports.length, 1, 'the write itself was not sent again');
  });
}
