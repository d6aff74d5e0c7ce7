/**
 * OPTIONS on a FHIR URL answered 404 "No route for OPTIONS", as if the resource did not exist.
 * HTTP (RFC 9110 §9.3.7) has OPTIONS say which methods the URL takes; FHIR defines no OPTIONS
 * interaction, so that is all it says: 204 with Allow, the same methods a 405 there lists (HEAD
 * beside GET, OPTIONS always). An unknown type is still a 404, a bad id a 400.
 */
import t from 'tap';
import { basicAuth, testApp } from '../../support/app.js';

t.test('OPTIONS answers the methods each URL takes', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const options = (url: string) => app.inject({ method: 'OPTIONS', url, headers: { authorization: basicAuth } });
  for (const base of ['/fhir', '/fhir/R5']) {
    const cases: [string, string][] = [
      [base, 'POST, OPTIONS'],
      [`${base}/metadata`, 'GET, HEAD, OPTIONS'],
      [`${base}/Location`, 'GET, HEAD, POST, OPTIONS'],
      [`${base}/Location/abc`, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
      [`${base}/SupplyDelivery/abc`, 'GET, HEAD, PUT, PATCH, OPTIONS'],
      [`${base}/Location/_search`, 'POST, OPTIONS'],
      [`${base}/Location/_history`, 'OPTIONS'],
    ];
    for (const [url, allow] of cases) {
      const res = await options(url);
      t.equal(res.statusCode, 204, `${url}: ${res.body}`);
      t.equal(res.headers.allow, allow, url);
      t.equal(res.body, '', 'no body');
    }
    // what a 405 there says matches (without OPTIONS and HEAD)
    const put = await app.inject({
      method: 'DELETE',
      url: `${base}/SupplyDelivery/abc`,
      headers: { authorization: basicAuth },
    });
    t.equal(put.headers.allow, 'GET, PUT, PATCH');
  }
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
    const res = await app.inject({
      method,
      url: '/fhir/metadata',
      headers: { authorization: basicAuth, 'content-type': 'application/fhir+json' },
      payload: '{}',
    });
    t.equal(res.statusCode, 405, `${method} /fhir/metadata: ${res.body}`);
    t.equal(res.headers.allow, 'GET');
    t.match(res.json().issue[0], { code: 'not-supported', expression: ['method'] });
  }
  t.equal((await options('/fhir/Patient')).statusCode, 404, 'a type not served');
  t.equal((await options('/fhir/R5/Location/a%20b')).statusCode, 400, 'not an id');
  const anonymous = await app.inject({ method: 'OPTIONS', url: '/fhir/Location' });
  t.equal(anonymous.statusCode, 401, 'credentials still required');
});
