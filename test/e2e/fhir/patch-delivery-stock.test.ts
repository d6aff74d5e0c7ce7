/**
 * JSON Patch (RFC 6902) on SupplyDelivery and InventoryReport (issue 16), as the Android FHIR SDK
 * uploads a local edit of a downloaded resource: applied to the current resource, validated as a
 * PUT would be, guarded by If-Match, as a request and as a Binary entry of a transaction. Real
 * mediator, Open mSupply sandbox.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { packCountAt, startMsupplyRig, toStore } from '../../support/msupply-e2e.js';
import { binary, patchHeaders } from '../../support/android-sdk.js';
import { gtinOf, orderLine, why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };

t.test('a delivery confirmed and a count corrected by JSON Patch reach Open mSupply', async (t) => {
  const rig = await startMsupplyRig(
    { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } },
    { OPENLMIS_BASE_URL: '', OUTBOX_SETTLE_MS: '200', OUTBOX_BACKOFF_BASE_MS: '50', OUTBOX_BACKOFF_CAP_MS: '200' },
  );
  t.teardown(() => rig.close());
  const { ms } = rig;

  // an order, shipped by the warehouse: the store downloads the inbound delivery
  const lineId = randomUUID();
  const order = {
    ...orderLine({ order: 'PATCH-MS-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    id: lineId,
  };
  t.equal((await rig.fhir('PUT', `/fhir/SupplyRequest/${lineId}`, order)).status, 201);
  const response = await until('the response requisition', async () =>
    [...ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === 'PATCH-MS-1'),
  );
  const { inbound } = ms.state.shipResponseRequisition(response.id);
  const delivery = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound!.id}`);
  t.equal(delivery.status, 200, why(delivery));
  const etag = delivery.headers.get('etag')!;
  t.match(etag, /^W\/"/, 'the download carries its version');
  const shipped = delivery.body.suppliedItem.map(
    (item: any) => item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity,
  );
  const confirm = [
    { op: 'replace', path: '/status', value: 'completed' },
    ...shipped.map((q: unknown, i: number) => ({ op: 'add', path: `/suppliedItem/${i}/quantity`, value: q })),
  ];

  const stale = await rig.fhir('PATCH', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm, {
    ...patchHeaders,
    'if-match': 'W/"not-this-version"',
  });
  t.equal(stale.status, 412, `a patch made from another version: ${why(stale)}`);
  t.not(ms.state.invoices.get(inbound!.id)!.status, 'RECEIVED', 'and nothing is received');
  const invalid = await rig.fhir(
    'PATCH',
    `/fhir/R5/SupplyDelivery/${inbound!.id}`,
    [{ op: 'replace', path: '/status', value: 'delivered' }],
    patchHeaders,
  );
  t.equal(invalid.status, 400, `a patch that makes an invalid resource: ${why(invalid)}`);
  t.same(invalid.body.issue[0].expression, ['SupplyDelivery.status']);

  const confirmed = await rig.fhir('PATCH', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm, {
    ...patchHeaders,
    'if-match': etag,
  });
  t.equal(confirmed.status, 200, `the delivery confirmed by a patch: ${why(confirmed)}`);
  t.equal(confirmed.body.status, 'completed');
  t.equal(ms.state.invoices.get(inbound!.id)!.status, 'RECEIVED', 'the inbound shipment is RECEIVED');

  // a count, then the same count corrected by a Binary PATCH in a transaction (the SDK's bundle upload)
  const paracetamol = gtinOf('EM-PCM500');
  const countId = randomUUID();
  const count = packCountAt({ id: countId, value: 'PATCH-MS-CNT-1', store: STORE, gtin: paracetamol, packs: 7 });
  const counted = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, count);
  t.equal(counted.status, 201, why(counted));
  const stocktakes = () => [...ms.state.stocktakes.values()].length;
  const before = stocktakes();
  const corrected = await rig.fhir('POST', '/fhir/R5', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: binary([
          { op: 'test', path: '/inventoryListing/0/item/0/quantity/value', value: 7 },
          { op: 'replace', path: '/inventoryListing/0/item/0/quantity/value', value: 8 },
        ]),
        request: { method: 'PATCH', url: `InventoryReport/${countId}`, ifMatch: counted.headers.get('etag') },
      },
    ],
  });
  // a count is an event in Open mSupply (a finalised stocktake): the patched count is refused as the
  // same edit by PUT is, naming the identifier, and nothing is counted again
  t.equal(corrected.status, 409, `a recorded count is not changed in place: ${why(corrected)}`);
  t.same(corrected.body.issue[0].expression, ['Bundle.entry[0].resource.identifier']);
  t.match(why(corrected), /PATCH-MS-CNT-1.*use a new identifier/);
  const patched = structuredClone(count);
  patched.inventoryListing[0].item[0].quantity.value = 8;
  const asPut = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, patched);
  t.equal(asPut.status, corrected.status, `the same edit as a PUT is answered alike: ${why(asPut)}`);
  const asRequest = await rig.fhir(
    'PATCH',
    `/fhir/R5/InventoryReport/${countId}`,
    [{ op: 'replace', path: '/inventoryListing/0/item/0/quantity/value', value: 8 }],
    patchHeaders,
  );
  t.equal(asRequest.status, 409, `and as a PATCH request: ${why(asRequest)}`);
  t.equal(stocktakes(), before, 'no second stocktake');
  const read = await rig.fhir('GET', `/fhir/R5/InventoryReport/${countId}`);
  t.equal(read.body.inventoryListing[0].item[0].quantity.value, 7, 'the count reads back as recorded');
});
