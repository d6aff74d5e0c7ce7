/**
 * Orders that can be changed and cancelled (issue 16), end to end through the real mediator and
 * the OpenLMIS sandbox: a PUT that changes an order's quantity changes its requisition while
 * OpenLMIS allows (INITIATED, REJECTED, SUBMITTED), once, as a new revision; a DELETE or status
 * cancelled deletes it; past AUTHORIZED both are refused naming that status, and nothing changes.
 */
import t from 'tap';
import { orderLine, startRig, transactionOf, why, type Rig } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

/** The requisitions of one facility and program in the sandbox (they carry the order number in extraData). */
function requisitionsOf(rig: Rig, facilityCode: string, program: string): any[] {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  return rig.lmis.sb.state
    .requisitionsByStatus()
    .filter((r: any) => r.facilityId === facilityId && r.programId === rig.lmis.seed.programs[program]);
}

function requested(r: any): Record<string, number | null> {
  return Object.fromEntries(
    r.lineItems.filter((l: any) => l.requestedQuantity !== null).map((l: any) => [l.orderableId, l.requestedQuantity]),
  );
}

async function authorize(rig: Rig, id: string): Promise<void> {
  const token = await rig.lmis.login('mediator');
  const res = await rig.lmis.call('POST', `/api/requisitions/${id}/authorize`, token);
  if (res.status !== 200) throw new Error(`authorize: ${res.status} ${JSON.stringify(res.body)}`);
}

t.test('change an order: quantity, replay, reuse of its number, past AUTHORIZED', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-102'];
  const line = (qty: number) => ({
    ...orderLine({ order: 'AMEND-1', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty }),
    id: 'amend-1-amx',
  });

  const created = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-1-amx', line(200));
  t.equal(created.status, 201, why(created));
  const [req] = requisitionsOf(rig, 'LK-HC-102', 'EM01');
  t.equal(req.status, 'SUBMITTED');
  t.same(Object.values(requested(req)), [200]);

  const changed = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-1-amx', line(300));
  t.equal(changed.status, 200, why(changed));
  t.equal(changed.body.quantity.value, 300, 'the answer reads the changed requisition back');
  t.equal(requisitionsOf(rig, 'LK-HC-102', 'EM01').length, 1, 'the same requisition, changed in place');
  t.same(Object.values(requested(req)), [300]);
  t.equal(req.extraData.fhirOrderRevision, 1, 'the requisition holds revision 1');

  // the same change again (a client retry): a duplicate, no second PUT
  const before = rig.lmis.sb.state.requestCount();
  const replay = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-1-amx', line(300));
  t.equal(replay.status, 200, why(replay));
  const puts = rig.lmis.sb.state.requestLog(before).filter((r: any) => r.method === 'PUT');
  t.same(puts, [], 'no requisition PUT for a replayed change');
  t.equal(req.extraData.fhirOrderRevision, 1);

  // a different order (POST: a new order) reusing the number is still a conflict
  const reused = await rig.fhir('POST', '/fhir/SupplyRequest', { ...line(50), id: undefined });
  t.equal(reused.status, 409, why(reused));

  // back to 200: a new revision again, not a duplicate of the first write
  const back = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-1-amx', line(200));
  t.equal(back.status, 200, why(back));
  t.same(Object.values(requested(req)), [200]);
  t.equal(req.extraData.fhirOrderRevision, 2);

  await authorize(rig, req.id);
  const late = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-1-amx', line(400));
  t.equal(late.status, 409, why(late));
  t.match(why(late), /AUTHORIZED in OpenLMIS/, 'names the upstream state that forbids it');
  t.same(Object.values(requested(req)), [200], 'nothing changed upstream');
  const read = await rig.fhir('GET', '/fhir/SupplyRequest/amend-1-amx');
  t.equal(read.status, 200, why(read));
  t.equal(read.body.quantity.value, 200, 'the order still reads as OpenLMIS holds it');

  const cancelLate = await rig.fhir('DELETE', '/fhir/SupplyRequest/amend-1-amx');
  t.equal(cancelLate.status, 409, why(cancelLate));
  t.match(why(cancelLate), /AUTHORIZED/);
  t.equal(requisitionsOf(rig, 'LK-HC-102', 'EM01').length, 1, 'the authorized requisition stays');
});

