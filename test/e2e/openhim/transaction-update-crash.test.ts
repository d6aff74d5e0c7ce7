/**
 * The OpenHIM transaction update of a 202'd write across a SIGKILL: the real mediator process
 * (spawned, OPENHIM_API_URL at the OpenHIM sandbox) answers a write through OpenHIM 202, delivers
 * it to DHIS2, and cannot tell OpenHIM, which is down (every API call a 503); it is killed with the
 * update still owed. OpenHIM comes back, the mediator restarts on the same database, and its sweep
 * updates the transaction: once, Successful, without the OpenHIM password. Before this, the update
 * lived in memory only and the transaction stayed Processing. It carries the calls of the killed
 * process's delivering attempt, stored with the job's end (migration v46): each once, the DHIS2
 * token masked; before v46 they lived in that process's memory and the update carried none.
 * SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 */
import t from 'tap';
import { DEFAULT_OPENHIM_USER } from '../../../sandbox/openhim/index.js';
import { SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { startProcessThroughOpenHim } from '../../support/openhim-rig.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { marchStockCount } from '../../support/march-stock-count.js';

type Orchestration = {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; timestamp: string };
  response?: { status: number };
};

const keyOf = (o: Orchestration) => `${o.name} ${o.request.method} ${o.request.path} ${o.request.timestamp}`;

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: killed with an OpenHIM update owed, sent after the restart`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, dhis2, mediator } = await startProcessThroughOpenHim(t, engine, 'openhim-update-crash');

      openhim.state.unavailable = true; // core restarting: every API call a 503
      // DHIS2 slower than the client's deadline: the client is answered 202, the write goes on
      dhis2.faults.add({ method: 'POST', path: '/api/dataValueSets', times: 1, action: { type: 'delay', ms: 1_000 } });
      const hc = dhis2.state.summary().orgUnits['LK-HC-101'];
      const tx = '65f0c0ffee0000000000a001';
      const answer = await mediator.fhir(
        'POST',
        '/fhir/R5/InventoryReport',
        marchStockCount(hc, 'HC101-2024-03-HIM', 300),
        {
          'x-openhim-transactionid': tx,
        },
      );
      t.match(answer, { status: 202 }, 'answered 202: OpenHIM shows the transaction Processing');
      const left = openhim.state.transactions.get(tx)!.orchestrations.length;
      const puts = () => openhim.state.calls.filter((c) => c.method === 'PUT' && c.url === `/transactions/${tx}`);
      // each try reads the transaction first (is it ours to update?): refused at that read while core is down
      const tries = () => openhim.state.calls.filter((c) => c.url.startsWith(`/transactions/${tx}`));
      await until('the job delivered and its update refused twice', async () => tries().length >= 2, 30_000);
      t.equal(dhis2.state.imports.length, 1, 'DHIS2 has the write');
      await mediator.kill();
      t.equal(openhim.state.transactionUpdates.size, 0, 'killed before OpenHIM took any update');

      openhim.state.unavailable = false;
      await mediator.restart();
      await until('the transaction updated', async () => openhim.state.transactionUpdates.has(tx), 30_000);
      const updates = openhim.state.transactionUpdates.get(tx) as { status?: string; response?: { status?: number } }[];
      t.match(updates, [{ status: 'Successful', response: { status: 201 } }], 'the final state reaches OpenHIM');
      t.notMatch(JSON.stringify(updates), DEFAULT_OPENHIM_USER.password, 'without the OpenHIM password');
      t.notOk(JSON.stringify(updates).includes(SEED_API_TOKEN), 'nor the DHIS2 token');
      const pushed =
        (updates[0] as { $push?: { orchestrations: { $each: Orchestration[] } } }).$push?.orchestrations.$each ?? [];
      t.ok(
        pushed.some((o) => o.request.method === 'POST' && o.request.path === '/api/dataValueSets' && o.response),
        `the killed process's delivering POST is among the ${pushed.length} calls sent after the restart`,
      );
      t.equal(new Set(pushed.map(keyOf)).size, pushed.length, 'each call once');
      for (const o of pushed)
        for (const [name, value] of Object.entries(o.request.headers))
          if (name.toLowerCase() === 'authorization') t.match(value, /\*{10}/, `${o.name}: its credential masked`);
      t.equal(openhim.state.transactions.get(tx)!.orchestrations.length, left + pushed.length, 'core keeps each once');
      const taken = puts().filter((c) => c.status === 200).length;
      await new Promise((r) => setTimeout(r, 600)); // past a claim and several sweeps
      t.equal(puts().filter((c) => c.status === 200).length, taken, 'and once: nothing sent after OpenHIM took it');
      t.equal(openhim.state.transactionUpdates.get(tx)?.length, 1);
      t.equal(dhis2.state.imports.length, 1, 'the write itself was not sent again');
    },
  );
}
