/**
 * A transaction's order of several lines is one write, and each line's entry is answered with its
 * own resource out of the order's encoding: the order is encoded (and each line hashed for its
 * versionId) once for the whole answer, not once per entry (issue 18, session 40: 9 encodings of
 * a 3-line order's lines for 3 answers). The answers stay what they were: each entry its own line,
 * with the ETag a read of it gives.
 */
import t from 'tap';
import { adapters } from '../../../src/fhir/adapters.js';
import { fhirJson, testApp } from '../../support/app.js';
import { supplyRequest, transaction } from '../../support/samples.js';

/** A product per line of an order (valid GS1 check digits). */
const LINE_GTINS = ['00012345600012', '00012345600029', '00012345600036'];

t.test('a 3-line order posted in a transaction is encoded once for its three answers', async (t) => {
  const { app } = await testApp();
  const adapter = adapters.SupplyRequest;
  const encode = adapter.encode;
  let encodings = 0;
  adapter.encode = (version, value) => {
    encodings += 1;
    return encode(version, value);
  };
  t.teardown(() => {
    adapter.encode = encode;
  });
  const bundle = transaction(
    LINE_GTINS.map((gtin) => ({
      method: 'POST',
      url: 'SupplyRequest',
      resource: supplyRequest({ order: 'O-1', gtin }),
    })),
  );
  const res = await app.inject({ method: 'POST', url: '/fhir', headers: fhirJson, payload: JSON.stringify(bundle) });
  t.equal(res.statusCode, 200, 'the transaction is answered 200');
  t.equal(encodings, 1, 'one encoding of the order answers its three entries');
  const entries = res.json().entry as any[];
  t.same(
    entries.map((e) => e.resource.itemCodeableConcept.coding[0].code),
    LINE_GTINS,
    'each entry is answered with its own line',
  );
  t.equal(new Set(entries.map((e) => e.resource.id)).size, 3);
  adapter.encode = encode;
  for (const e of entries) {
    const read = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${e.resource.id}`, headers: fhirJson });
    t.equal(read.statusCode, 200, 'the line reads');
    t.equal(e.response.etag, read.headers.etag, 'the entry carries the ETag a read of its line gives');
    t.same(e.resource, read.json(), 'and the line as a read gives it');
  }
});
