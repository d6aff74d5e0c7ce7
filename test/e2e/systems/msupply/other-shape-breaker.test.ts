/**
 * Answers of another shape (a 2xx not in Open mSupply's schema), outages and the system's circuit
 * breaker, through the real mediator, connector and mSupply sandbox, on both store engines:
 * - a gateway answering every request `200 {"message":"maintenance"}` (different orders, so
 *   different requests): the system's, so the breaker opens as for a down system; the writes are
 *   held behind it, uncharged by its probes, for longer than outbox.maxAttempts probes (each probe
 *   charged, they were all dead-lettered), and each is delivered once when the gateway recovers;
 * - the same for a plain 503 outage;
 * - one poisoned record (its item lookup answering `{"data":{"items":null}}`) named by three
 *   orders, retried more times than outbox.breakerFailures with nothing else sent:
 *   one request answered so, so the breaker stays closed and a healthy order is delivered at once;
 * - that poisoned record as the probe of a breaker a 503 outage opened: held uncharged while the
 *   system is down, then, its odd answers not the system's, charged and dead after its attempts.
 */
import t, { type Test } from 'tap';
import { orderLine, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const MAX_ATTEMPTS = 4;
const ENV = {
  OPENLMIS_BASE_URL: '',
  OUTBOX_SETTLE_MS: '100',
  OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  OUTBOX_BACKOFF_BASE_MS: '100',
  OUTBOX_BACKOFF_CAP_MS: '60000',
  OUTBOX_BREAKER_FAILURES: '2',
};
const ENDED = ['done', 'rejected', 'dead'];
const MAINTENANCE = { type: 'status', status: 200, body: { message: 'maintenance' } } as const;
const OUTAGE = { type: 'status', status: 503, body: { message: 'unavailable' } } as const;
/** Orders of different items: the requests a gateway answers are different ones. */
const HELD = [
  ['MS-GW-1', 'EM-AMX250'],
  ['MS-GW-2', 'EM-PCM500'],
  ['MS-GW-3', 'EM-ORS'],
] as const;

async function postOrder(t: Test, rig: MsupplyRig, order: string, productCode = 'EM-AMX250') {
  const posted = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf([orderLine({ order, facilityId: STORE, program: 'EM01', productCode, qty: 20 })]),
  );
  t.equal(posted.status, 200, `accepted: ${why(posted)}`);
  t.match(posted.body.entry?.[0]?.response?.status, /^20[12]/, `${order} accepted, not refused`);
  return posted.body.entry?.[0]?.response?.status as string;
}

const requestsOf = (rig: MsupplyRig, order: string) =>
  [...rig.ms.state.requisitions.values()].filter((r: any) => r.type === 'REQUEST' && r.theirReference === order);

const orderJobs = async (rig: MsupplyRig) =>
  (await rig.mediator.store.listJobs({})).filter((j) => j.system === 'msupply' && j.flow === 'order');

/** Attempts of these jobs that ran (not deferred by an open breaker): probes, once it is open. */
const attemptsRun = async (rig: MsupplyRig, jobs: { id: string }[]) => {
  const rows = (await Promise.all(jobs.map((j) => rig.mediator.store.listJobAttempts(j.id, 10_000)))).flat();
  return rows.filter((r) => r.outcome !== 'deferred').reduce((n, r) => n + (r.repeats ?? 1), 0);
};

const gateOf = (rig: MsupplyRig) => rig.mediator.outbox.breakerGates().msupply ?? 'closed';

/**
 * `fault` on every call while three orders are queued: the breaker opens and holds them through
 * more probes than outbox.maxAttempts × the orders (with each probe charged, all dead by then);
 * once it ends, each order is delivered once.
 */
async function heldThroughOutage(t: Test, rig: MsupplyRig, fault: typeof MAINTENANCE | typeof OUTAGE) {
  t.equal(await postOrder(t, rig, 'MS-GW-0'), '201 Created', 'before the outage: delivered at once');
  rig.ms.faults.add({ operation: '*', action: fault });
  for (const [order, product] of HELD) await postOrder(t, rig, order, product);
  const unfinished = async () => (await orderJobs(rig)).filter((j) => j.status !== 'done');
  const held = await until('the writes held behind the breaker, or given up', async () => {
    const all = await unfinished();
    if (all.length === HELD.length && all.every((j) => ENDED.includes(j.status))) return 'given up';
    return gateOf(rig) === 'open' && all.length === HELD.length ? 'held' : undefined;
  });
  t.equal(held, 'held', 'the breaker opened; not each write dead-lettered');
  if (held !== 'held') return;
  // more attempts run than their budgets hold: with each probe charged, all dead by then
  const runs = MAX_ATTEMPTS * HELD.length + 1;
  const outlasted = await until(`${runs} attempts run, or a write given up`, async () => {
    const jobs = await unfinished();
    if (jobs.some((j) => ENDED.includes(j.status))) return 'given up';
    return (await attemptsRun(rig, jobs)) >= runs ? 'outlasted' : undefined;
  });
  const waiting = await unfinished();
  t.equal(outlasted, 'outlasted', `held through ${runs} attempts (${waiting.map((j) => `${j.status}/${j.attempts}`)})`);
  t.equal(waiting.length, HELD.length, 'every write still queued');
  t.ok(
    waiting.every((j) => j.attempts < MAX_ATTEMPTS),
    'the probes did not use up their attempts',
  );
  rig.ms.faults.clear(); // the outage ends
  const ended = await until('the held writes delivered', async () => {
    const jobs = await orderJobs(rig);
    return jobs.length === HELD.length + 1 && jobs.every((j) => ENDED.includes(j.status)) ? jobs : undefined;
  });
  t.same(
    ended.map((j) => j.status),
    ended.map(() => 'done'),
    `all delivered (${ended.map((j) => `${j.status}: ${j.lastError ?? ''}`).join('; ')})`,
  );
  for (const [order] of HELD) {
    const requests = requestsOf(rig, order);
    t.equal(requests.length, 1, `${order}: one requisition`);
    t.equal(requests[0]?.status, 'SENT', `${order}: sent`);
  }
  t.equal(gateOf(rig), 'closed', 'the breaker closed again');
}

