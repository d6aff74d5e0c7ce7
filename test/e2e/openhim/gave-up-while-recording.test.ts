/**
 * OpenHIM gives up on a write while the mediator is recording it: core's request is destroyed after
 * Outbox.acceptWrites checked that core was still there, before the record was noted for the
 * request (gave-up-before-recorded.test.ts has the cases either side). The write is recorded and
 * delivered, so the log must say so under the transaction id, as for a write recorded before core
 * gave up: OpenHIM shows the transaction failed. Through the real mediator, the OpenLMIS connector
 * and its sandbox; SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 */
import t from 'tap';
import { newTransactionId, startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { logLines } from '../../support/log-lines.js';
import { until } from '../../support/net.js';
import { openHimEnv } from '../../support/openhim-rig.js';
import { orderLine, RIG_AUTH, requisitionsAt, startRig } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const FACILITY = 'LK-HC-101';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a write OpenHIM gave up on while it was being recorded is delivered, and the log says so`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase({ migrated: true });
      t.teardown(db.drop);
      const openhim = await startOpenHimSandbox({ port: 0 });
      t.teardown(() => openhim.close());
      const log = logLines();
      const rig = await startRig({ DATABASE_URL: db.databaseUrl, ...openHimEnv(openhim) }, { logger: log.logger });
      t.teardown(() => rig.close());

      // the record is held once entered: core's check in acceptWrites has passed by then
      const store = rig.mediator.store;
      const recordWrites = store.recordWrites.bind(store);
      let entered = false;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      store.recordWrites = async (...args: Parameters<typeof recordWrites>) => {
        entered = true;
        await released;
        return recordWrites(...args);
      };

      const tx = newTransactionId();
      const order = orderLine({
        order: 'GAVE-UP-3',
        facilityId: rig.lmis.seed.facilities[FACILITY],
        program: 'EM01',
        productCode: 'EM-ORS',
        qty: 10,
      });
      const core = new AbortController();
      const routed = fetch(`${rig.mediator.url}/fhir/SupplyRequest`, {
        method: 'POST',
        signal: core.signal,
        headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': tx },
        body: JSON.stringify(order),
      }).then(
        () => 'answered',
        () => 'gave up',
      );
      await until('the write is being recorded', async () => entered || undefined);
      core.abort();
      t.equal(await routed, 'gave up');
      const connections = () =>
        new Promise<number>((resolve, reject) =>
          rig.mediator.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
        );
      await until('the mediator sees core gone', async () => (await connections()) === 0 || undefined);
      release();

      const [job] = await until('the write is delivered', async () => {
        const jobs = await store.listJobs();
        return jobs.length === 1 && jobs[0].status === 'done' ? jobs : undefined;
      });
      t.equal(requisitionsAt(rig, FACILITY).length, 1, 'delivered once');
      const said = () => log.lines().filter((l) => l.level === 40 && l.openhimTransactionId === tx);
      await until('the warning is logged', async () => said().length > 0 || undefined, 10_000);
      t.equal(said().length, 1, 'one warning under the transaction id');
      t.match(
        said(),
        [{ writes: job.id.slice(-12), msg: /OpenHIM gave up on the request after its writes were recorded/ }],
        'it names the write and what became of it',
      );
    },
  );
}
