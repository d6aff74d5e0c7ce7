/**
 * With no server.publicBaseUrl, links use the address each client used (its Host): requests
 * through two names, taking turns, each get their own base in Location, and an absolute reference
 * to one name's base is this server's own only on a request through that name. The base URL,
 * the origin and the validation options are each remembered for the last request (fhir/plugin.ts,
 * app.ts, interactions.ts validationOptions): one name's must never answer for the other's.
 */
import t from 'tap';
import { fhirJson, testApp } from '../../support/app.js';
import { supplyRequest } from '../../support/samples.js';

t.test('two Host names taking turns: each answer names its own base', async (t) => {
  const { app } = await testApp({ env: { PUBLIC_BASE_URL: '' } });
  t.teardown(() => app.close());
  const hosts = ['a.example.org', 'b.example.org', 'b.example.org', 'a.example.org', 'b.example.org'];
  for (const [i, host] of hosts.entries()) {
    const res = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: { ...fhirJson, host },
      payload: supplyRequest({ order: `HOST-${i}` }),
    });
    t.equal(res.statusCode, 201, res.body);
    t.match(res.headers.location, new RegExp(`^http://${host.replace(/\./g, '\\.')}/fhir/SupplyRequest/`), host);
  }
});

t.test("an absolute reference to one name's base is refused through the other name only", async (t) => {
  const { app } = await testApp({ env: { PUBLIC_BASE_URL: '' } });
  t.teardown(() => app.close());
  const post = (host: string) =>
    app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: { ...fhirJson, host },
      payload: {
        ...supplyRequest({ order: `REF-${host}` }),
        deliverTo: { reference: 'http://a.example.org/fhir/Location/bad_id' },
      },
    });
  const onA = await post('a.example.org');
  t.equal(onA.statusCode, 400, 'its own base: the id is checked');
  t.match(onA.body, /is on this server but is not \[base\]\/\[type\]\/\[id\]/);
  const onB = await post('b.example.org');
  t.notMatch(onB.body, /is on this server/, 'through b, a.example.org is another server');
  const onAAgain = await post('a.example.org');
  t.match(onAAgain.body, /is on this server but is not/);
});
