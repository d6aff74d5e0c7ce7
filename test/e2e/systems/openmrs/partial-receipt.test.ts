/**
 * A partial receipt in OpenMRS end to end (issue 13): through the real mediator, a SupplyDelivery
 * confirming fewer than were sent on a receipt awaiting approval is recorded as the stock
 * management module allows (returned, corrected to the quantities received, submitted, approved):
 * the facility's stock grows by what was received, once, however often the confirmation is sent.
 * A short confirmation of a transfer out is refused with an OperationOutcome that names the
 * module's rule, and the transfer stays dispatched.
 */
import t from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { drain } from '../../../support/propagation-rig.js';
import { KILIMA_PARTY, startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';
import { submittedReceipt } from '../../../support/openmrs-receipts.js';

t.test('a SupplyDelivery confirming fewer than sent', async (t) => {
  const rig = await startOpenMrsRig('openmrs-partial-e2e');
  t.teardown(() => rig.close());
  const { sb, fhir, mediator } = rig;
  const itemOf = (drug: string) => [...sb.stock.items.values()].find((i) => i.drugUuid === drug)!.uuid;
  const inProgress = async () => {
    const search = await fhir(
      'GET',
      `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
    );
    t.equal(search.status, 200, why(search));
    return (search.body.entry ?? []).map((e: any) => e.resource);
  };
  /** The delivery marked completed, each item received as shipped less `short[i]`. */
  const confirmShort = (delivery: any, short: number[]) => {
    const confirmed = structuredClone(delivery);
    confirmed.status = 'completed';
    confirmed.suppliedItem.forEach((item: any, i: number) => {
      const shipped = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
      item.quantity = { ...shipped, value: shipped.value - (short[i] ?? 0) };
    });
    return confirmed;
  };

  await t.test('a receipt: recorded with the quantities received, once', async (t) => {
    const receipt = submittedReceipt(sb, [{ drug: DRUGS.amoxicillin, batchNo: 'AMX-9', quantity: 300 }]);
    const before = sb.stock.quantity(KILIMA_PARTY, itemOf(DRUGS.amoxicillin));
    const [delivery] = (await inProgress()).filter((d: any) => JSON.stringify(d).includes(receipt.operationNumber));
    t.ok(delivery, `the receipt ${receipt.operationNumber} reads as an in-progress SupplyDelivery`);
    const over = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmShort(delivery, [-10]));
    t.equal(over.status, 422, why(over));
    t.match(over.body.issue, [
      {
        diagnostics: /cannot receive more than was sent on a receipt \(310 received, 300 sent\)/,
        expression: ['SupplyDelivery.suppliedItem[0].quantity'],
      },
    ]);
    const confirmed = confirmShort(delivery, [45]);

    const put = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmed);
    t.ok(put.status < 300, why(put));
    await until(
      'the receipt approved',
      async () => sb.stock.operations.get(receipt.uuid)!.status === 'COMPLETED',
      10_000,
    );
    const again = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmed);
    t.ok(again.status < 300, why(again));
    await drain(mediator.store); // the second confirmation's job, if it was queued, has run

    const op = sb.stock.operations.get(receipt.uuid)!;
    t.same(op.statusHistory, ['NEW', 'SUBMITTED', 'RETURNED', 'SUBMITTED', 'COMPLETED']);
    t.same(
      op.items.map((i) => i.quantity),
      [255],
      'the line holds what was received',
    );
    t.equal(sb.store.writes['stockoperation.approve.receipt'], 1, 'approved once');
    t.equal(sb.store.writes['stockoperation.return.receipt'], 1, 'returned once');
    t.equal(sb.stock.quantity(KILIMA_PARTY, itemOf(DRUGS.amoxicillin)) - before, 255, 'the stock received, added once');
    const read = await fhir('GET', `/fhir/R5/SupplyDelivery/${delivery.id}`);
    t.equal(read.status, 200, why(read));
    t.equal(read.body.status, 'completed');
    t.equal(read.body.suppliedItem[0].quantity.value, 255, 'reads back with the quantity received');
  });

  await t.test('a transfer out: refused with the module rule named; nothing changes', async (t) => {
    const requisition = sb.stock.create(
      {
        operationTypeUuid: sb.stock.typeUuid('requisition'),
        sourceUuid: 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281', // Mwangaza supplies
        destinationUuid: KILIMA_PARTY,
        operationDate: '2026-12-01T07:00:00.000+0000',
        stockOperationItems: [{ stockItemUuid: itemOf(DRUGS.amoxicillin), quantity: 100 }],
      },
      sb.store.userByName('admin')!,
      true,
    );
    sb.stock.act({ name: 'SUBMIT', uuid: requisition.uuid }, true);
    const transfer = sb.stock.fulfil(requisition.uuid);
    const [delivery] = (await inProgress()).filter((d: any) => JSON.stringify(d).includes(transfer.operationNumber));
    t.ok(delivery, `the transfer ${transfer.operationNumber} reads as an in-progress SupplyDelivery`);
    const put = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmShort(delivery, [10]));
    t.equal(put.status, 422, why(put));
    t.match(put.body, {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          diagnostics: /completes a transfer as shipped .*QUANTITY_RECEIVED/,
          expression: ['SupplyDelivery.suppliedItem[0].quantity'],
        },
      ],
    });
    // a line for a product the transfer did not carry is named by its own item
    const unsent = confirmShort(delivery, [0]);
    unsent.suppliedItem.push({
      ...structuredClone(unsent.suppliedItem[0]),
      itemCodeableConcept: { coding: [{ system: 'https://www.gs1.org/gtin', code: '10860012300072' }] },
    });
    const notShipped = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, unsent);
    t.equal(notShipped.status, 422, why(notShipped));
    t.match(notShipped.body.issue, [
      {
        diagnostics: new RegExp(`product 10860012300072 was not shipped in ${transfer.operationNumber}`),
        expression: ['SupplyDelivery.suppliedItem[1]'],
      },
    ]);
    t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'DISPATCHED', 'still on its way');
    t.notOk(sb.store.writes['stockoperation.complete.stockissue'], 'not completed');
  });
});
