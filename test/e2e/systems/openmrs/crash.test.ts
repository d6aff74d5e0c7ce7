/**
 * OpenMRS writes across a SIGKILL: the real mediator process (spawned) is killed while OpenMRS
 * has applied a step of a multi-call write whose answer it never got (the sandbox holds the
 * answer), and restarted on the same database. Each write ends applied exactly once: one stock
 * operation per report, the stock moved once, every action once; the client's retry of the same
 * write changes nothing. SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 *
 * Kill points, each after OpenMRS applied a step and before the mediator journaled it:
 * - an adjustment: the `POST stockoperation` create (the step whose replay could make a second
 *   operation, the stock moved twice); and its SUBMIT, which moves the stock in OpenMRS (the
 *   module's onPending), so a replayed SUBMIT would take it twice;
 * - a receipt confirmed short: the lines' correction of the RETURNED receipt, then, after the first
 *   restart, its SUBMIT again (the approval that follows puts the stock in once);
 * - an order: the requisition's create; then its delivery (the supplier's transfer out): the
 *   COMPLETE action, which puts the shipped stock into the facility.
 */
import t, { type Test } from 'tap';
import { ADMIN_PASSWORD, DRUGS, LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startMediatorProcess } from '../../../support/mediator-process.js';
import { until } from '../../../support/net.js';
import { GTIN, KILIMA_PARTY } from '../../../support/openmrs-e2e.js';
import { MWANGAZA_PARTY, damagedAtMwangazaReport } from '../../../support/openmrs-damaged-stock.js';
import { submittedReceipt } from '../../../support/openmrs-receipts.js';

const SM = '/openmrs/ws/rest/v1/stockmanagement';
const PARACETAMOL_GTIN = '10860012300065';

const adjustment = (id: string, qty: number) =>
  damagedAtMwangazaReport({
    identifier: { system: 'https://app.example.org/counts', value: id },
    gtin: PARACETAMOL_GTIN,
    lot: 'PCM-2401',
    quantity: qty,
  });

const ORDERS = 'https://app.example.org/orders';
const orderLine = (gtin: string, qty: number) => ({
  resourceType: 'SupplyRequest',
  status: 'active',
  priority: 'routine',
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'OMRS-CRASH-1' }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: gtin }] },
  quantity: { value: qty, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});
