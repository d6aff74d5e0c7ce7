/**
 * A receipt confirmed in packs is counted in the dispensing units OpenMRS keeps: 3 packs of 100
 * amoxicillin tablets against 300 sent is the receipt in full (approved as sent, never "corrected"
 * to 3 tablets), 2 packs is 200 received, and 4 packs is more than was sent, a 422 with nothing
 * changed. Through the real mediator and the OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startOpenMrsRig, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';
import { submittedReceipt } from '../../../support/openmrs-receipts.js';

const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';

/** A submitted receipt of `units` amoxicillin (100 a pack, products.json) at Kilima, and its SupplyDelivery. */
async function receiptOf(rig: OpenMrsRig, batchNo: string, units: number) {
  const { sb, fhir } = rig;
  const receipt = submittedReceipt(sb, [{ drug: DRUGS.amoxicillin, batchNo, quantity: units }]);
  const search = await fhir(
    'GET',
    `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
  );
  const delivery = (search.body.entry ?? [])
    .map((e: any) => e.resource)
    .find((d: any) => JSON.stringify(d).includes(receipt.operationNumber));
  return { receipt, delivery };
}

/** The delivery completed with `packs` packs accepted on its one line. */
const inPacks = (delivery: any, packs: number) => {
  const confirmed = structuredClone(delivery);
  confirmed.status = 'completed';
  confirmed.suppliedItem[0].quantity = { value: packs, unit: 'pack', system: UNIT, code: 'pack' };
  return confirmed;
};

for (const engine of engineCases())
  t.test(`${engine.name}: a receipt confirmed in packs`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    const rig = await startOpenMrsRig('openmrs-packs-e2e', { DATABASE_URL: db.databaseUrl });
    t.teardown(async () => {
      await rig.close();
      await db.drop();
    });
    const { sb, fhir } = rig;
    const approved = (uuid: string) =>
      until('the receipt approved', async () => sb.stock.operations.get(uuid)!.status === 'COMPLETED', 10_000);

    const full = await receiptOf(rig, 'AMX-P1', 300);
    t.ok(full.delivery, 'the receipt reads as an in-progress SupplyDelivery');
    const put = await fhir('PUT', `/fhir/R5/SupplyDelivery/${full.delivery.id}`, inPacks(full.delivery, 3));
    t.ok(put.status < 300, why(put));
    await approved(full.receipt.uuid);
    const op = sb.stock.operations.get(full.receipt.uuid)!;
    t.same(op.statusHistory, ['NEW', 'SUBMITTED', 'COMPLETED'], '3 packs of 100 are the 300 sent: approved as sent');
    t.same(
      op.items.map((i) => i.quantity),
      [300],
    );

    const short = await receiptOf(rig, 'AMX-P2', 300);
    const shortPut = await fhir('PUT', `/fhir/R5/SupplyDelivery/${short.delivery.id}`, inPacks(short.delivery, 2));
    t.ok(shortPut.status < 300, why(shortPut));
    await approved(short.receipt.uuid);
    t.same(
      sb.stock.operations.get(short.receipt.uuid)!.items.map((i) => i.quantity),
      [200],
      '2 packs received are 200 tablets',
    );

    const over = await receiptOf(rig, 'AMX-P3', 300);
    const overPut = await fhir('PUT', `/fhir/R5/SupplyDelivery/${over.delivery.id}`, inPacks(over.delivery, 4));
    t.equal(overPut.status, 422, why(overPut));
    t.match(overPut.body.issue?.[0]?.diagnostics, /more than was sent.*400 received, 300 sent/);
    t.equal(sb.stock.operations.get(over.receipt.uuid)!.status, 'SUBMITTED', 'nothing changed');
  });
