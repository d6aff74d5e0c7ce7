/**
 * A day of one Open mSupply store's work as the Android FHIR SDK sends it (issue 16), replayed
 * through the real mediator process against the Open mSupply sandbox, the only system: the
 * incremental Location download; an order uploaded as `PUT SupplyRequest/[id]`, then another in a
 * transaction Bundle of PUT entries; a local edit of a sent order as a JSON Patch, which Open
 * mSupply refuses (a SENT request requisition cannot change: 409 naming SENT, nothing changed),
 * alone and as a Binary PATCH in a Bundle; a stock count; a delivery confirmed; and the whole
 * upload retried after a lost answer, nothing applied twice. Every check reads the sandbox's state.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { packCountAt, startMsupplyRig, toStore } from '../../support/msupply-e2e.js';
import { binary, download, patchHeaders, putTransaction } from '../../support/android-sdk.js';
import { gtinOf, orderLine, why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };

t.test('a day of Android FHIR SDK sync against Open mSupply', async (t) => {
  const rig = await startMsupplyRig(
    { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } },
    { OPENLMIS_BASE_URL: '', OUTBOX_SETTLE_MS: '200', OUTBOX_BACKOFF_BASE_MS: '50', OUTBOX_BACKOFF_CAP_MS: '200' },
  );
  t.teardown(() => rig.close());
  const { ms } = rig;
  const requestOf = (order: string) =>
    [...ms.state.requisitions.values()].find((r) => r.type === 'REQUEST' && r.theirReference === order);
  const linesOf = (order: string) =>
    ms.state
      .linesOf(requestOf(order)!.id)
      .map((l: any) => [ms.state.items.get(l.itemId)!.code, l.requestedQuantity])
      .sort();
  const inserts = () => ms.state.applied.filter((a) => a.mutation === 'insertRequestRequisition').length;

  // morning: the first download brings every store
  const first = await download(rig, '1970-01-01T00:00:00Z');
  t.ok(
    [...ms.state.stores.keys()].every((id) => first.ids.includes(id)),
    `every Open mSupply store (${first.pages} pages)`,
  );
  t.equal(new Set(first.ids).size, first.ids.length, 'none twice');
  t.notMatch(first.latest, /^1970/, 'stamped, never 1970');
  // stores are renamed in Open mSupply's central server, not by the app: the next download is empty
  t.same((await download(rig, first.latest)).ids, [], 'nothing changed since the morning');

  // a new order, uploaded on its own as PUT under the app's id
  const lineA = randomUUID();
  const orderA = {
    ...orderLine({ order: 'SDK-MS-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    id: lineA,
  };
  const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${lineA}`, orderA);
  t.equal(put.status, 201, `PUT creates: ${why(put)}`);
  const sentA = await until('SDK-MS-1 SENT in Open mSupply', async () =>
    requestOf('SDK-MS-1')?.status === 'SENT' ? requestOf('SDK-MS-1') : undefined,
  );
  t.ok(sentA, 'the request requisition is SENT');
  t.same(linesOf('SDK-MS-1'), [['AMX250T', 300]], 'its one line, in units');

  // a two-line order uploaded as a transaction Bundle of PUT entries
  const [lineB, lineC] = [randomUUID(), randomUUID()];
  const bundle = putTransaction([
    {
      ...orderLine({ order: 'SDK-MS-2', facilityId: STORE, program: 'EM01', productCode: 'EM-PCM500', qty: 2000 }),
      id: lineB,
    },
    {
      ...orderLine({
        order: 'SDK-MS-2',
        facilityId: STORE,
        program: 'EM01',
        productCode: 'EM-ORS',
        qty: 4,
        packs: true,
      }),
      id: lineC,
    },
  ]);
  const tx = await rig.fhir('POST', '/fhir', bundle);
  t.equal(tx.status, 200, why(tx));
  t.same(
    tx.body.entry?.map((e: { response: { status: string } }) => e.response.status.slice(0, 3)),
    ['201', '201'],
  );
  await until('SDK-MS-2 SENT', async () => (requestOf('SDK-MS-2')?.status === 'SENT' ? true : undefined));
  t.equal(linesOf('SDK-MS-2').length, 2, 'both lines on one request requisition');

  // what was sent is what downloads back: the app's ids, authoredOn (kept in the requisition's comment)
  const orderLines = await download(rig, '1970-01-01T00:00:00Z', 'SupplyRequest');
  const sentLines = [orderA, ...bundle.entry.map((e: { resource: any }) => e.resource)];
  t.same(
    sentLines.map((l) => orderLines.resources.get(l.id)?.authoredOn),
    sentLines.map((l) => l.authoredOn),
    'every order line downloads under the app’s id with the authoredOn it was sent with',
  );
  t.equal(orderLines.ids.length, sentLines.length, 'and no second copy of any of them');

  // the nurse edits the sent order on the phone: Open mSupply refuses, naming SENT, and nothing changes
  const before = JSON.stringify(linesOf('SDK-MS-1'));
  const edited = { ...orderA, quantity: { ...orderA.quantity, value: 500 } };
  const putEdit = await rig.fhir('PUT', `/fhir/SupplyRequest/${lineA}`, edited);
  t.equal(putEdit.status, 409, `the edit as a whole resource: ${why(putEdit)}`);
  t.match(why(putEdit), /is SENT in Open mSupply/, 'the refusal names SENT');
  // the SDK sends the same edit as a JSON Patch, applied to the order as read back, which carries
  // no category (Open mSupply keeps no program on a requisition): the order keeps its program
  const edit = [{ op: 'replace', path: '/quantity/value', value: 500 }];
  const patched = await rig.fhir('PATCH', `/fhir/SupplyRequest/${lineA}`, edit, patchHeaders);
  t.ok(patched.status >= 400 && patched.status < 500, `the PATCH is refused: ${why(patched)}`);
  t.equal(patched.status, 409, 'as a conflict');
  t.match(why(patched), /SENT/, 'naming SENT');
  const patchTx = await rig.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: binary(edit), request: { method: 'PATCH', url: `SupplyRequest/${lineA}` } }],
  });
  t.equal(patchTx.status, 409, `the same edit as a Binary PATCH in a Bundle: ${why(patchTx)}`);
  t.match(why(patchTx), /SENT/, 'naming SENT');
  // and as a whole resource in a transaction Bundle: the same refusal, from the connector
  const putEditTx = await rig.fhir('POST', '/fhir', putTransaction([edited]));
  t.equal(putEditTx.status, 409, `the whole-resource edit in a Bundle: ${why(putEditTx)}`);
  t.match(why(putEditTx), /SENT/, 'naming SENT');
  t.equal(JSON.stringify(linesOf('SDK-MS-1')), before, 'the requisition line is unchanged');

  // the warehouse ships SDK-MS-1; the store confirms what arrived
  const response = await until('the response requisition', async () =>
    [...ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === 'SDK-MS-1'),
  );
  const { inbound } = ms.state.shipResponseRequisition(response.id);
  const delivery = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound!.id}`);
  t.equal(delivery.status, 200, why(delivery));
  const confirm = structuredClone(delivery.body);
  confirm.status = 'completed';
  for (const item of confirm.suppliedItem)
    item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  const confirmed = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm);
  t.equal(confirmed.status, 200, why(confirmed));
  t.equal(ms.state.invoices.get(inbound!.id)!.status, 'RECEIVED', 'the inbound shipment is RECEIVED');

  // a stock count of paracetamol
  const paracetamol = gtinOf('EM-PCM500');
  const units = (report: any) =>
    report.inventoryListing[0].item
      .filter((i: any) => i.item.concept.coding[0].code === paracetamol)
      .reduce((n: number, i: any) => n + i.quantity.value, 0);
  const stockNow = async () => {
    const res = await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${STORE}`)}`);
    if (res.status !== 200) throw new Error(why(res));
    return units(res.body.entry[0].resource);
  };
  const countId = randomUUID();
  const count = packCountAt({ id: countId, value: 'SDK-MS-CNT-1', store: STORE, gtin: paracetamol, packs: 7 });
  const counted = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, count);
  t.equal(counted.status, 201, `the count, PUT under the app's id: ${why(counted)}`);
  t.equal(await stockNow(), 7_000, 'stock on hand is what was counted (7 packs of 1000)');
  const countRead = await rig.fhir('GET', `/fhir/R5/InventoryReport/${countId}`);
  t.same(
    countRead.body.inventoryListing.map((l: { countingDateTime: string }) => l.countingDateTime),
    ['2026-11-21T08:40:00+03:00'],
    'the count reads back with countingDateTime as sent',
  );
  t.same(
    [...ms.state.stocktakes.values()].map((s) => s.stocktakeDate),
    ['2026-11-21'],
    'Open mSupply dates the stocktake the day it was counted (stocktakeDate, a date)',
  );

  // the app lost every answer and uploads the whole day again: nothing happens twice in Open mSupply
  const countsBefore = JSON.stringify(ms.state.counts());
  const insertsBefore = inserts();
  const again = await rig.fhir('PUT', `/fhir/SupplyRequest/${lineA}`, orderA);
  t.equal(again.status, 200, `the repeated PUT changes nothing: ${why(again)}`);
  const txAgain = await rig.fhir('POST', '/fhir', bundle);
  t.equal(txAgain.status, 200, why(txAgain));
  const countAgain = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, count);
  t.ok(countAgain.status < 300, `the repeated count: ${why(countAgain)}`);
  // the identical confirmation again: the same write, answered as done, nothing received twice
  const confirmAgain = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm);
  t.ok(confirmAgain.status < 300, `recognised as the same confirmation: ${why(confirmAgain)}`);
  await new Promise((r) => setTimeout(r, 500)); // let any queued write reach the sandbox before counting
  t.equal(inserts(), insertsBefore, 'no second request requisition');
  t.equal(JSON.stringify(ms.state.counts()), countsBefore, 'no other change in Open mSupply');
  t.equal(await stockNow(), 7_000, 'stock unchanged');
});