const orderBundle = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [orderLine('10860012300058', 200), orderLine('10860012300072', 40)].map((r, i) => ({
    fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`,
    resource: r,
    request: { method: 'POST', url: 'SupplyRequest' },
  })),
};

type Sandbox = Awaited<ReturnType<typeof startOpenMrsSandbox>>;

/** The sandbox and a mediator process on a fresh database of this engine, all closed at the end. */
async function rig(t: Test, name: string, databaseUrl: string) {
  const sb = await startOpenMrsSandbox();
  const mediator = await startMediatorProcess(name, {
    DATABASE_URL: databaseUrl,
    OPENMRS_BASE_URL: sb.url,
    OPENMRS_USERNAME: 'admin',
    OPENMRS_PASSWORD: ADMIN_PASSWORD,
    OPENMRS_TIMEOUT_MS: '3000',
  });
  t.teardown(async () => {
    await mediator.close();
    await sb.close();
  });
  return { sb, mediator };
}

const itemOf = (sb: Sandbox, drug: string) => [...sb.stock.items.values()].find((i) => i.drugUuid === drug)!.uuid;
/** The status of an answer, for an assertion (a request the process died under has none). */
const statusOf = (r: { status: number } | 'no answer') => (r === 'no answer' ? r : r.status);

for (const engine of engineCases()) {
  t.test(`${engine.name}: OpenMRS writes killed mid-way end applied once`, { skip: engine.skip }, async (t) => {
    await t.test('an adjustment killed after OpenMRS created its operation', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await rig(t, 'openmrs-crash-adj', db.databaseUrl);
      const item = itemOf(sb, DRUGS.paracetamol);
      const before = sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401');
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperation`,
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      const report = adjustment('ADJ-CRASH-1', 40);
      const pending = mediator.fhir('POST', '/fhir/R5/InventoryReport', report);
      await until('the operation created', async () => sb.store.writes['stockoperation.create.adjustment'] === 1);
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
      t.equal(sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401'), before, 'no stock moved yet: NEW');

      await mediator.restart();
      const ops = () =>
        [...sb.stock.operations.values()].filter(
          (o) => o.externalReference === 'https://app.example.org/counts|ADJ-CRASH-1',
        );
      await until('the adjustment completed', async () => ops().some((o) => o.status === 'COMPLETED'), 30_000);
      t.equal(ops().length, 1, 'one operation: the restarted job found the one created');
      t.same(ops()[0].statusHistory, ['NEW', 'SUBMITTED', 'COMPLETED'], 'submitted and approved, once each');
      t.equal(sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401'), before - 40, 'the stock down by 40, once');

      const again = await mediator.fhir('POST', '/fhir/R5/InventoryReport', report);
      t.equal(statusOf(again), 200, 'the client posting it again is answered with the write made');
      t.equal(ops().length, 1, 'the report posted again creates nothing');
      t.same(
        sb.store.writes,
        {
          'stockoperation.create.adjustment': 1,
          'stockoperation.submit.adjustment': 1,
          'stockoperation.approve.adjustment': 1,
        },
        'created, submitted and approved once',
      );
      t.equal(sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401'), before - 40, 'still down by 40');
    });

    await t.test('an adjustment killed after OpenMRS applied its SUBMIT, which moved the stock', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await rig(t, 'openmrs-crash-submit', db.databaseUrl);
      const item = itemOf(sb, DRUGS.paracetamol);
      const before = sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401');
      // the adjustment's first action is its SUBMIT: applied, its answer never sent
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      const report = adjustment('ADJ-CRASH-2', 40);
      const pending = mediator.fhir('POST', '/fhir/R5/InventoryReport', report);
      await until('the operation submitted', async () => sb.store.writes['stockoperation.submit.adjustment'] === 1);
      await mediator.kill();
      t.equal(await pending, 'no answer');
      t.equal(
        sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401'),
        before - 40,
        'OpenMRS moved the stock at SUBMIT, before any approval',
      );

      await mediator.restart();
      const op = () =>
        [...sb.stock.operations.values()].find(
          (o) => o.externalReference === 'https://app.example.org/counts|ADJ-CRASH-2',
        );
      await until('the adjustment completed', async () => op()?.status === 'COMPLETED', 30_000);
      t.same(op()!.statusHistory, ['NEW', 'SUBMITTED', 'COMPLETED'], 'submitted once, then approved');
      t.same(
        sb.stock.transactions.search({ stockOperationUuid: op()!.uuid }).map((r) => r.quantity),
        [-40],
        'one ledger row: the SUBMIT is not replayed',
      );
      t.equal(sb.stock.quantity(MWANGAZA_PARTY, item, 'PCM-2401'), before - 40, 'the stock down by 40, once');
      t.same(sb.store.writes, {
        'stockoperation.create.adjustment': 1,
        'stockoperation.submit.adjustment': 1,
        'stockoperation.approve.adjustment': 1,
      });
    });

    await t.test('a short receipt killed after its correction, then after its SUBMIT again', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await rig(t, 'openmrs-crash-rcpt', db.databaseUrl);
      const item = itemOf(sb, DRUGS.amoxicillin);
      const receipt = submittedReceipt(sb, [{ drug: DRUGS.amoxicillin, batchNo: 'AMX-9', quantity: 300 }]);
      const before = sb.stock.quantity(KILIMA_PARTY, item);
      const search = await mediator.fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
      );
      if (search === 'no answer') throw new Error('the search got no answer');
      const delivery = (search.body.entry ?? [])
        .map((e: any) => e.resource)
        .find((d: any) => JSON.stringify(d).includes(receipt.operationNumber));
      t.ok(delivery, 'the receipt reads as an in-progress SupplyDelivery');
      const confirmed = structuredClone(delivery);
      confirmed.status = 'completed';
      const shipped = confirmed.suppliedItem[0].extension.find((e: any) =>
        e.url.endsWith('/quantity-shipped'),
      ).valueQuantity;
      confirmed.suppliedItem[0].quantity = { ...shipped, value: 255 };

      // 1: the lines corrected to 255 (RETURNED), the answer never sent
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperation/*`,
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      const pending = mediator.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmed);
      await until('the lines corrected', async () => sb.store.writes['stockoperation.update.receipt'] === 1);
      sb.faults.clear();
      // 2: after the restart, the receipt submitted again, the answer never sent
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
      t.same(
        sb.stock.operations.get(receipt.uuid)!.statusHistory,
        ['NEW', 'SUBMITTED', 'RETURNED'],
        'returned and corrected when the mediator dies',
      );

      await mediator.restart();
      await until('submitted again', async () => sb.store.writes['stockoperation.submit.receipt'] === 1, 30_000);
      await mediator.restart();
      await until(
        'the receipt approved',
        async () => sb.stock.operations.get(receipt.uuid)!.status === 'COMPLETED',
        30_000,
      );

      const op = sb.stock.operations.get(receipt.uuid)!;
      t.same(
        op.statusHistory,
        ['NEW', 'SUBMITTED', 'RETURNED', 'SUBMITTED', 'COMPLETED'],
        'submitted again and approved, once each',
      );
      t.same(
        op.items.map((i) => i.quantity),
        [255],
        'the line holds what was received',
      );
      const again = await mediator.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmed);
      t.equal(statusOf(again), 200, 'the client confirming it again is answered with the write made');
      t.same(
        sb.store.writes,
        {
          'stockoperation.return.receipt': 1,
          'stockoperation.update.receipt': 1,
          'stockoperation.submit.receipt': 1,
          'stockoperation.approve.receipt': 1,
        },
        'returned, corrected, submitted again and approved once each',
      );
      t.equal(sb.stock.quantity(KILIMA_PARTY, item) - before, 255, 'the stock received, added once');
    });

    await t.test('an order killed after its requisition was created; its delivery after COMPLETE', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await rig(t, 'openmrs-crash-order', db.databaseUrl);
      const requisitions = () =>
        [...sb.stock.operations.values()].filter(
          (o) => o.operationType === 'requisition' && o.externalReference === `${ORDERS}|OMRS-CRASH-1`,
        );
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperation`,
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      const pending = mediator.fhir('POST', '/fhir', orderBundle);
      await until('the requisition created', async () => sb.store.writes['stockoperation.create.requisition'] === 1);
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');

      await mediator.restart();
      await until(
        'the requisition submitted',
        async () => requisitions().some((o) => o.status === 'SUBMITTED'),
        30_000,
      );
      t.equal(requisitions().length, 1, 'one requisition: the restarted job found the one created');
      const again = await mediator.fhir('POST', '/fhir', orderBundle);
      t.equal(statusOf(again), 200, 'the client posting the order again is answered with the write made');
      t.equal(requisitions().length, 1, 'the order posted again creates nothing');

      // the supplying store ships it; the confirmation is killed after OpenMRS completed the transfer
      const transfer = sb.stock.fulfil(requisitions()[0].uuid);
      const held = () =>
        new Map(transfer.items.map((i) => [i.stockItemUuid, sb.stock.quantity(KILIMA_PARTY, i.stockItemUuid)]));
      const before = held();
      const search = await mediator.fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
      );
      if (search === 'no answer') throw new Error('the search got no answer');
      const delivery = (search.body.entry ?? [])
        .map((e: any) => e.resource)
        .find((d: any) => JSON.stringify(d).includes(transfer.operationNumber));
      t.ok(delivery, 'the transfer reads as an in-progress SupplyDelivery');
      delivery.status = 'completed';
      for (const item of delivery.suppliedItem)
        item.quantity = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
      sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      const confirming = mediator.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
      await until('the transfer completed', async () => sb.store.writes['stockoperation.complete.stockissue'] === 1);
      await mediator.kill();
      t.equal(await confirming, 'no answer', 'the client got no answer from the killed mediator');

      await mediator.restart();
      await until(
        'the confirmation answered with the write made',
        async () => statusOf(await mediator.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery)) === 200,
        30_000,
      );
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
      t.same(
        sb.stock.operations.get(transfer.uuid)!.statusHistory.filter((x) => x === 'COMPLETED'),
        ['COMPLETED'],
        'the transfer completed once',
      );
      const after = held();
      t.same(
        transfer.items.map((i) => after.get(i.stockItemUuid)! - before.get(i.stockItemUuid)!),
        transfer.items.map((i) => i.quantity),
        'the shipped stock arrived at the facility once',
      );
      t.same(
        transfer.items.map((i) => i.quantity).sort((a, b) => a - b),
        [40, 200],
        'shipped as ordered: 200 and 40',
      );
    });
  });
}
