/**
 * A SupplyDelivery `based-on` search by every id the client can have read for its order line. An
 * app that uploads an order under its own ids (the Android FHIR SDK's `PUT SupplyRequest/[uuid]`)
 * reads the line back under that id, so it asks for the deliveries of
 * `based-on=SupplyRequest/[uuid]`; the delivery names the line by the id derived from the order
 * number and product (a read of which answers 301 to the app's). Both find the delivery, as the
 * line's reads do: the app's id is asked as its order's upstream id (its link's), which Open
 * mSupply's deliveries (the shipment's requisition) and OpenLMIS's (the order's requisition) match.
 * A based-on search by the app's id found nothing. Through the Open mSupply and OpenLMIS
 * sandboxes, on both store engines.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { orderLine, startRigOn, why, type Rig } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: 'msupply' };
const R5 = '/fhir/R5/SupplyDelivery';
const quick = { OUTBOX_SETTLE_MS: '200', OUTBOX_BACKOFF_BASE_MS: '50', OUTBOX_BACKOFF_CAP_MS: '200' };

const basedOn = (line: string) => `based-on=${encodeURIComponent(`SupplyRequest/${line}`)}`;

/** The ids of what a search answers. */
async function idsOf(t: Test, rig: Pick<Rig, 'fhir'>, query: string): Promise<string[]> {
  const res = await rig.fhir('GET', query);
  t.equal(res.status, 200, `${query}: ${why(res)}`);
  return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
}

/** An order line `PUT` under the app's own id, created. */
async function putUnderAppId(t: Test, rig: Pick<Rig, 'fhir'>, line: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${id}`, { ...line, id });
  t.equal(put.status, 201, `PUT creates: ${why(put)}`);
  return id;
}

/** The order line the delivery names (`basedOn`), by the id derived from its order number and product. */
async function namedLine(t: Test, rig: Pick<Rig, 'fhir'>, delivery: string): Promise<string> {
  const read = await rig.fhir('GET', `${R5}/${delivery}`);
  t.equal(read.status, 200, why(read));
  return String(read.body.basedOn?.[0]?.reference ?? '').replace(/^SupplyRequest\//, '');
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: Open mSupply, by the app's line id and the derived one`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(
      t,
      engine,
      { orders: rule, deliveries: rule },
      { OPENLMIS_BASE_URL: '', ...quick },
    );
    const { state } = rig.ms;
    /** Order `number` of one line under the app's id, sent, and shipped by the warehouse. */
    const shippedOrder = async (number: string, productCode: string) => {
      const lineId = await putUnderAppId(
        t,
        rig,
        orderLine({ order: number, facilityId: STORE, program: 'EM01', productCode, qty: 300 }),
      );
      const response = await until(`${number}'s response requisition`, async () =>
        [...state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === number),
      );
      return { lineId, delivery: state.shipResponseRequisition(response.id).inbound!.id };
    };
    const first = await shippedOrder('SDK-BASED-1', 'EM-AMX250');
    const second = await shippedOrder('SDK-BASED-2', 'EM-PCM500');
    const derived = await namedLine(t, rig, first.delivery);
    t.ok(derived && derived !== first.lineId, 'the delivery names its line by the derived id');

    t.same(await idsOf(t, rig, `${R5}?${basedOn(first.lineId)}`), [first.delivery], "by the app's id: that delivery");
    t.same(await idsOf(t, rig, `${R5}?${basedOn(second.lineId)}`), [second.delivery], "the second's by its app id");
    t.same(await idsOf(t, rig, `${R5}?${basedOn(derived)}`), [first.delivery], 'by the id the delivery names');
    const atStore = `destination=${encodeURIComponent(`Location/${STORE}`)}`;
    t.same(
      await idsOf(t, rig, `${R5}?${atStore}&${basedOn(first.lineId)}`),
      [first.delivery],
      "the facility's search by the app's id",
    );
    t.same(await idsOf(t, rig, `${R5}?${atStore}&${basedOn(randomUUID())}`), [], 'an id no order line has: nothing');
  });

  t.test(`${engine.name}: OpenLMIS, by the app's line id and the derived one`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine, quick);
    const { lmis } = rig;
    const facilityId = lmis.seed.facilities['LK-HC-101'];
    const lineId = await putUnderAppId(
      t,
      rig,
      orderLine({ order: 'SDK-BASED-L1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 40 }),
    );
    // OpenLMIS's own people take it on: authorized, approved, released to the depot, shipped
    const requisition = await until('the requisition SUBMITTED', async () =>
      lmis.sb.state
        .requisitionsByStatus()
        .find((r: { facilityId: string; status: string }) => r.facilityId === facilityId && r.status === 'SUBMITTED'),
    );
    const admin = await lmis.login();
    const step = async (name: string) => {
      const res = await lmis.call('POST', `/api/requisitions/${requisition.id}/${name}`, admin);
      t.equal(res.status, 200, `${name}: ${why(res)}`);
    };
    await step('authorize');
    // the approver enters the approved quantities (OpenLMIS refuses an approval without them)
    const authorized = (await lmis.call('GET', `/api/requisitions/${requisition.id}`, admin)).body;
    for (const l of authorized.requisitionLineItems) l.approvedQuantity = l.requestedQuantity ?? 0;
    const filled = await lmis.call('PUT', `/api/requisitions/${requisition.id}`, admin, authorized);
    t.equal(filled.status, 200, `approved quantities: ${why(filled)}`);
    await step('approve');
    const release = await lmis.call('POST', '/api/requisitions/batchReleases', admin, {
      createOrder: true,
      requisitionsToRelease: [{ requisitionId: requisition.id, supplyingDepotId: lmis.seed.facilities['LK-WH-301'] }],
    });
    t.equal(release.status, 201, why(release));
    const order = [...lmis.sb.state.store.orders.values()].find((o) => o.externalId === requisition.id)!;
    lmis.sb.state.shipOrder(order.id);
    const atFacility = `destination=${encodeURIComponent(`Location/${facilityId}`)}`;
    const [delivery] = await idsOf(t, rig, `${R5}?${atFacility}`);
    t.ok(delivery, 'the facility has the delivery');
    const derived = await namedLine(t, rig, delivery);
    t.ok(derived && derived !== lineId, 'the delivery names its line by the derived id');

    t.same(await idsOf(t, rig, `${R5}?${atFacility}&${basedOn(lineId)}`), [delivery], "by the app's id");
    t.same(await idsOf(t, rig, `${R5}?${atFacility}&${basedOn(derived)}`), [delivery], 'by the id the delivery names');
    t.same(await idsOf(t, rig, `${R5}?${atFacility}&${basedOn(randomUUID())}`), [], 'an id no order line has');
  });
}
