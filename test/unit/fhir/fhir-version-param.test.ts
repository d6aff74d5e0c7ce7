/**
 * The fhirVersion MIME parameter (FHIR http.html#version-parameter): R4 is served at /fhir and R5
 * at /fhir/R5, each in one version only. A client that names a version in Accept or Content-Type
 * is answered in it or refused (406 / 415) with the base that serves it, never handed the other
 * version's resources to read as its own.
 */
import t from 'tap';
import { basicAuth, testApp } from '../../support/app.js';

const location = {
  resourceType: 'Location',
  id: 'fac-1',
  status: 'active',
  name: 'Kilima Health Centre',
  identifier: [{ system: 'urn:test:facility', value: 'F1' }],
};

t.test('Accept with a fhirVersion the base does not serve is a 406 naming the other base', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const get = (url: string, accept: string) => app.inject({ url, headers: { authorization: basicAuth, accept } });

  const r5OnR4 = await get('/fhir/Location', 'application/fhir+json; fhirVersion=5.0');
  t.equal(r5OnR4.statusCode, 406, r5OnR4.body);
  t.match(r5OnR4.json(), {
    resourceType: 'OperationOutcome',
    issue: [{ code: 'not-supported', expression: ['Accept'], diagnostics: /FHIR 4\.0\.1.*\/fhir\/R5/ }],
  });
  const r4OnR5 = await get('/fhir/R5/InventoryReport', 'application/fhir+json;fhirVersion=4.0');
  t.equal(r4OnR5.statusCode, 406, r4OnR5.body);
  t.match(r4OnR5.json().issue[0].diagnostics, /FHIR 5\.0\.0 \(FHIR 4\.0\.1 is served at \/fhir\)/);

  for (const [url, accept] of [
    ['/fhir/Location', 'application/fhir+json; fhirVersion=4.0'],
    ['/fhir/Location', 'application/fhir+json; fhirVersion=4.0.1'],
    ['/fhir/R5/Location', 'application/fhir+json; fhirVersion=5.0'],
    ['/fhir/Location', 'application/fhir+json; fhirVersion=5.0, application/fhir+json; fhirVersion=4.0'],
    ['/fhir/Location', 'application/fhir+json; fhirVersion=5.0, application/json'],
  ]) {
    const res = await get(url, accept);
    t.equal(res.statusCode, 200, `${url} with Accept ${accept}: ${res.body.slice(0, 200)}`);
  }
});

t.test('a body whose Content-Type names another fhirVersion is a 415 and writes nothing', async (t) => {
  const { app, mem } = await testApp();
  t.teardown(() => app.close());
  const post = (url: string, contentType: string) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: basicAuth, 'content-type': contentType },
      payload: JSON.stringify(location),
    });
  const res = await post('/fhir/Location', 'application/fhir+json; fhirVersion=5.0');
  t.equal(res.statusCode, 415, res.body);
  t.match(res.json().issue[0], { code: 'not-supported', expression: ['Content-Type'] });
  t.equal(mem.flows.facilities.writes, 0, 'nothing written');
  const ok = await post('/fhir/Location', 'application/fhir+json; fhirVersion=4.0');
  t.equal(ok.statusCode, 201, ok.body);
});

t.test('_format naming another fhirVersion is a 406 at _format: it stands for Accept', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const get = (url: string) => app.inject({ url, headers: { authorization: basicAuth } });
  const format = (f: string) => `_format=${encodeURIComponent(f)}`;

  const r5OnR4 = await get(`/fhir/Location?${format('application/fhir+json;fhirVersion=5.0')}`);
  t.equal(r5OnR4.statusCode, 406, r5OnR4.body);
  t.match(r5OnR4.json(), {
    resourceType: 'OperationOutcome',
    issue: [
      {
        code: 'not-supported',
        expression: ['_format'],
        diagnostics:
          /_format asks for fhirVersion=5\.0; this base speaks FHIR 4\.0\.1 \(FHIR 5\.0\.0 is served at \/fhir\/R5\)/,
      },
    ],
  });
  const r4OnR5 = await get(`/fhir/R5/Location?${format('application/fhir+json; fhirVersion=4.0')}`);
  t.equal(r4OnR5.statusCode, 406, r4OnR5.body);
  t.same(r4OnR5.json().issue[0].expression, ['_format']);

  for (const url of [
    `/fhir/Location?${format('application/fhir+json; fhirVersion=4.0')}`,
    `/fhir/R5/Location?${format('application/fhir+json;fhirVersion=5.0')}`,
    `/fhir/Location?${format('json')}`,
  ]) {
    const res = await get(url);
    t.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
  }
});

