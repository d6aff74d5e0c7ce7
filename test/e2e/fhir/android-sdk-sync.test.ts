/**
 * A day of one facility's work as the Android FHIR SDK sends it (google/android-fhir,
 * engine/…/sync/upload and …/sync/download), replayed request for request through the real
 * mediator process against the OpenLMIS sandbox (issue 16): incremental downloads with
 * `_lastUpdated=gt…` sorted by `_lastUpdated` following `next`; local creates uploaded as
 * `PUT [type]/[id]`, local updates as `PATCH` with a JSON Patch, a local delete as `DELETE`, first
 * one request each, then inside a transaction Bundle (PATCH as a Binary); and a retry of the whole
 * upload after a lost answer. Every check reads the sandbox's own state.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { binary, download, patchHeaders, twoLineOrderUpload } from '../../support/android-sdk.js';
import { orderLine, startRig, why } from '../../support/openlmis-e2e.js';

t.test('a day of Android FHIR SDK sync against OpenLMIS', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { lmis } = rig;
  const fac = (code: string) => lmis.seed.facilities[code];
  const sandboxFacility = (code: string) => lmis.sb.state.store.facilities.get(fac(code))!;
  const requisitionsAt = (code: string) =>
    lmis.sb.state.requisitionsByStatus().filter((r: { facilityId: string }) => r.facilityId === fac(code));

  // morning: the first download brings every facility, stamped (never 1970), oldest first
  const first = await download(rig, '1970-01-01T00:00:00Z');
  t.ok(
    [...lmis.sb.state.store.facilities.keys()].every((id) => first.ids.includes(id)),
    'every facility (and the areas above them), over several pages',
  );
  t.equal(new Set(first.ids).size, first.ids.length, 'none twice');
  t.notMatch(first.latest, /^1970/);

  // per-request upload: a new order (PUT under the app's id) and a renamed facility (PATCH)
  const lineA = randomUUID();
  const orderA = {
    ...orderLine({ order: 'SDK-DAY-1', facilityId: fac('LK-HC-101'), program: 'EM01', productCode: 'EM-ORS', qty: 40 }),
    id: lineA,
  };
  const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${lineA}`, orderA);
  t.equal(put.status, 201, `PUT creates: ${why(put)}`);
  const renamed = await rig.fhir(
    'PATCH',
    `/fhir/Location/${fac('LK-HC-102')}`,
    [{ op: 'replace', path: '/name', value: 'Lakeside Health Centre II' }],
    { ...patchHeaders, 'if-match': `W/"${first.etags.get(fac('LK-HC-102'))}"` },
  );
  t.equal(renamed.status, 200, `PATCH renames: ${why(renamed)}`);
  t.equal(sandboxFacility('LK-HC-102').name, 'Lakeside Health Centre II', 'renamed in OpenLMIS');

  // midday download: only what changed since the morning
  const midday = await download(rig, first.latest);
  t.same(midday.ids, [fac('LK-HC-102')], 'the renamed facility and nothing else');

  // bundle upload: a two-line order (PUT entries), a rename (PATCH as a Binary), a closure (DELETE)
  const { bundle } = twoLineOrderUpload('SDK-DAY-2', fac('LK-HC-101'));
  bundle.entry.push(
    {
      fullUrl: `${rig.mediator.url}/fhir/Location/${fac('LK-HC-103')}`,
      resource: binary([{ op: 'replace', path: '/name', value: 'Hilltop Clinic' }]),
      request: { method: 'PATCH', url: `Location/${fac('LK-HC-103')}` },
    },
    { request: { method: 'DELETE', url: `Location/${fac('LK-HC-104')}` } },
  );
  const tx = await rig.fhir('POST', '/fhir', bundle);
  t.equal(tx.status, 200, why(tx));
  t.same(
    tx.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3)),
    ['201', '201', '200', '200'],
  );
  t.equal(sandboxFacility('LK-HC-103').name, 'Hilltop Clinic');
  t.equal(
    sandboxFacility('LK-HC-104').enabled,
    false,
    'the deleted facility is deactivated (enabled false), not erased',
  );

  // the app lost the answers and uploads everything again: nothing happens twice upstream
  const requisitionsBefore = requisitionsAt('LK-HC-101').length;
  const eventsBefore = JSON.stringify(lmis.sb.state.counts());
  const repeated = await rig.fhir('PUT', `/fhir/SupplyRequest/${lineA}`, orderA);
  t.equal(repeated.status, 200, `the repeated PUT is an update that changes nothing: ${why(repeated)}`);
  const again = await rig.fhir('POST', '/fhir', bundle);
  t.equal(again.status, 200, why(again));
  t.equal(requisitionsAt('LK-HC-101').length, requisitionsBefore, 'no second requisition');
  t.equal(JSON.stringify(lmis.sb.state.counts()), eventsBefore, 'no other upstream change');
  const orders = requisitionsAt('LK-HC-101').filter((r: { status: string }) => r.status === 'SUBMITTED');
  t.equal(orders.length, 2, 'SDK-DAY-1 and SDK-DAY-2, each submitted once');

  // what was sent is what downloads back: the app's ids and authoredOn (kept in OpenLMIS extraData)
  const orderLines = await download(rig, '1970-01-01T00:00:00Z', 'SupplyRequest');
  const sentLines = [orderA, ...bundle.entry.slice(0, 2).map((e: { resource: any }) => e.resource)];
  t.same(
    sentLines.map((l) => orderLines.resources.get(l.id)?.authoredOn),
    sentLines.map((l) => l.authoredOn),
    'every order line downloads under the app’s id with the authoredOn it was sent with',
  );
  t.equal(
    orderLines.ids.filter((id) => !sentLines.some((l) => l.id === id)).length,
    0,
    'and no second copy of any of them',
  );

  // a stock count taken in the afternoon, PUT under the app's id
  const snapshot = await rig.fhir(
    'GET',
    `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${fac('LK-HC-101')}`)}`,
  );
  t.equal(snapshot.status, 200, why(snapshot));
  const count = structuredClone(snapshot.body.entry[0].resource);
  const countId = randomUUID();
  Object.assign(count, { id: countId, reportedDateTime: '2026-11-21T16:00:00Z' });
  delete count.meta;
  count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'SDK-DAY-CNT-1' }];
  count.inventoryListing[0].countingDateTime = '2026-11-21T15:20:00+02:00';
  const counted = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, count);
  t.equal(counted.status, 201, why(counted));
  const countRead = await rig.fhir('GET', `/fhir/R5/InventoryReport/${countId}`);
  t.same(
    countRead.body.inventoryListing.map((l: { countingDateTime: string }) => l.countingDateTime),
    ['2026-11-21T15:20:00+02:00'],
    'the count reads back with countingDateTime as sent',
  );
  const stockDownload = await download(
    rig,
    '1970-01-01T00:00:00Z',
    'R5/InventoryReport',
    3,
    `location=${encodeURIComponent(`Location/${fac('LK-HC-101')}`)}`,
  );
  const live = stockDownload.resources.get(snapshot.body.entry[0].resource.id);
  t.ok(
    live?.inventoryListing.some((l: { countingDateTime?: string }) => l.countingDateTime === '2026-11-21'),
    'the live stock downloads with the day of the count (OpenLMIS keeps occurredDate, a date)',
  );

  // evening download: the two facilities the bundle changed, since midday
  const evening = await download(rig, midday.latest);
  t.same(new Set(evening.ids), new Set([fac('LK-HC-103'), fac('LK-HC-104')]));
  const closed = await rig.fhir('GET', `/fhir/Location/${fac('LK-HC-104')}`);
  t.equal(closed.body.status, 'inactive');
});
