/**
 * SupplyRequest.authoredOn as the client sent it (issue 16): a phone that was offline writes an
 * order on one day and uploads it days later; the order reads back, is searched by `date`, and
 * downloads with the client's authoredOn, never the time the upstream created its requisition.
 * OpenLMIS keeps it in the requisition's extraData, Open mSupply in the request requisition's
 * comment: each checked in the sandbox's own state, through the real mediator.
 */
import t, { type Test } from 'tap';
import { startMsupplyRig, toStore } from '../../support/msupply-e2e.js';
import { orderLine, startRig, why, type Rig } from '../../support/openlmis-e2e.js';

/** Days before the sandboxes create anything: the order waited on the phone. */
const AUTHORED = '2026-11-20T08:15:00+03:00';

/** Every line a search finds: its id (the client's) and authoredOn. */
async function found(rig: Rig, query: string): Promise<string[]> {
  const res = await rig.fhir('GET', `/fhir/SupplyRequest?${query}`);
  if (res.status !== 200) throw new Error(`search ${query}: ${why(res)}`);
  return (res.body.entry ?? []).map((e: any) => `${e.resource.id} ${e.resource.authoredOn}`);
}

/** Searches by `date` that must find the order (authored on 20 Nov, under the client's id) and ones that must not. */
async function checkDateSearch(t: Test, rig: Rig, order: string, id: string): Promise<void> {
  const number = `identifier=${encodeURIComponent(order)}`;
  const it = [`${id} ${AUTHORED}`];
  t.same(await found(rig, `${number}&date=2026-11-20`), it, 'date=the day it was authored');
  t.same(await found(rig, `${number}&date=le2026-11-20T06:00:00Z`), it, 'authored before 06:00Z');
  t.same(await found(rig, `${number}&date=lt2026-11-20T05:00:00Z`), [], 'not authored before 05:00Z');
  t.same(await found(rig, `${number}&date=ge2026-11-21`), [], 'not authored from the next day on');
}

t.test('OpenLMIS keeps the client’s authoredOn in the requisition’s extraData', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
  const line = {
    ...orderLine({ order: 'AUTH-LMIS-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 60 }),
    id: 'auth-lmis-1',
    authoredOn: AUTHORED,
  };
  const created = await rig.fhir('PUT', '/fhir/SupplyRequest/auth-lmis-1', line);
  t.equal(created.status, 201, why(created));
  t.equal(created.body.authoredOn, AUTHORED, 'the answer carries it');
  const [requisition] = rig.lmis.sb.state
    .requisitionsByStatus()
    .filter((r: any) => r.extraData?.fhirOrderNumber?.value === 'AUTH-LMIS-1');
  t.equal(requisition.extraData.fhirAuthoredOn, AUTHORED, 'kept in OpenLMIS beside the order number');
  t.not(requisition.createdDate.slice(0, 10), '2026-11-20', 'OpenLMIS created the requisition on another day');

  const read = await rig.fhir('GET', '/fhir/SupplyRequest/auth-lmis-1');
  t.equal(read.status, 200, why(read));
  t.equal(read.body.authoredOn, AUTHORED, 'a read gives it back');
  await checkDateSearch(t, rig, 'AUTH-LMIS-1', 'auth-lmis-1');

  // the same order again (a retried upload) is the same write: authoredOn is no change
  const again = await rig.fhir('PUT', '/fhir/SupplyRequest/auth-lmis-1', line);
  t.equal(again.status, 200, why(again));
  t.equal(requisition.extraData.fhirOrderRevision, undefined, 'no amendment was sent');

  // a change keeps it: the amendment's PUT sends extraData back with it
  const changed = await rig.fhir('PUT', '/fhir/SupplyRequest/auth-lmis-1', {
    ...line,
    quantity: { ...line.quantity, value: 90 },
  });
  t.equal(changed.status, 200, why(changed));
  t.equal(requisition.extraData.fhirOrderRevision, 1, 'the change reached OpenLMIS');
  t.equal(requisition.extraData.fhirAuthoredOn, AUTHORED, 'authoredOn stays through the change');
  t.equal((await rig.fhir('GET', '/fhir/SupplyRequest/auth-lmis-1')).body.authoredOn, AUTHORED);
});

t.test('Open mSupply keeps the client’s authoredOn in the request requisition’s comment', async (t) => {
  const rig = await startMsupplyRig(
    {
      orders: { ...toStore('store-hc-north'), default: null },
      deliveries: { default: 'msupply' },
      stock: { default: 'msupply' },
      facilities: { default: 'msupply' },
    },
    { OPENLMIS_BASE_URL: '' },
  );
  t.teardown(() => rig.close());
  const { ms } = rig;
  const line = {
    ...orderLine({
      order: 'AUTH-MS-1',
      facilityId: 'store-hc-north',
      program: 'EM01',
      productCode: 'EM-AMX250',
      qty: 100,
    }),
    id: 'auth-ms-1',
    authoredOn: AUTHORED,
  };
  const created = await rig.fhir('PUT', '/fhir/SupplyRequest/auth-ms-1', line);
  t.equal(created.status, 201, why(created));
  const request = [...ms.state.requisitions.values()].find(
    (r) => r.type === 'REQUEST' && r.theirReference === 'AUTH-MS-1',
  )!;
  t.match(request.comment, `FHIR authoredOn ${AUTHORED}`, 'kept in the comment, on a line of its own');
  t.not(request.createdDatetime.slice(0, 10), '2026-11-20', 'Open mSupply created it on another day');

  const read = await rig.fhir('GET', '/fhir/SupplyRequest/auth-ms-1');
  t.equal(read.status, 200, why(read));
  t.equal(read.body.authoredOn, AUTHORED, 'a read gives it back');
  await checkDateSearch(t, rig, 'AUTH-MS-1', 'auth-ms-1');
  const again = await rig.fhir('PUT', '/fhir/SupplyRequest/auth-ms-1', line);
  t.equal(again.status, 200, `the retried upload is the same write: ${why(again)}`);
});
