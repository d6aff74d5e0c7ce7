/**
 * A transfer OpenMRS holds completed is confirmed once. Another delivery number confirming it
 * (a second app, or an app that lost DL-1's answer and sent it again as DL-2) is a 409 naming the
 * operation and who completed it, and changes nothing: it used to be answered "completed" as if
 * it had applied. DL-1 sent again is answered as before, and so is the operation's own number
 * (it names that delivery itself). A search by the app's number reads the operations once and
 * the delivery it wrote by its uuid (it read the three lists again, and every operation's order,
 * per delivery written under the number); the delivery reads under the app's number on R5 as on
 * R4 (R5 read the operation's number). DL-1 sent again while its own write waits for a retry (its
 * COMPLETE applied, the answer lost) is that write, not a 409 "completed in OpenMRS", also when
 * resent by an R4 PUT of its line (that PUT built on the pending view, "in progress", and was
 * refused as another payload for the identifier). Two confirmations racing (DL-2 completes the
 * transfer while DL-1's write waits for a retry): DL-1's retry is refused naming DL-2, not ended
 * "completed" a second time; when DL-2's COMPLETE applied but its write has not ended (its answer
 * lost too), DL-1's retry waits for it, then is refused naming DL-2. Through the real mediator and
 * the OpenMRS sandbox, both store engines.
 */
import t, { type Test } from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE } from '../../../../src/fhir/conventions.js';
import { AMOXICILLIN, DELIVERIES, ORDERS, order, units } from '../../../support/openmrs-app-orders.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { adminCall } from '../../../support/march-stock-count.js';
import { until } from '../../../support/net.js';
import { GTIN, startOpenMrsRigOn, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';

const ADMIN = 'cb-openmrs-admin-token-Xq7';
const OPERATION_NUMBERS = 'http://fhir-supply-mediator.org/fhir/identifier/openmrs-stock-operation';
const SM = '/openmrs/ws/rest/v1/stockmanagement';

/** A confirmation (R4: one line) received in full, under `identifier`, based on the order number. */
const delivery = (identifier: { system: string; value: string }, orderNumber: string, qty: number) => ({
  resourceType: 'SupplyDelivery',
  status: 'completed',
  identifier: [identifier],
  basedOn: [{ identifier: { type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: orderNumber } }],
  destination: { reference: `Location/${LOC.kilima}` },
  suppliedItem: { quantity: units(qty), itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
});
const app = (value: string) => ({ system: DELIVERIES, value });

/** An order posted and shipped in full: the transfer that fulfils it, dispatched. */
async function shipped(t: Test, rig: OpenMrsRig, number: string, qty: number) {
  const posted = await rig.fhir('POST', '/fhir/SupplyRequest', order(number, qty));
  t.equal(posted.status, 201, why(posted));
  const requisition = [...rig.sb.stock.operations.values()].find(
    (o) => o.operationType === 'requisition' && String(o.externalReference).endsWith(`|${number}`),
  )!;
  return rig.sb.stock.fulfil(requisition.uuid);
}

/** The rig with an admin token; a retry waits for the operator (a long backoff). */
const waitingRig = (t: Test, engine: EngineCase, name: string) =>
  startOpenMrsRigOn(t, engine, name, {
    ADMIN_TOKEN: ADMIN,
    OUTBOX_BACKOFF_BASE_MS: '600000',
    OUTBOX_BACKOFF_CAP_MS: '600000',
  });

/** The id of the one write to OpenMRS waiting for a retry. */
async function waitingJob(t: Test, rig: OpenMrsRig): Promise<string> {
  const pending = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?status=pending&system=openmrs');
  t.equal(pending.body.jobs.length, 1, 'one write waits for a retry');
  return pending.body.jobs[0].id;
}

/** The operator retries the job now; the job once it has ended (done, rejected or dead). */
async function retriedEnd(t: Test, rig: OpenMrsRig, job: string) {
  const retried = await adminCall(rig.mediator.url, ADMIN, 'POST', `/outbox/jobs/${job}/retry?status=pending`);
  t.equal(retried.status, 200, 'the operator retries it now');
  return until(
    'the retried write ended',
    async () => {
      const got = (await adminCall(rig.mediator.url, ADMIN, 'GET', `/outbox/jobs/${job}`)).body.job;
      return ['done', 'rejected', 'dead'].includes(got?.status) ? got : undefined;
    },
    20_000,
  );
}

for (const engine of engineCases())
  t.test(
    `a completed transfer confirmed under another number: 409, nothing changed (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'cb-openmrs-completed');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-1', 120);
      const dl1 = delivery(app('DL-1'), 'APP-1', 120);
      const first = await fhir('POST', '/fhir/SupplyDelivery', dl1);
      t.equal(first.status, 201, why(first));
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED');
      const stock = () => JSON.stringify([sb.store.writes, [...sb.stock.operations.values()].map((o) => o.status)]);
      const before = stock();

      const dl2 = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-2'), 'APP-1', 120));
      t.equal(dl2.status, 409, why(dl2));
      t.match(dl2.body.issue, [
        {
          code: 'conflict',
          diagnostics: new RegExp(
            `OpenMRS stock operation ${transfer.operationNumber} \\(${transfer.uuid}\\) was already completed by delivery ${DELIVERIES}\\|DL-1: this delivery \\(${DELIVERIES}\\|DL-2\\) applies nothing more`,
          ),
          expression: ['SupplyDelivery.identifier'],
        },
      ]);
      t.equal(stock(), before, 'nothing changed in OpenMRS');
      const underDl2 = await fhir('GET', `/fhir/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-2`)}`);
      t.same(underDl2.body.entry ?? [], [], 'nothing recorded under DL-2');

      const again = await fhir('POST', '/fhir/SupplyDelivery', dl1);
      t.equal(again.status, 200, `DL-1 sent again: ${why(again)}`);
      t.equal(again.body.id, first.body.id, 'answered as the same delivery');
      const own = await fhir(
        'POST',
        '/fhir/SupplyDelivery',
        delivery({ system: OPERATION_NUMBERS, value: transfer.operationNumber }, 'APP-1', 120),
      );
      t.ok([200, 201].includes(own.status), `by the operation's own number: ${why(own)}`);
      t.equal(stock(), before, 'completed once');
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1);
    },
  );

