/**
 * A receipt confirmed naming its product by a coding the read did not show first (the app's own
 * code, then the GTIN, as issue 16 lets any write name a product) is matched to the shipped line
 * by the drug it maps to, as every other write matches products: received short as it says, not
 * refused as "not shipped". Through the real mediator and the OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { GTIN, startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';
import { submittedReceipt } from '../../../support/openmrs-receipts.js';

const AMOXICILLIN = '10860012300058';

for (const engine of engineCases())
  t.test(`${engine.name}: a receipt confirmed under the app's own coding first`, { skip: engine.skip }, async (t) => {
    const rig = await startOpenMrsRigOn(t, engine, 'openmrs-codings-e2e');
    const { sb, fhir } = rig;
    const receipt = submittedReceipt(sb, [{ drug: DRUGS.amoxicillin, batchNo: 'AMX-C1', quantity: 300 }]);
    const search = await fhir(
      'GET',
      `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
    );
    const delivery = search.body.entry
      .map((e: any) => e.resource)
      .find((d: any) => JSON.stringify(d).includes(receipt.operationNumber));
    t.ok(delivery, 'the receipt reads as an in-progress SupplyDelivery');

    const confirmed = structuredClone(delivery);
    confirmed.status = 'completed';
    const item0 = confirmed.suppliedItem[0];
    item0.itemCodeableConcept = {
      coding: [
        { system: 'https://app.example.org/products', code: 'AMOX-250' },
        { system: GTIN, code: AMOXICILLIN },
      ],
    };
    const shipped = item0.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
    item0.quantity = { ...shipped, value: 250 };
    const put = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirmed);
    t.ok(put.status < 300, why(put));
    await until(
      'the receipt approved',
      async () => sb.stock.operations.get(receipt.uuid)!.status === 'COMPLETED',
      10_000,
    );
    t.same(
      sb.stock.operations.get(receipt.uuid)!.items.map((i) => i.quantity),
      [250],
      'received short, as confirmed',
    );
  });
