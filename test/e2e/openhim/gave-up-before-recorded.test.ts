/**
 * OpenHIM gives up on a write: core's channel timeout destroys its request to the mediator and
 * core keeps the transaction as failed (openhim-core-js src/middleware/router.js). Through the
 * real mediator, the OpenLMIS connector and its sandbox; SQLite always, PostgreSQL when
 * TEST_DATABASE_URL is set.
 * - Before the write was recorded (the mediator still reading OpenLMIS's reference data, a cold
 *   cache, a slow OpenLMIS): it is not recorded, so nothing is applied that OpenHIM shows as
 *   failed, and the rerun OpenHIM sends (a new transaction id, the same body) applies it once.
 * - After it was recorded (a delivery deadline longer than the channel timeout): it is delivered
 *   once, the log says so under the transaction id, and the rerun is answered with its state.
 */
import t, { type Test } from 'tap';
import { newTransactionId, startOpenHimSandbox, type OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { logLines } from '../../support/log-lines.js';
import { until } from '../../support/net.js';
import { openHimEnv, routedThrough } from '../../support/openhim-rig.js';
import { orderLine, RIG_AUTH, requisitionsAt, startRig, type Rig } from '../../support/openlmis-e2e.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';

const FACILITY = 'LK-HC-101';

/** The OpenHIM sandbox and the OpenLMIS rig on a fresh database of `engine`, its log kept. */
async function rigWithLog(t: Test, engine: EngineCase, env: Record<string, string> = {}) {
  const db = await engine.freshDatabase({ migrated: true });
  t.teardown(db.drop);
  const openhim = await startOpenHimSandbox({ port: 0 });
  t.teardown(() => openhim.close());
  const log = logLines();
  const rig = await startRig({ DATABASE_URL: db.databaseUrl, ...openHimEnv(openhim), ...env }, { logger: log.logger });
  t.teardown(() => rig.close());
  return { openhim, rig, log };
}

const orderOf = (rig: Rig, order: string) =>
  orderLine({ order, facilityId: rig.lmis.seed.facilities[FACILITY], program: 'EM01', productCode: 'EM-ORS', qty: 10 });

/**
 * `order` posted as core routes it under `tx`, core giving up once OpenLMIS holds the call
 * `method path` (held until the returned release): core's request is destroyed, and the mediator
 * has seen its connection close (nobody else is connected to it) before the call goes on.
 */
async function coreGivesUpWhileHeld(t: Test, rig: Rig, order: unknown, tx: string, method: string, path: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const fault = rig.lmis.sb.faults.add({ method, path, action: { type: 'held', released } });
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
  const held = () => rig.lmis.sb.faults.list().find((f) => f.id === fault.id)!.hits > 0;
  await until(`OpenLMIS holds ${method} ${path}`, async () => held() || undefined);
  core.abort();
  t.equal(await routed, 'gave up');
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      rig.mediator.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  await until('the mediator sees core gone', async () => (await connections()) === 0 || undefined);
  rig.lmis.sb.faults.remove(fault.id);
  release();
}

/** OpenHIM's rerun of the order: the same body under a new transaction id. */
function rerun(openhim: OpenHimSandbox, rig: Rig, order: unknown) {
  const fhir = routedThrough(openhim, rig.fhir.bind(rig));
  return fhir('POST', '/fhir/SupplyRequest', order, { 'x-openhim-transactionid': newTransactionId() });
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a write OpenHIM gave up on before it was recorded is not applied; its rerun is, once`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig, log } = await rigWithLog(t, engine);
      const order = orderOf(rig, 'GAVE-UP-1');
      // the first write reads OpenLMIS's programs before it is recorded
      await coreGivesUpWhileHeld(t, rig, order, newTransactionId(), 'GET', '/api/programs');

      // the request ends one way or the other: its write recorded, or its end said in the log
      const ended = () =>
        log.lines().some((l) => /closed the connection before the write was recorded/.test(String(l.diagnostics)));
      await until('the given-up request ends', async () => {
        const jobs = await rig.mediator.store.listJobs();
        return jobs.length > 0 || ended() || undefined;
      });
      t.same(await rig.mediator.store.listJobs(), [], 'no write recorded for a request OpenHIM gave up on');
      t.same(requisitionsAt(rig, FACILITY), [], 'nothing applied in OpenLMIS');

      const again = await rerun(openhim, rig, order);
      t.match(again.body, { status: 'Successful', response: { status: 201 } }, 'the rerun is applied');
      t.equal(requisitionsAt(rig, FACILITY).length, 1, 'once');
    },
  );

  t.test(
    `${engine.name}: a write OpenHIM gave up on after it was recorded is delivered once, and the log says so`,
    { skip: engine.skip },
    async (t) => {
      // a deadline longer than core's patience: core gives up while the delivery goes on
      const { openhim, rig, log } = await rigWithLog(t, engine, { OUTBOX_DEADLINE_MS: '60000' });
      const order = orderOf(rig, 'GAVE-UP-2');
      const tx = newTransactionId();
      await coreGivesUpWhileHeld(t, rig, order, tx, 'POST', '/api/requisitions/initiate');

      const [job] = await until('the write is delivered', async () => {
        const jobs = await rig.mediator.store.listJobs();
        return jobs.length === 1 && jobs[0].status === 'done' ? jobs : undefined;
      });
      t.equal(requisitionsAt(rig, FACILITY).length, 1, 'delivered');
      const said = log.lines().filter((l) => l.level === 40 && l.openhimTransactionId === tx);
      t.equal(said.length, 1, 'one warning under the transaction id');
      t.match(
        said,
        [{ writes: job.id.slice(-12), msg: /OpenHIM gave up on the request after its writes were recorded/ }],
        'it names the write and what became of it',
      );

      const again = await rerun(openhim, rig, order);
      t.match(again.body, { status: 'Successful', response: { status: 200 } }, 'the rerun is answered as that write');
      t.equal(requisitionsAt(rig, FACILITY).length, 1, 'still once');
    },
  );
}