// found by review RD: a dead job keeps its key (only a refused one gives it up), so DL-1 sent again
// is that write for an operator to retry, not "completed in OpenMRS, not by a delivery"
for (const engine of engineCases())
  t.test(
    `DL-1 sent again after its write went dead, its COMPLETE applied: not refused as another's (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'cb-openmrs-resend-dead', {
        ADMIN_TOKEN: ADMIN,
        OUTBOX_MAX_ATTEMPTS: '1',
      });
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-9', 90);
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
        times: 1,
      });
      const dl1 = delivery(app('DL-9'), 'APP-9', 90);
      await fhir('POST', '/fhir/SupplyDelivery', dl1);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED', 'OpenMRS applied it');
      const dead = await until(
        'its write dead',
        async () => {
          const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?status=dead&system=openmrs');
          return jobs.body.jobs.length ? jobs.body.jobs : undefined;
        },
        20_000,
      );
      t.equal(dead.length, 1, 'one dead write, for an operator');
      const again = await fhir('POST', '/fhir/SupplyDelivery', dl1);
      t.not(again.status, 409, `DL-9 sent again is its own write, not another's: ${why(again)}`);
      t.notMatch(JSON.stringify(again.body), /completed in OpenMRS/, 'not told OpenMRS completed it');
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    },
  );

