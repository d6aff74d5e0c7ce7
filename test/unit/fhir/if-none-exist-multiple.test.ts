/**
 * A conditional create whose If-None-Exist matches several resources is a 412 (FHIR
 * http.html#ccreate: "the client's criteria were not selective enough"). Its issue said `conflict`,
 * the code of a version clash, which tells a client to read again and retry; FHIR's IssueType has
 * `multiple-matches` for exactly this ("multiple matching records were found when the operation
 * required only one match"). Nothing is written, alone or in a Bundle.
 */
import t from 'tap';
import { fhirJson, testApp } from '../../support/app.js';
import { supplyRequest } from '../../support/samples.js';

t.test('If-None-Exist matching several resources is a 412 multiple-matches at the header', async (t) => {
  const { app, mem } = await testApp();
  t.teardown(() => app.close());
  const post = (body: unknown, headers: Record<string, string> = {}, url = '/fhir/SupplyRequest') =>
    app.inject({ method: 'POST', url, headers: { ...fhirJson, ...headers }, payload: JSON.stringify(body) });
  for (const order of ['INM-1', 'INM-2']) t.equal((await post(supplyRequest({ order }))).statusCode, 201);
  const writes = mem.flows.orders.writes;

  const res = await post(supplyRequest({ order: 'INM-3' }), { 'if-none-exist': 'status=active' });
  t.equal(res.statusCode, 412, res.body);
  t.match(res.json().issue, [
    {
      severity: 'error',
      code: 'multiple-matches',
      expression: ['If-None-Exist'],
      diagnostics: /If-None-Exist 'status=active' matches 2 resources; it must identify at most one/,
    },
  ]);

  const bundle = await post(
    {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:6a0e6c8e-2b1c-4d55-9d7e-1f0b3c1d2e09',
          resource: supplyRequest({ order: 'INM-4' }),
          request: { method: 'POST', url: 'SupplyRequest', ifNoneExist: 'status=active' },
        },
      ],
    },
    {},
    '/fhir',
  );
  t.equal(bundle.statusCode, 412, bundle.body);
  t.match(bundle.json().issue?.[0], {
    code: 'multiple-matches',
    expression: ['Bundle.entry[0].request.ifNoneExist'],
  });
  t.equal(mem.flows.orders.writes, writes, 'nothing written');
});
