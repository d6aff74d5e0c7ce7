/**
 * Answers of another shape (a 2xx not in Open mSupply's schema) and the system's circuit breaker,
 * through the real mediator, connector and mSupply sandbox, on both store engines:
 * - a gateway answering every call `200 {"message":"maintenance"}`: the system's, so the breaker
 *   opens as for a down system; the writes are held behind it (not dead-lettered one by one) and
 *   each is delivered once when the gateway recovers;
 * - one poisoned record (its item lookup answering `{"data":{"items":null}}`), retried more times
 *   in a row than outbox.breakerFailures with nothing else sent: the breaker stays closed and a
 *   healthy order to the same system is delivered at once.
 */
import t, { type Test } from 'tap';
import { orderLine, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const ENV = {
  OPENLMIS_BASE_URL: '',
  OUTBOX_SETTLE_MS: '100',
  OUTBOX_MAX_ATTEMPTS: '4',
  OUTBOX_BACKOFF_BASE_MS: '100',
  OUTBOX_BACKOFF_CAP_MS: '60000',
  OUTBOX_BREAKER_FAILURES: '2',
};
const ENDED = ['done', 'rejected', 'dead'];

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

const gateOf = (rig: MsupplyRig) => rig.mediator.outbox.breakerGates().msupply ?? 'closed';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a gateway answering every call in another shape holds the writes; delivered once after`,
    { skip: engine.skip, timeout: 120_000 },
    async (t) => {
      // a probe every 3 s while held: few charged attempts, and the breaker seen open between
      const rig = await startMsupplyRigOn(t, engine, FLOWS, { ...ENV, OUTBOX_BREAKER_OPEN_MS: '3000' });
      t.equal(await postOrder(t, rig, 'MS-GW-0'), '201 Created', 'before the maintenance: delivered at once');
      rig.ms.faults.add({ operation: '*', action: { type: 'status', status: 200, body: { message: 'maintenance' } } });
      const orders = ['MS-GW-1', 'MS-GW-2', 'MS-GW-3'];
      for (const order of orders) await postOrder(t, rig, order);
      const held = await until('the writes held behind the breaker, or given up', async () => {
        const all = (await orderJobs(rig)).filter((j) => j.status !== 'done');
        if (all.length === orders.length && all.every((j) => ENDED.includes(j.status))) return 'given up';
        return gateOf(rig) === 'open' && all.length === orders.length ? 'held' : undefined;
      });
      t.equal(held, 'held', "the breaker opened on the gateway's answers; not each write dead-lettered");
      if (held !== 'held') return;
      // a probe the gateway answers oddly keeps it open: the writes wait, uncharged
      const callsAtOpening = rig.ms.calls.length;
      await until('a probe answered by the gateway', async () =>
        rig.ms.calls.length > callsAtOpening && gateOf(rig) === 'open' ? true : undefined,
      );
      const waiting = (await orderJobs(rig)).filter((j) => j.status !== 'done');
      t.equal(waiting.length, orders.length, 'every write still queued');
      t.ok(
        waiting.every((j) => !ENDED.includes(j.status)),
        `none dead (${waiting.map((j) => `${j.status}/${j.attempts}`).join(', ')})`,
      );
      rig.ms.faults.clear(); // the maintenance ends
      const ended = await until('the held writes delivered', async () => {
        const jobs = await orderJobs(rig);
        return jobs.length === orders.length + 1 && jobs.every((j) => ENDED.includes(j.status)) ? jobs : undefined;
      });
      t.same(
        ended.map((j) => j.status),
        ended.map(() => 'done'),
        `all delivered (${ended.map((j) => `${j.status}: ${j.lastError ?? ''}`).join('; ')})`,
      );
      for (const order of orders) {
        const requests = requestsOf(rig, order);
        t.equal(requests.length, 1, `${order}: one requisition`);
        t.equal(requests[0]?.status, 'SENT', `${order}: sent`);
      }
      t.equal(gateOf(rig), 'closed', 'the breaker closed again');
    },
  );

  t.test(
    `${engine.name}: one poisoned record does not open the breaker; a healthy write goes through`,
    { skip: engine.skip, timeout: 120_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, { ...ENV, OUTBOX_MAX_ATTEMPTS: '6' });
      // only the lookup of Paracetamol (PCM500T) answers a list without its nodes
      rig.ms.faults.add({
        operation: 'items',
        variablesInclude: 'PCM500T',
        action: { type: 'status', status: 200, body: { data: { items: null } } },
      });
      t.equal(await postOrder(t, rig, 'MS-POISON', 'EM-PCM500'), '202 Accepted', 'the poisoned one queued');
      // more odd answers in a row than outbox.breakerFailures, nothing else sent between
      const poisoned = await until('the poisoned record retried past the breaker threshold', async () => {
        const [j] = await orderJobs(rig);
        return j && (j.attempts >= 3 || ENDED.includes(j.status)) ? j : undefined;
      });
      t.ok(poisoned.attempts >= 3, `retried ${poisoned.attempts} times`);
      t.equal(gateOf(rig), 'closed', "one record's odd answers: the breaker stays closed");
      t.equal(await postOrder(t, rig, 'MS-HEALTHY'), '201 Created', 'a healthy order delivered at once');
      t.equal(requestsOf(rig, 'MS-HEALTHY').length, 1, 'its requisition, once');
      const dead = await until('the poisoned record given up', async () => {
        const j = (await orderJobs(rig)).find((x) => x.id === poisoned.id);
        return j && ENDED.includes(j.status) ? j : undefined;
      });
      t.equal(dead.status, 'dead', `for an operator, not refused: ${dead.lastError ?? ''}`);
      t.equal(dead.attempts, 6, 'after outbox.maxAttempts');
      t.match(dead.lastError, /items answered/);
      t.equal(requestsOf(rig, 'MS-POISON').length, 0, 'nothing written for it');
    },
  );
}
