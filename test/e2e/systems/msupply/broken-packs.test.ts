/**
 * Open mSupply ships packs of any fraction (numberOfPacks is Float: a warehouse issuing 125
 * tablets of a 50-tablet pack ships 3.5 packs), while a FHIR quantity is whole packs or units.
 * The facility reads the broken packs as the tablets they hold (the mediator used to write 3.5
 * packs, which it then refused to read back) and confirms the tablets that arrived; the inbound
 * shipment is RECEIVED with exactly that (2.5 packs), where it used to be a 422 "not a whole
 * number of packs" that left the delivery unconfirmable. Through the real mediator, both store engines.
 */
import t from 'tap';
import { gtinOf, orderLine, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const UNIT_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a delivery shipped in broken packs is confirmed in tablets`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '', OUTBOX_SETTLE_MS: '200' });
      const { ms } = rig;
      const posted = await rig.fhir(
        'POST',
        '/fhir',
        transactionOf([
          orderLine({
            order: 'MS-HALF-1',
            facilityId: STORE,
            program: 'EM01',
            productCode: 'EM-ORS',
            qty: 3,
            packs: true,
          }),
          orderLine({ order: 'MS-HALF-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
        ]),
      );
      t.equal(posted.status, 200, why(posted));
      const response = await until('the response requisition', async () =>
        [...ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === 'MS-HALF-1'),
      );
      // 175 tablets of ORS (50 a pack) issued: 3.5 packs; 125 arrive
      const { inbound } = ms.state.shipResponseRequisition(response.id, { ORS205S: 3.5 });

      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound!.id}`);
      t.equal(read.status, 200, why(read));
      const shipped = (i: any) => i.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
      const isOrs = (i: any) => i.itemCodeableConcept.coding[0].code === gtinOf('EM-ORS');
      t.match(
        shipped(read.body.suppliedItem.find(isOrs)),
        { value: 175, code: 'dispensing-unit' },
        'the 3.5 packs shipped read as the 175 tablets they hold',
      );

      const confirm = structuredClone(read.body);
      confirm.status = 'completed';
      for (const item of confirm.suppliedItem)
        item.quantity = isOrs(item)
          ? { value: 125, unit: 'dispensing-unit', system: UNIT_SYSTEM, code: 'dispensing-unit' }
          : { ...shipped(item) };
      const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm);
      t.equal(put.status, 200, why(put));
      t.equal(ms.state.invoices.get(inbound!.id)!.status, 'RECEIVED');
      t.same(
        ms.state
          .invoiceLinesOf(inbound!.id)
          .map((l) => [ms.state.items.get(l.itemId)!.code, l.numberOfPacks])
          .sort(),
        [
          ['AMX250T', 3],
          ['ORS205S', 2.5],
        ],
        '125 tablets received as 2.5 packs',
      );

      // the app re-sends the same confirmation after a lost answer: answered as done, nothing set twice
      const again = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm);
      t.equal(again.status, 200, why(again));
      t.equal(
        ms.state.applied.filter((a) => a.mutation === 'updateInboundShipmentLine').length,
        2,
        'each line set once',
      );
      const received = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound!.id}`);
      t.match(
        received.body.suppliedItem.find(isOrs).quantity,
        { value: 125, code: 'dispensing-unit' },
        'reads back as received',
      );
    },
  );
}