for (const engine of engineCases())
  t.test(
    `DL-1 sent again while its write waits, its COMPLETE applied and the answer lost: the same write (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // the retry waits for the operator (a long backoff): the resends come while the job waits
      const rig = await waitingRig(t, engine, 'cb-openmrs-resend-waiting');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-8', 90);
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
        times: 1,
      });
      const dl1 = delivery(app('DL-8'), 'APP-8', 90);
      const first = await fhir('POST', '/fhir/SupplyDelivery', dl1);
      t.equal(first.status, 202, `the answer lost, the write queued: ${why(first)}`);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED', 'OpenMRS applied it');
      // the order's write is done: the one waiting is the delivery's
      const job = await waitingJob(t, rig);

      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: dl1, request: { method: 'POST', url: 'SupplyDelivery' } }],
      };
      // the id the 202 named: an app resending by PUT sends it in the body (and maybe meta)
      const id = /SupplyDelivery\/([^/]+)/.exec(first.headers.get('location') ?? '')![1];
      const answers = [
        ['POST', await fhir('POST', '/fhir/SupplyDelivery', dl1)],
        ['a transaction Bundle', await fhir('POST', '/fhir', bundle)],
        ['PUT', await fhir('PUT', `/fhir/SupplyDelivery/${id}`, { ...dl1, id })],
        ['PUT with meta', await fhir('PUT', `/fhir/SupplyDelivery/${id}`, { ...dl1, id, meta: { versionId: '1' } })],
      ] as const;
      for (const [how, again] of answers) {
        const status = again.body.resourceType === 'Bundle' ? again.body.entry[0].response.status : again.status;
        t.equal(String(status).slice(0, 3), '202', `${how}: answered as the waiting write, not a 409: ${why(again)}`);
      }
      const still = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=openmrs');
      t.same(
        still.body.jobs.filter((j: any) => j.flow === 'delivery').map((j: any) => j.id),
        [job],
        'the resends recorded no other write',
      );

      t.equal((await retriedEnd(t, rig, job)).status, 'done', 'the retried write done');
      const after = await fhir('POST', '/fhir/SupplyDelivery', dl1);
      t.equal(after.status, 200, `DL-8 sent again once done: ${why(after)}`);
      t.equal(after.body.status, 'completed');
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    },
  );

// two confirmations racing: DL-1's write waits for a retry (its COMPLETE never reached OpenMRS)
// while DL-2 completes the transfer; DL-1's retry found it completed and ended "completed" too
for (const engine of engineCases())
  t.test(
    `DL-1 waits for a retry while DL-2 completes the transfer: DL-1's retry is refused, naming DL-2 (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await waitingRig(t, engine, 'cb-openmrs-racing');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-10', 100);
      // refused before it applied: the transfer stays open
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'status', status: 502 },
        times: 1,
      });
      const first = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-10'), 'APP-10', 100));
      t.equal(first.status, 202, `queued for a retry: ${why(first)}`);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'DISPATCHED', 'still open');
      const job = await waitingJob(t, rig);

      const second = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-11'), 'APP-10', 100));
      t.equal(second.status, 201, `DL-11 completes the open transfer: ${why(second)}`);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED');

      const ended = await retriedEnd(t, rig, job);
      t.equal(ended.status, 'rejected', 'refused, not a second completion');
      t.match(
        JSON.stringify(ended.error ?? ended.lastError),
        new RegExp(
          `OpenMRS stock operation ${transfer.operationNumber} \\(${transfer.uuid}\\) was already completed by delivery ${DELIVERIES}\\|DL-11`,
        ),
        'naming who completed it',
      );
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    },
  );

