/**
 * After one line of an order is cancelled, the Android FHIR SDK uploads what it still holds again
 * (a lost answer, a resync): the remaining line as it wrote it, alone or in a transaction Bundle
 * with the DELETE repeated. Nothing is new, so OpenLMIS must see no write: no amendment PUT of the
 * same content (issue 16's leftover), counted from the sandbox's own request log.
 */
import t from 'tap';
import { orderLine, startRig, transactionOf, why, writesSince, type Rig } from '../../../support/openlmis-e2e.js';

function requestedAt(rig: Rig, facilityCode: string): Record<string, number | null>[] {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  return rig.lmis.sb.state
    .requisitionsByStatus()
    .filter((r: { facilityId: string }) => r.facilityId === facilityId)
    .map((r: { lineItems: { orderableId: string; requestedQuantity: number | null }[] }) =>
      Object.fromEntries(
        r.lineItems.filter((l) => l.requestedQuantity !== null).map((l) => [l.orderableId, l.requestedQuantity]),
      ),
    );
}

t.test('a line cancelled, then the order uploaded again: no write reaches OpenLMIS', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities['LK-HC-103'];
  const line = (id: string, productCode: string, qty: number) => ({
    ...orderLine({ order: 'REUP-1', facilityId, program: 'EM01', productCode, qty }),
    id,
  });
  const kept = line('reup-1-amx', 'EM-AMX250', 60);
  const dropped = line('reup-1-ors', 'EM-ORS', 30);
  const upload = transactionOf([kept, dropped], 'PUT');
  upload.entry.forEach((e: any) => (e.request.url = `SupplyRequest/${e.resource.id}`));
  const posted = await rig.fhir('POST', '/fhir', upload);
  t.equal(posted.status, 200, why(posted));
  t.equal(requestedAt(rig, 'LK-HC-103').length, 1, 'one requisition');

  const cancel = await rig.fhir('DELETE', '/fhir/SupplyRequest/reup-1-ors');
  t.equal(cancel.status, 200, why(cancel));
  const [afterCancel] = requestedAt(rig, 'LK-HC-103');
  t.equal(Object.keys(afterCancel).length, 1, 'one line still requested');

  const before = rig.lmis.sb.state.requestCount();
  const alone = await rig.fhir('PUT', '/fhir/SupplyRequest/reup-1-amx', kept);
  t.equal(alone.status, 200, `the remaining line PUT again, unchanged: ${why(alone)}`);
  t.equal(alone.body.quantity?.value, 60, 'answered with the line as it stands');
  t.same(writesSince(rig, before), [], 'the PUT alone sends nothing to OpenLMIS');

  const again = transactionOf([kept], 'PUT');
  again.entry[0].request.url = 'SupplyRequest/reup-1-amx';
  again.entry.push({ request: { method: 'DELETE', url: 'SupplyRequest/reup-1-ors' } });
  const inBundle = await rig.fhir('POST', '/fhir', again);
  t.equal(inBundle.status, 200, why(inBundle));
  t.same(
    inBundle.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3)),
    ['200', '200'],
    'both entries answered as changing nothing',
  );
  t.same(writesSince(rig, before), [], 'nor does the Bundle of the PUT and the DELETE');
  t.same(requestedAt(rig, 'LK-HC-103'), [afterCancel], 'the requisition is as it was after the cancel');

  // a real change after all this is still one amendment
  const beforeChange = rig.lmis.sb.state.requestCount();
  const changed = await rig.fhir('PUT', '/fhir/SupplyRequest/reup-1-amx', line('reup-1-amx', 'EM-AMX250', 90));
  t.equal(changed.status, 200, why(changed));
  t.same(
    writesSince(rig, beforeChange).filter((w) => w.startsWith('PUT')),
    [`PUT /api/requisitions/${requisitionId(rig, 'LK-HC-103')}`],
    'a changed quantity is one PUT',
  );
  t.same(Object.values(requestedAt(rig, 'LK-HC-103')[0]), [90]);
});

function requisitionId(rig: Rig, facilityCode: string): string {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  const found = rig.lmis.sb.state
    .requisitionsByStatus()
    .find((r: { facilityId: string }) => r.facilityId === facilityId);
  if (!found) throw new Error(`no requisition at ${facilityCode}`);
  return found.id;
}
