/**
 * An issue inside a Bundle entry points into the entry in its expression and its words alike: the
 * schema's and the rules' diagnostics named the element from the resource's root
 * ("SupplyRequest.extension[0].valueInteger 1.5 …") beside an expression rooted at the entry,
 * which left a client with several entries of one type to guess which one was meant.
 */
import t from 'tap';
import { fhirJson, testApp } from '../../support/app.js';
import { supplyRequest } from '../../support/samples.js';

t.test('a bad element in the second entry is named as that entry in the diagnostics too', async (t) => {
  const { app, mem } = await testApp();
  t.teardown(() => app.close());
  const bad = { ...supplyRequest({ order: 'BED-1', gtin: '00012345600029' }), colour: 'red' };
  bad.extension = [{ url: 'http://app.example.org/boxes', valueInteger: 1.5 }];
  for (const type of ['transaction', 'batch']) {
    const res = await app.inject({
      method: 'POST',
      url: '/fhir',
      headers: fhirJson,
      payload: JSON.stringify({
        resourceType: 'Bundle',
        type,
        entry: [supplyRequest({ order: 'BED-1' }), bad].map((resource, i) => ({
          fullUrl: `urn:uuid:5d1f0c1e-1111-4a2b-9c3d-00000000000${i}`,
          resource,
          request: { method: 'POST', url: 'SupplyRequest' },
        })),
      }),
    });
    const issues = type === 'transaction' ? res.json().issue : res.json().entry[1].response.outcome.issue;
    t.ok(issues.length >= 2, `${type}: ${res.body.slice(0, 300)}`);
    for (const issue of issues) {
      t.match(issue.expression[0], /^Bundle\.entry\[1\]\.resource\./, type);
      t.match(issue.diagnostics, /Bundle\.entry\[1\]\.resource/, `${type}: ${issue.diagnostics}`);
      t.notMatch(issue.diagnostics, /(^|[^.])SupplyRequest\.(extension|colour)/, `${type}: ${issue.diagnostics}`);
    }
  }
  t.equal(mem.flows.orders.writes, 1, 'only the batch entry that was good is written');
});