t.test('an answer in FHIR JSON names the release of its base; plain JSON stays plain', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ url, headers: { authorization: basicAuth, ...headers } });
  const r4 = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';
  const r5 = 'application/fhir+json; fhirVersion=5.0; charset=utf-8';
  const cases: [string, Record<string, string>, number, string][] = [
    ['/fhir/metadata', {}, 200, r4],
    ['/fhir/R5/metadata', {}, 200, r5],
    ['/fhir/Location', { accept: 'application/fhir+json' }, 200, r4],
    ['/fhir/R5/Location', { accept: 'application/fhir+json; fhirVersion=5.0' }, 200, r5],
    ['/fhir/Location?_format=json', {}, 200, r4],
    ['/fhir/R5/Location/no-such-facility', {}, 404, r5],
    ['/fhir/Location/no-such-facility', {}, 404, r4],
    ['/fhir/R5/Location?_count=x', {}, 400, r5],
    ['/fhir/Location', { accept: 'application/json' }, 200, 'application/json; charset=utf-8'],
    ['/fhir/Location?_format=application/json', {}, 200, 'application/json; charset=utf-8'],
    // FHIR JSON only in a release this base does not speak, or plain JSON: the plain JSON it takes
    [
      '/fhir/Location',
      { accept: 'application/fhir+json; fhirVersion=5.0, application/json' },
      200,
      'application/json; charset=utf-8',
    ],
    ['/fhir/R5/Location', { accept: 'application/fhir+json, application/json' }, 200, r5],
    // the older FHIR JSON type (DSTU2/STU3 clients) is FHIR JSON, by Accept as by _format
    ['/fhir/Location', { accept: 'application/json+fhir' }, 200, r4],
    ['/fhir/R5/Location?_format=application/json%2Bfhir', {}, 200, r5],
    // the client's preference (q) chooses among the types it takes, not their order
    ['/fhir/R5/Location', { accept: 'application/json;q=0.1, application/fhir+json; fhirVersion=5.0' }, 200, r5],
    [
      '/fhir/Location',
      { accept: 'application/fhir+json;q=0.5, application/json' },
      200,
      'application/json; charset=utf-8',
    ],
  ];
  for (const [url, headers, status, type] of cases) {
    const res = await get(url, headers);
    t.equal(res.statusCode, status, `${url} ${JSON.stringify(headers)}: ${res.body.slice(0, 200)}`);
    t.equal(res.headers['content-type'], type, `${url} ${JSON.stringify(headers)}`);
  }
  const admin = await get('/admin/no-such-page');
  t.notMatch(String(admin.headers['content-type']), /fhirVersion/, 'the admin API speaks no FHIR release');
});

t.test('a read without a body is not refused for the fhirVersion of a Content-Type it did not use', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  // an R4 client's default headers (or an OpenHIM channel passing them on) reading the R5 base:
  // Content-Type describes a body, and a GET sends none
  const res = await app.inject({
    url: '/fhir/R5/Location',
    headers: { authorization: basicAuth, 'content-type': 'application/fhir+json; fhirVersion=4.0' },
  });
  t.equal(res.statusCode, 200, res.body.slice(0, 200));
  t.equal(res.headers['content-type'], 'application/fhir+json; fhirVersion=5.0; charset=utf-8');
  const post = await app.inject({
    method: 'POST',
    url: '/fhir/R5/Location',
    headers: { authorization: basicAuth, 'content-type': 'application/fhir+json; fhirVersion=4.0' },
    payload: JSON.stringify(location),
  });
  t.equal(post.statusCode, 415, 'a body in the other release is still refused');
});

t.test('an Accept that refuses every JSON type (q=0) is a 406', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const res = await app.inject({
    url: '/fhir/Location',
    headers: { authorization: basicAuth, accept: 'application/fhir+json;q=0, application/json;q=0, text/html' },
  });
  t.equal(res.statusCode, 406, res.body.slice(0, 200));
  t.same(res.json().issue[0].expression, ['Accept']);
});
