/**
 * A conditional read (FHIR http.html#cread): a cache or an app on a 2G link revalidates what it
 * holds with If-None-Match (the ETag it was given) or If-Modified-Since (the Last-Modified), and
 * gets 304 Not Modified with no body while the resource is that version; these headers were
 * ignored, and every revalidation carried the whole resource again. Through the real mediator and
 * the OpenLMIS sandbox, both store engines: read, vread, a batch GET entry and the OpenHIM
 * envelope, which carries the 304 as the response it wraps. A search carries no ETag and answers
 * in full whatever it is sent (README, Conditional reads).
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, RIG_AUTH, startRigOn, why } from '../../support/openlmis-e2e.js';

for (const engine of engineCases()) {
  t.test(`${engine.name}: If-None-Match and If-Modified-Since make a read 304`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const line = (qty: number) => ({
      ...orderLine({
        order: 'CREAD-1',
        facilityId: rig.lmis.seed.facilities['LK-HC-102'],
        program: 'EM01',
        productCode: 'EM-ORS',
        qty,
      }),
      id: 'cread-1',
    });
    const url = '/fhir/SupplyRequest/cread-1';
    t.equal((await rig.fhir('PUT', url, line(10))).status, 201);
    const first = await rig.fhir('GET', url);
    t.equal(first.status, 200, why(first));
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    const version = first.body.meta.versionId;
    t.equal(etag, `W/"${version}"`);

    const notModified = async (headers: Record<string, string>, path = url) => {
      const res = await fetch(`${rig.mediator.url}${path}`, {
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json', ...headers },
      });
      return { status: res.status, text: await res.text(), headers: res.headers };
    };
    for (const inm of [etag, `"${version}"`, version, `W/"0000", ${etag}`, '*']) {
      const res = await notModified({ 'if-none-match': inm });
      t.equal(res.status, 304, `If-None-Match ${inm}`);
      t.equal(res.text, '', 'no body');
      t.equal(res.headers.get('etag'), etag, 'the ETag of the version held');
      t.equal(res.headers.get('last-modified'), lastModified);
    }
    t.equal((await notModified({ 'if-none-match': 'W/"0000"' })).status, 200, 'another version: the resource');
    t.equal((await notModified({ 'if-modified-since': lastModified })).status, 304, 'If-Modified-Since its time');
    const dayBefore = new Date(Date.parse(lastModified) - 86_400_000).toUTCString();
    t.equal((await notModified({ 'if-modified-since': dayBefore })).status, 200, 'changed since the day before');
    t.equal((await notModified({ 'if-modified-since': 'yesterday' })).status, 200, 'no date: ignored');
    t.equal(
      (await notModified({ 'if-none-match': 'W/"0000"', 'if-modified-since': lastModified })).status,
      200,
      'If-None-Match decides alone (RFC 9110 §13.2.2)',
    );
    const broken = await notModified({ 'if-none-match': 'W/"3' });
    t.equal(broken.status, 400, 'a broken entity tag is refused, as on a write');
    t.same(JSON.parse(broken.text).issue[0].expression, ['If-None-Match']);

    const vread = await notModified({ 'if-none-match': etag }, `${url}/_history/${version}`);
    t.equal(vread.status, 304, 'vread of the version held');
    t.equal((await notModified({ 'if-none-match': etag }, `${url}/_history/0000`)).status, 410, 'an old version');

    const batch = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'SupplyRequest/cread-1', ifNoneMatch: etag } },
        { request: { method: 'GET', url: 'SupplyRequest/cread-1', ifNoneMatch: 'W/"0000"' } },
        {
          request: {
            method: 'GET',
            url: 'SupplyRequest/cread-1',
            ifModifiedSince: new Date(Date.parse(lastModified)).toISOString(),
          },
        },
      ],
    });
    t.equal(batch.status, 200, why(batch));
    t.equal(batch.body.entry[0].response.status, '304 Not Modified');
    t.notOk(batch.body.entry[0].resource, 'a 304 entry carries no resource');
    t.equal(batch.body.entry[0].response.etag, etag);
    t.equal(batch.body.entry[1].response.status, '200 OK');
    t.equal(batch.body.entry[1].resource.id, 'cread-1');
    t.equal(batch.body.entry[2].response.status, '304 Not Modified');

    const viaOpenHim = await rig.fhir('GET', url, undefined, {
      'x-openhim-transactionid': 'cread-tx-1',
      'if-none-match': etag,
    });
    t.equal(viaOpenHim.status, 200, 'the envelope itself is a 200 (core parses its body)');
    t.equal(viaOpenHim.body.response.status, 304, 'the envelope carries the 304');
    t.equal(viaOpenHim.body.response.headers.ETag ?? viaOpenHim.body.response.headers.etag, etag);
    t.equal(viaOpenHim.body.response.body ?? '', '');

    const metadata = await rig.fhir('GET', '/fhir/metadata');
    const served = metadata.body.rest[0].resource.find((r: { type: string }) => r.type === 'SupplyRequest');
    t.equal(served.conditionalRead, 'full-support', 'the CapabilityStatement says so');

    // a search carries no ETag (a searchset is no version of a resource; cread is read and vread):
    // what a client holds of it cannot be named, so its conditions are ignored and it answers in full
    const search = await notModified(
      { 'if-none-match': '*', 'if-modified-since': lastModified },
      '/fhir/SupplyRequest?_id=cread-1',
    );
    t.equal(search.status, 200, 'a search answers in full');
    t.equal(search.headers.get('etag'), null, 'with no ETag');
    t.equal(JSON.parse(search.text).entry[0].resource.id, 'cread-1');

    // the resource changes: the ETag the client holds no longer matches
    t.equal((await rig.fhir('PUT', url, line(20), { 'if-match': etag })).status, 200);
    const changed = await notModified({ 'if-none-match': etag });
    t.equal(changed.status, 200, 'a changed resource is sent in full');
    t.not(changed.headers.get('etag'), etag);
    t.equal(JSON.parse(changed.text).quantity.value, 20);
  });
}