t.test('cancel an order: DELETE deletes its requisition; status cancelled by PUT too', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-103'];
  const line = (order: string, id: string, status = 'active') => ({
    ...orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 120, priority: 'urgent' }),
    id,
    status,
  });

  t.equal((await rig.fhir('PUT', '/fhir/SupplyRequest/cancel-1', line('CANCEL-1', 'cancel-1'))).status, 201);
  t.equal(requisitionsOf(rig, 'LK-HC-103', 'EM01').length, 1);
  const deleted = await rig.fhir('DELETE', '/fhir/SupplyRequest/cancel-1');
  t.equal(deleted.status, 200, why(deleted));
  t.equal(requisitionsOf(rig, 'LK-HC-103', 'EM01').length, 0, 'the requisition is deleted in OpenLMIS');
  const read = await rig.fhir('GET', '/fhir/SupplyRequest/cancel-1');
  t.equal(read.status, 200, why(read));
  t.equal(read.body.status, 'cancelled');
  const again = await rig.fhir('DELETE', '/fhir/SupplyRequest/cancel-1');
  t.equal(again.status, 200, `a second DELETE changes nothing: ${why(again)}`);
  const changeCancelled = await rig.fhir('PUT', '/fhir/SupplyRequest/cancel-1', line('CANCEL-1', 'cancel-1'));
  t.equal(changeCancelled.status, 409, why(changeCancelled));

  t.equal((await rig.fhir('PUT', '/fhir/SupplyRequest/cancel-2', line('CANCEL-2', 'cancel-2'))).status, 201);
  const byPut = await rig.fhir('PUT', '/fhir/SupplyRequest/cancel-2', line('CANCEL-2', 'cancel-2', 'cancelled'));
  t.equal(byPut.status, 200, why(byPut));
  t.equal(byPut.body.status, 'cancelled');
  t.equal(requisitionsOf(rig, 'LK-HC-103', 'EM01').length, 0);
});

t.test('a change that meets a failing OpenLMIS is queued and applied once', async (t) => {
  const rig = await startRig({ OUTBOX_DEADLINE_MS: '300' });
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-DH-201'];
  const line = (qty: number) => ({
    ...orderLine({ order: 'AMEND-R', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty, priority: 'urgent' }),
    id: 'amend-r',
  });
  const first = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-r', line(10));
  t.ok([201, 202].includes(first.status), why(first));
  await until(
    'the order submitted',
    async () => requisitionsOf(rig, 'LK-DH-201', 'EM01').some((r) => r.status === 'SUBMITTED') || undefined,
  );
  rig.lmis.sb.faults.add({
    method: 'PUT',
    path: '/api/requisitions/*',
    action: { type: 'status', status: 503 },
    times: 4,
  });
  const changed = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-r', line(25));
  t.equal(changed.status, 202, `queued while OpenLMIS fails: ${why(changed)}`);
  const [req] = requisitionsOf(rig, 'LK-DH-201', 'EM01');
  await until('the change applied', async () => req.extraData.fhirOrderRevision === 1 || undefined, 30_000);
  t.same(Object.values(requested(req)), [25]);
  const replay = await rig.fhir('PUT', '/fhir/SupplyRequest/amend-r', line(25));
  t.equal(replay.status, 200, why(replay));
  t.equal(req.extraData.fhirOrderRevision, 1, 'applied once');
});