/** Only the lookup of Paracetamol (PCM500T) answers a list without its nodes. */
const poisonItem = (rig: MsupplyRig) =>
  rig.ms.faults.add({
    operation: 'items',
    variablesInclude: 'PCM500T',
    action: { type: 'status', status: 200, body: { data: { items: null } } },
  });

// the cases mostly wait for probes and backoffs: two at a time (each its own rig and database)
t.jobs = 2;

for (const engine of engineCases()) {
  // a probe every 500 ms while held: the outage outlasts many of them in a few seconds
  const HELD_ENV = { ...ENV, OUTBOX_BREAKER_OPEN_MS: '500' };

  t.test(
    `${engine.name}: a gateway answering every request in another shape holds the writes; delivered once after`,
    { skip: engine.skip, timeout: 120_000 },
    async (t) => heldThroughOutage(t, await startMsupplyRigOn(t, engine, FLOWS, HELD_ENV), MAINTENANCE),
  );

  t.test(
    `${engine.name}: a 503 outage outlasting maxAttempts probes holds the writes; delivered once after`,
    { skip: engine.skip, timeout: 120_000 },
    async (t) => heldThroughOutage(t, await startMsupplyRigOn(t, engine, FLOWS, HELD_ENV), OUTAGE),
  );

  t.test(
    `${engine.name}: one poisoned item named by three orders does not open the breaker`,
    { skip: engine.skip, timeout: 120_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, { ...ENV, OUTBOX_MAX_ATTEMPTS: '6' });
      poisonItem(rig);
      const orders = ['MS-POISON-1', 'MS-POISON-2', 'MS-POISON-3'];
      for (const order of orders)
        t.equal(await postOrder(t, rig, order, 'EM-PCM500'), '202 Accepted', `${order} queued`);
      // more odd answers in a row than outbox.breakerFailures, by three jobs, nothing else sent between
      const poisoned = await until('the poisoned orders retried past the breaker threshold', async () => {
        const jobs = await orderJobs(rig);
        return jobs.length === orders.length && jobs.every((j) => j.attempts >= 2 || ENDED.includes(j.status))
          ? jobs
          : undefined;
      });
      t.ok(
        poisoned.every((j) => j.attempts >= 2),
        `each retried (${poisoned.map((j) => j.attempts)})`,
      );
      t.equal(gateOf(rig), 'closed', "one item's odd answers, however many orders ask: the breaker stays closed");
      t.equal(await postOrder(t, rig, 'MS-HEALTHY'), '201 Created', 'a healthy order delivered at once');
      t.equal(requestsOf(rig, 'MS-HEALTHY').length, 1, 'its requisition, once');
      const dead = await until('the poisoned orders given up', async () => {
        const jobs = (await orderJobs(rig)).filter((j) => poisoned.some((p) => p.id === j.id));
        return jobs.every((j) => ENDED.includes(j.status)) ? jobs : undefined;
      });
      for (const j of dead) {
        t.equal(j.status, 'dead', `for an operator, not refused: ${j.lastError ?? ''}`);
        t.equal(j.attempts, 6, 'after outbox.maxAttempts');
        t.match(j.lastError, /items answered/);
      }
      for (const order of orders) t.equal(requestsOf(rig, order).length, 0, `${order}: nothing written for it`);
    },
  );

  t.test(
    `${engine.name}: a poisoned record as the probe: held while the system is down, then dead after its attempts`,
    { skip: engine.skip, timeout: 120_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, HELD_ENV);
      rig.ms.faults.add({ operation: '*', action: OUTAGE });
      t.equal(await postOrder(t, rig, 'MS-POISON', 'EM-PCM500'), '202 Accepted', 'queued');
      await until('the breaker open on the outage', async () => (gateOf(rig) === 'open' ? true : undefined));
      await until(`${MAX_ATTEMPTS + 1} attempts run, or the write given up`, async () => {
        const [j] = await orderJobs(rig);
        return ENDED.includes(j.status) || (await attemptsRun(rig, [j])) > MAX_ATTEMPTS ? true : undefined;
      });
      const [probe] = await orderJobs(rig);
      t.notOk(ENDED.includes(probe.status), `the probe held uncharged while the system is down (${probe.attempts})`);
      t.ok(probe.attempts < MAX_ATTEMPTS, 'its attempts not used up by probes');
      rig.ms.faults.clear(); // the system is back, but for the poisoned item
      poisonItem(rig);
      const dead = await until('the poisoned record given up', async () => {
        const [j] = await orderJobs(rig);
        return ENDED.includes(j.status) ? j : undefined;
      });
      t.equal(dead.status, 'dead', `its odd answers not the system's: dead, ${dead.lastError ?? ''}`);
      t.equal(dead.attempts, MAX_ATTEMPTS, 'after outbox.maxAttempts');
      t.match(dead.lastError, /items answered/);
      t.equal(await postOrder(t, rig, 'MS-HEALTHY'), '201 Created', 'a healthy order delivered at once');
      t.equal(gateOf(rig), 'closed', 'which closed the breaker');
    },
  );
}