// both answers lost: DL-14's COMPLETE never reached OpenMRS (502), DL-15's applied and its answer
// was lost too, so DL-15's job still waits when DL-14's retry finds the transfer completed. DL-14
// claimed the completion ("completed"), and DL-15 then did too: credit for one completion twice
for (const engine of engineCases())
  t.test(
    `DL-14's COMPLETE lost, DL-15's applied, its job not ended: DL-14 waits, then is refused naming DL-15 (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await waitingRig(t, engine, 'cb-openmrs-racing-waits');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-14', 100);
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'status', status: 502 },
        times: 1,
      });
      const first = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-14'), 'APP-14', 100));
      t.equal(first.status, 202, `queued for a retry: ${why(first)}`);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'DISPATCHED', 'still open');
      const dl14 = await waitingJob(t, rig);

      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
        times: 1,
      });
      const second = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-15'), 'APP-14', 100));
      t.equal(second.status, 202, `DL-15 applied, its answer lost: ${why(second)}`);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED');
      const pending = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?status=pending&system=openmrs');
      const dl15 = pending.body.jobs.map((j: { id: string }) => j.id).find((id: string) => id !== dl14);
      t.ok(dl15, "DL-15's write waits too");

      const retried = await adminCall(rig.mediator.url, ADMIN, 'POST', `/outbox/jobs/${dl14}/retry?status=pending`);
      t.equal(retried.status, 200, 'the operator retries DL-14 now');
      const waits = await until(
        "DL-14's retry ended",
        async () => {
          const got = (await adminCall(rig.mediator.url, ADMIN, 'GET', `/outbox/jobs/${dl14}`)).body.job;
          const ended = ['done', 'rejected', 'dead'].includes(got?.status);
          return ended || (got?.status === 'pending' && /has not ended/.test(got.lastError)) ? got : undefined;
        },
        20_000,
      );
      t.equal(waits.status, 'pending', 'DL-14 waits for DL-15 to end: not answered completed');
      t.match(String(waits.lastError), /has not ended: who completed it is known when it does/);

      t.equal((await retriedEnd(t, rig, dl15)).status, 'done', "DL-15's write done: its completion");
      const ended = await retriedEnd(t, rig, dl14);
      t.equal(ended.status, 'rejected', 'refused, not a second completion');
      t.match(
        JSON.stringify(ended.error ?? ended.lastError),
        new RegExp(`completed by delivery ${DELIVERIES}\\|DL-15`),
      );
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    },
  );

// the other order: DL-12's write chose the transfer while it was open, and it was completed in
// OpenMRS's UI before that write's COMPLETE; the write completed nothing and ended "completed"
for (const engine of engineCases())
  t.test(
    `a transfer completed in OpenMRS after DL-12's write chose it: refused at its COMPLETE (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await waitingRig(t, engine, 'cb-openmrs-completed-meanwhile');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-12', 100);
      // the write's read of the transfer it chose fails (each read again too): it waits, its
      // COMPLETE not sent
      const down = sb.faults.add({
        method: 'GET',
        path: `${SM}/stockoperation/${transfer.uuid}`,
        action: { type: 'status', status: 502 },
      });
      const first = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-12'), 'APP-12', 100));
      t.equal(first.status, 202, `queued for a retry: ${why(first)}`);
      sb.faults.remove(down.id);
      const job = await waitingJob(t, rig);
      // the storekeeper receives it in the OpenMRS stock management UI meanwhile
      sb.stock.act({ name: 'COMPLETE', uuid: transfer.uuid });

      const ended = await retriedEnd(t, rig, job);
      t.equal(ended.status, 'rejected', 'refused: it completed nothing');
      t.match(
        JSON.stringify(ended.error ?? ended.lastError),
        /was already completed in OpenMRS, not by a delivery confirmed through the mediator/,
      );
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once, in the UI');
    },
  );