t.test('cancel one line of two: the order goes on without it', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-104'];
  const lines = [
    {
      ...orderLine({ order: 'TWO-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 50, priority: 'urgent' }),
      id: 'two-1-ors',
    },
    {
      ...orderLine({
        order: 'TWO-1',
        facilityId,
        program: 'EM01',
        productCode: 'EM-ZNC20',
        qty: 80,
        priority: 'urgent',
      }),
      id: 'two-1-znc',
    },
  ];
  const bundle = transactionOf(lines, 'PUT');
  bundle.entry.forEach((e: any) => (e.request.url = `SupplyRequest/${e.resource.id}`));
  const posted = await rig.fhir('POST', '/fhir', bundle);
  t.equal(posted.status, 200, why(posted));
  const [req] = requisitionsOf(rig, 'LK-HC-104', 'EM01');
  t.equal(Object.keys(requested(req)).length, 2, 'two lines ordered');
  const gone = await rig.fhir('DELETE', '/fhir/SupplyRequest/two-1-ors');
  t.equal(gone.status, 200, why(gone));
  t.equal(gone.body.resourceType, 'OperationOutcome', 'the answer is about the deleted line, not another one');
  t.match(why(gone), /two-1-ors is deleted: the order line is cancelled/);
  t.same(Object.values(requested(req)), [80], 'only the other line is still requested');
  t.equal(requisitionsOf(rig, 'LK-HC-104', 'EM01').length, 1, 'the requisition stays');
  const other = await rig.fhir('GET', '/fhir/SupplyRequest/two-1-znc');
  t.equal(other.status, 200, why(other));
  t.equal(other.body.quantity.value, 80);
  const cancelled = await rig.fhir('GET', '/fhir/SupplyRequest/two-1-ors');
  t.equal(cancelled.status, 410, `the cancelled line reads as deleted: ${why(cancelled)}`);
  t.equal(cancelled.body.resourceType, 'OperationOutcome');
  t.equal(cancelled.body.issue[0].code, 'deleted');
  t.match(why(cancelled), /cancelled in openlmis/);
  const listed = await rig.fhir('GET', `/fhir/SupplyRequest?identifier=${encodeURIComponent('TWO-1')}`);
  t.equal(listed.status, 200, why(listed));
  t.same(
    listed.body.entry.map((e: any) => e.resource.id),
    ['two-1-znc'],
    'a search lists the line that goes on (under the client id), not the cancelled one',
  );
  const before = rig.lmis.sb.state.requestCount();
  const again = await rig.fhir('DELETE', '/fhir/SupplyRequest/two-1-ors');
  t.equal(again.status, 200, `a DELETE of the cancelled line again changes nothing: ${why(again)}`);
  const inBundle = await rig.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ request: { method: 'DELETE', url: 'SupplyRequest/two-1-ors' } }],
  });
  t.equal(inBundle.status, 200, `and inside a transaction Bundle: ${why(inBundle)}`);
  t.equal(inBundle.body.entry[0].response.status, '200 OK');
  const writes = rig.lmis.sb.state
    .requestLog(before)
    .filter((r: any) => r.method !== 'GET' && !r.path.includes('/oauth/'));
  t.same(writes, [], 'nothing was sent to OpenLMIS');
  t.same(Object.values(requested(req)), [80], 'the order is as it was');
});

t.test('inside a Bundle, a DELETE of one line of three answers about that line', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-104'];
  const line = (id: string, productCode: string, qty: number) => ({
    ...orderLine({ order: 'THREE-1', facilityId, program: 'EM01', productCode, qty, priority: 'urgent' }),
    id,
  });
  const lines = [
    line('three-1-ors', 'EM-ORS', 50),
    line('three-1-znc', 'EM-ZNC20', 80),
    line('three-1-amx', 'EM-AMX250', 30),
  ];
  const bundle = transactionOf(lines, 'PUT');
  bundle.entry.forEach((e: any) => (e.request.url = `SupplyRequest/${e.resource.id}`));
  const posted = await rig.fhir('POST', '/fhir', bundle);
  t.equal(posted.status, 200, why(posted));
  const [req] = requisitionsOf(rig, 'LK-HC-104', 'EM01');
  t.equal(Object.keys(requested(req)).length, 3, 'three lines ordered');

  // one line changed in a Bundle (the SDK's PATCH upload): that line changes, the others go on
  const oneLine = transactionOf([line('three-1-ors', 'EM-ORS', 60)], 'PUT');
  oneLine.entry[0].request.url = 'SupplyRequest/three-1-ors';
  const changed = await rig.fhir('POST', '/fhir', oneLine);
  t.equal(changed.status, 200, why(changed));
  t.equal(changed.body.entry[0].resource?.quantity?.value, 60, 'the entry answers the changed line');
  t.same(Object.values(requested(req)).sort(), [30, 60, 80], 'the two lines not in the Bundle are still ordered');

  const inTransaction = await rig.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ request: { method: 'DELETE', url: 'SupplyRequest/three-1-ors' } }],
  });
  t.equal(inTransaction.status, 200, why(inTransaction));
  const answered = inTransaction.body.entry[0];
  t.equal(answered.response.status, '200 OK');
  t.equal(answered.resource, undefined, 'no other line is shown as the answer');
  t.equal(answered.response.etag, undefined, 'nor its ETag');
  t.match(
    answered.response.outcome?.issue?.[0]?.diagnostics,
    /SupplyRequest\/three-1-ors is deleted: the order line is cancelled/,
  );
  t.same(Object.values(requested(req)).sort(), [30, 80], 'the two other lines are still requested');

  const inBatch = await rig.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [{ request: { method: 'DELETE', url: 'SupplyRequest/three-1-znc' } }],
  });
  t.equal(inBatch.status, 200, why(inBatch));
  t.equal(inBatch.body.entry[0].response.status, '200 OK');
  t.equal(inBatch.body.entry[0].resource, undefined, 'a batch entry answers about its line too');
  t.match(inBatch.body.entry[0].response.outcome?.issue?.[0]?.diagnostics, /three-1-znc is deleted/);
  t.same(Object.values(requested(req)), [30], 'one line left');
  t.equal((await rig.fhir('GET', '/fhir/SupplyRequest/three-1-znc')).status, 410, 'the line reads as deleted');
  const rest = await rig.fhir('GET', '/fhir/SupplyRequest/three-1-amx');
  t.equal(rest.status, 200, why(rest));
  t.equal(rest.body.quantity.value, 30, 'the line that goes on reads as it was');
});

