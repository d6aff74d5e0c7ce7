/**
 * A batch GET of `[type]/[id]/_history/[vid]` is a vread, answered as `GET` of that URL is: the
 * version asked for, or 410 when it is not the current one. Before, the version was dropped and
 * the current resource answered 200, so a client checking a version it holds was told it is current.
 */
import t from 'tap';
import { fhirJson, testApp } from '../../support/app.js';

t.test('a batch vread of an older version answers 410, of the current one 200', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const created = await app.inject({
    method: 'POST',
    url: '/fhir/Location',
    headers: fhirJson,
    payload: JSON.stringify({
      resourceType: 'Location',
      status: 'active',
      name: 'Kilima Health Centre',
      identifier: [{ system: 'urn:test:facility', value: 'F1' }],
    }),
  });
  t.equal(created.statusCode, 201, created.body);
  const { id, meta } = created.json();
  const batch = (urls: string[]) =>
    app.inject({
      method: 'POST',
      url: '/fhir',
      headers: fhirJson,
      payload: JSON.stringify({
        resourceType: 'Bundle',
        type: 'batch',
        entry: urls.map((url) => ({ request: { method: 'GET', url } })),
      }),
    });
  const direct = await app.inject({ url: `/fhir/Location/${id}/_history/0000`, headers: fhirJson });
  t.equal(direct.statusCode, 410, 'GET of an older version is 410');

  const res = await batch([`Location/${id}/_history/0000`, `Location/${id}/_history/${meta.versionId}`]);
  t.equal(res.statusCode, 200, res.body);
  const [older, current] = res.json().entry;
  t.match(older.response.status, /^410/, 'the older version: 410 as GET answers it');
  t.equal(older.resource, undefined, 'and not the current resource as if it were that version');
  t.match(current.response.status, /^200/);
  t.equal(current.resource?.meta?.versionId, meta.versionId);
});
