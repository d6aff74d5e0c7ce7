/**
 * A store keeper's app confirms a receipt received short (300 sent, 255 received), then, its
 * answer lost or its count redone, sends a confirmation of other figures under the same delivery.
 * OpenMRS's receipt holds 255 once corrected, so the precheck read 260 against it as "more than
 * was sent (260 received, 255 sent)": a 422 that names a figure never sent and tells the app its
 * count is wrong, where a lower figure got the 409 of a delivery confirmed already. Both are now
 * that 409 at the identifier; the same confirmation again is still the write replayed; nothing
 * changes in OpenMRS. Through the real mediator and the OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { KILIMA_PARTY, startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';
import { stockItemOf, submittedReceipt } from '../../../support/openmrs-receipts.js';

/** The delivery as read, marked completed with `received` of each line. */
function received(delivery: any, value: number) {
  const confirmed = structuredClone(delivery);
  confirmed.status = 'completed';
  for (const item of confirmed.suppliedItem) {
    const shipped = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
    item.quantity = { ...shipped, value };
  }
  return confirmed;
}

for (const engine of engineCases())
  t.test(
    `a receipt confirmed short, then confirmed with other figures: a 409 (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-receipt-again');
      const { sb, fhir } = rig;
      const receipt = submittedReceipt(sb, [{ drug: DRUGS.amoxicillin, batchNo: 'AMX-AGAIN', quantity: 300 }]);
      const stock = () => sb.stock.quantity(KILIMA_PARTY, stockItemOf(sb, DRUGS.amoxicillin));
      const before = stock();
      const search = await fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
      );
      const delivery = (search.body.entry ?? [])
        .map((e: any) => e.resource)
        .find((d: any) => JSON.stringify(d).includes(receipt.operationNumber));
      t.ok(delivery, why(search));

      const short = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, received(delivery, 255));
      t.ok(short.status < 300, why(short));
      await until(
        'the receipt approved',
        async () => sb.stock.operations.get(receipt.uuid)!.status === 'COMPLETED',
        10_000,
      );
      const writes = { ...sb.store.writes };

      for (const other of [260, 250]) {
        const again = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, received(delivery, other));
        t.equal(again.status, 409, `${other} received: ${why(again)}`);
        t.same(
          again.body.issue.map((i: any) => i.expression),
          [['SupplyDelivery.identifier']],
        );
        t.match(why(again), /already used for a different delivery payload/);
      }
      const same = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, received(delivery, 255));
      t.equal(same.status, 200, `the same confirmation again: ${why(same)}`);

      t.same(sb.store.writes, writes, 'nothing sent to OpenMRS again');
      t.same(
        sb.stock.operations.get(receipt.uuid)!.items.map((i) => i.quantity),
        [255],
        'the receipt holds what was received',
      );
      t.equal(stock() - before, 255, 'added once');
    },
  );
