/**
 * History is not served (each system of record keeps its own; the CapabilityStatement says
 * readHistory false and lists no history interaction). A client asking anyway (an mCSD consumer's
 * ITI-91 `Location/_history?_since=`) gets a 405 that says so and how to follow changes instead,
 * not a 400 calling `_history` an invalid id or a bare 404, which read as its own mistake.
 */
import t from 'tap';
import { basicAuth, testApp } from '../../support/app.js';

t.test('every history URL answers 405 not-supported, naming the search to use', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  for (const [url, type] of [
    ['/fhir/Location/_history?_since=2026-01-01T00:00:00Z', 'Location'],
    ['/fhir/Location/fac-1/_history', 'Location'],
    ['/fhir/R5/InventoryReport/_history', 'InventoryReport'],
    ['/fhir/_history', '[type]'],
  ]) {
    const res = await app.inject({ url, headers: { authorization: basicAuth } });
    t.equal(res.statusCode, 405, `${url}: ${res.body}`);
    t.equal(res.headers.allow, '', 'no method is served there');
    t.match(res.json(), {
      resourceType: 'OperationOutcome',
      issue: [
        {
          code: 'not-supported',
          diagnostics: new RegExp(`search ${type.replace(/[[\]]/g, '\\$&')}\\?_lastUpdated=gt`),
        },
      ],
    });
  }
  const unknownType = await app.inject({ url: '/fhir/Patient/_history', headers: { authorization: basicAuth } });
  t.equal(unknownType.statusCode, 404, 'a type not served is still a 404');
  const vread = await app.inject({ url: '/fhir/Location/fac-1/_history/1', headers: { authorization: basicAuth } });
  t.equal(vread.statusCode, 404, 'vread of an unknown resource is unchanged');
});