t.test('a PUT of a cancelled line: the cancellation again is 200, anything else 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-104'];
  const line = (id: string, productCode: string, qty: number, status = 'active') => ({
    ...orderLine({ order: 'BACK-1', facilityId, program: 'EM01', productCode, qty, priority: 'urgent' }),
    id,
    status,
  });
  const bundle = transactionOf([line('back-1-ors', 'EM-ORS', 50), line('back-1-znc', 'EM-ZNC20', 80)], 'PUT');
  bundle.entry.forEach((e: any) => (e.request.url = `SupplyRequest/${e.resource.id}`));
  t.equal((await rig.fhir('POST', '/fhir', bundle)).status, 200);
  const [req] = requisitionsOf(rig, 'LK-HC-104', 'EM01');
  t.equal((await rig.fhir('DELETE', '/fhir/SupplyRequest/back-1-ors')).status, 200);
  t.same(Object.values(requested(req)), [80]);
  const before = rig.lmis.sb.state.requestCount();
  const writes = () =>
    rig.lmis.sb.state.requestLog(before).filter((r: any) => r.method !== 'GET' && !r.path.includes('/oauth/'));

  const revived = await rig.fhir('PUT', '/fhir/SupplyRequest/back-1-ors', line('back-1-ors', 'EM-ORS', 50));
  t.equal(revived.status, 409, `not put back into its order: ${why(revived)}`);
  t.equal(revived.body.issue[0].code, 'conflict');
  t.match(why(revived), /SupplyRequest\/back-1-ors is deleted \(.*cancelled in openlmis/);
  t.same(revived.body.issue[0].expression, ['SupplyRequest.status']);

  const cancelledAgain = await rig.fhir(
    'PUT',
    '/fhir/SupplyRequest/back-1-ors',
    line('back-1-ors', 'EM-ORS', 50, 'cancelled'),
  );
  t.equal(cancelledAgain.status, 200, `the cancellation sent again changes nothing: ${why(cancelledAgain)}`);
  t.match(why(cancelledAgain), /already deleted: nothing changed/);

  const revivedInBundle = transactionOf([line('back-1-ors', 'EM-ORS', 60)], 'PUT');
  revivedInBundle.entry[0].request.url = 'SupplyRequest/back-1-ors';
  const refused = await rig.fhir('POST', '/fhir', revivedInBundle);
  t.equal(refused.status, 409, why(refused));
  t.same(refused.body.issue[0].expression, ['Bundle.entry[0].resource.status']);
  t.same(writes(), [], 'nothing was sent to OpenLMIS');

  // the SDK's whole order again, the cancelled line as cancelled: that line is answered without a
  // write, the other goes through as a PUT of itself (the order keeps its one line)
  const whole = transactionOf(
    [line('back-1-ors', 'EM-ORS', 50, 'cancelled'), line('back-1-znc', 'EM-ZNC20', 80)],
    'PUT',
  );
  whole.entry.forEach((e: any) => (e.request.url = `SupplyRequest/${e.resource.id}`));
  const again = await rig.fhir('POST', '/fhir', whole);
  t.equal(again.status, 200, why(again));
  t.same(
    again.body.entry.map((e: any) => e.response.status),
    ['200 OK', '200 OK'],
  );
  t.match(again.body.entry[0].response.outcome?.issue?.[0]?.diagnostics, /already deleted/);
  t.equal(again.body.entry[1].resource?.id, 'back-1-znc');
  t.equal(requisitionsOf(rig, 'LK-HC-104', 'EM01').length, 1, 'still the one requisition');
  t.same(Object.values(requested(req)), [80], 'the order is as it was');
  t.equal((await rig.fhir('GET', '/fhir/SupplyRequest/back-1-ors')).status, 410, 'the line still reads as deleted');
});
