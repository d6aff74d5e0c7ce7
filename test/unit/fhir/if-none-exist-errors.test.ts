/**
 * A conditional create's If-None-Exist is a search the client does not see as one. A condition
 * that names no search criterion (an empty header, `_count=1`) matched whatever the type held:
 * with one order on the server, a create of another order under `If-None-Exist: _count=1`
 * answered 200 with that other order and wrote nothing (the new order was lost), and an empty
 * header made the create unconditional. A bad parameter was reported at the parameter's name,
 * "(Prefer: handling=strict)", which the client never sent. Each is now a 400 at the header (or
 * at the entry's request.ifNoneExist), saying what the condition lacks, and nothing is written.
 */
import t from 'tap';
import { basicAuth, fhirJson, testApp } from '../../support/app.js';
import { supplyRequest } from '../../support/samples.js';

t.test('If-None-Exist without a criterion, or with a bad one, is a 400 at the header', async (t) => {
  const { app, mem } = await testApp();
  t.teardown(() => app.close());
  const post = (body: unknown, headers: Record<string, string> = {}, url = '/fhir/SupplyRequest') =>
    app.inject({ method: 'POST', url, headers: { ...fhirJson, ...headers }, payload: JSON.stringify(body) });
  const first = await post(supplyRequest({ order: 'INE-1' }));
  t.equal(first.statusCode, 201, first.body);
  const writes = mem.flows.orders.writes;

  for (const [condition, diagnostics] of [
    ['', /If-None-Exist '' names no search criterion/],
    ['_count=1', /If-None-Exist '_count=1' names no search criterion/],
    ['foo=bar', /If-None-Exist 'foo=bar': unknown search parameter 'foo' for SupplyRequest; supported: /i],
    ['_elements=id&identifier=x|y', /If-None-Exist '_elements=id&identifier=x\|y': .*'_elements' is not supported/],
  ] as const) {
    const res = await post(supplyRequest({ order: 'INE-2' }), { 'if-none-exist': condition });
    t.equal(res.statusCode, 400, `${JSON.stringify(condition)}: ${res.body}`);
    t.same(res.json().issue?.[0]?.expression, ['If-None-Exist'], condition);
    t.match(res.json().issue?.[0]?.diagnostics, diagnostics, condition);
    t.notMatch(res.json().issue?.[0]?.diagnostics, /Prefer: handling=strict/, condition);
  }
  t.equal(mem.flows.orders.writes, writes, 'nothing written');

  const inBundle = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: { ...fhirJson },
    payload: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:6a0e6c8e-2b1c-4d55-9d7e-1f0b3c1d2e01',
          resource: supplyRequest({ order: 'INE-3' }),
          request: { method: 'POST', url: 'SupplyRequest', ifNoneExist: '_count=1' },
        },
      ],
    }),
  });
  t.equal(inBundle.statusCode, 400, inBundle.body);
  t.same(inBundle.json().issue?.[0]?.expression, ['Bundle.entry[0].request.ifNoneExist']);
  t.equal(mem.flows.orders.writes, writes, 'nothing written');

  const notText = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: { ...fhirJson },
    payload: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:6a0e6c8e-2b1c-4d55-9d7e-1f0b3c1d2e02',
          resource: supplyRequest({ order: 'INE-4' }),
          request: { method: 'POST', url: 'SupplyRequest', ifNoneExist: 7 },
        },
      ],
    }),
  });
  t.equal(notText.statusCode, 400, notText.body);
  t.same(notText.json().issue?.[0]?.expression, ['Bundle.entry[0].request.ifNoneExist']);
  t.equal(mem.flows.orders.writes, writes, 'nothing written');

  // a real condition still works
  const cond = await post(supplyRequest({ order: 'INE-1' }), {
    'if-none-exist': 'identifier=https://app.example.org/orders|INE-1',
    authorization: basicAuth,
  });
  t.equal(cond.statusCode, 200, cond.body);
  t.equal(cond.json().id, first.json().id);
});