for (const engine of engineCases())
  t.test(
    `a transfer completed in OpenMRS itself, then confirmed by an app: 409 saying so (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'cb-openmrs-ui-completed');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-3', 80);
      // the storekeeper receives it in the OpenMRS stock management UI
      sb.stock.act({ name: 'COMPLETE', uuid: transfer.uuid });
      const before = JSON.stringify(sb.store.writes);

      const late = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-3'), 'APP-3', 80));
      t.equal(late.status, 409, why(late));
      t.match(late.body.issue, [
        {
          code: 'conflict',
          diagnostics: new RegExp(
            `stock operation ${transfer.operationNumber} .* was already completed in OpenMRS, not by a delivery confirmed through the mediator`,
          ),
          expression: ['SupplyDelivery.identifier'],
        },
      ]);
      t.equal(JSON.stringify(sb.store.writes), before, 'nothing changed in OpenMRS');
    },
  );

for (const engine of engineCases())
  t.test(
    `a search by the app's number lists the operations once and reads its delivery by uuid (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'cb-openmrs-search-cost');
      const { sb, fhir } = rig;
      // other deliveries into the facility: each one an order the old search read per written delivery
      for (const number of ['APP-5', 'APP-6', 'APP-7']) await shipped(t, rig, number, 10);
      const transfer = await shipped(t, rig, 'APP-4', 60);
      const confirmed = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-4'), 'APP-4', 60));
      t.equal(confirmed.status, 201, why(confirmed));

      const lists = sb.faults.add({ method: 'GET', path: `${SM}/stockoperation`, action: { type: 'delay', ms: 0 } });
      const single = sb.faults.add({ method: 'GET', path: `${SM}/stockoperation/*`, action: { type: 'delay', ms: 0 } });
      const hits = (id: string) => sb.faults.list().find((r) => r.id === id)!.hits;
      for (const base of ['/fhir', '/fhir/R5']) {
        const [listsBefore, singleBefore] = [hits(lists.id), hits(single.id)];
        const found = await fhir(
          'GET',
          `${base}/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-4`)}`,
        );
        t.equal(found.status, 200, why(found));
        t.same(
          (found.body.entry ?? []).map((e: any) => e.resource.identifier[0].value),
          ['DL-4'],
          `${base}: the delivery it wrote`,
        );
        t.equal(
          hits(lists.id) - listsBefore,
          3,
          `${base}: each list of deliveries read once (issues, transfers out, receipts)`,
        );
        t.equal(hits(single.id) - singleBefore, 2, `${base}: the delivery read by its uuid, and its order`);
      }

      // read by id on either release: the app's number, as the search lists it
      const r5 = await fhir('GET', `/fhir/R5/SupplyDelivery/${transfer.uuid}`);
      t.equal(r5.status, 200, why(r5));
      const r4 = await fhir('GET', `/fhir/SupplyDelivery/${confirmed.body.id}`);
      t.equal(r4.status, 200, why(r4));
      for (const [release, read] of [
        ['R5', r5],
        ['R4', r4],
      ] as const)
        t.same(
          read.body.identifier.map((i: any) => [i.system, i.value]),
          [[DELIVERIES, 'DL-4']],
          `${release}: the app's number`,
        );
    },
  );

// found by review RB: DL-21 confirming a transfer whose completion DL-20's write sent (applied, the
// answer lost, its job waiting) was told "completed in OpenMRS, not by a delivery confirmed
// through the mediator": an operator looked in OpenMRS's UI for a completion the mediator made
for (const engine of engineCases())
  t.test(
    `DL-21 confirms a transfer DL-20's waiting write completed, its answer lost: 409 not "in OpenMRS" (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await waitingRig(t, engine, 'cb-openmrs-other-waiting');
      const { sb, fhir } = rig;
      const transfer = await shipped(t, rig, 'APP-20', 100);
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
        times: 1,
      });
      const first = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-20'), 'APP-20', 100));
      t.equal(first.status, 202, `DL-20 applied, its answer lost: ${why(first)}`);
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED');
      await waitingJob(t, rig);

      const second = await fhir('POST', '/fhir/SupplyDelivery', delivery(app('DL-21'), 'APP-20', 100));
      t.equal(second.status, 409, `DL-21 applies nothing: ${why(second)}`);
      const said = JSON.stringify(second.body);
      t.notMatch(said, /not by a delivery confirmed through the mediator/, 'not told OpenMRS alone completed it');
      t.match(said, /another delivery's write through the mediator/, "DL-20's waiting write named as maybe its");
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    },
  );
