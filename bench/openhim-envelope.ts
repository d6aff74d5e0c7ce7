/**
 * Cost of the OpenHIM envelope: buildOpenHimEnvelope alone, and a Fastify round trip with and
 * without X-OpenHIM-TransactionID (plugin registered in both). Run: npx tsx bench/openhim-envelope.ts
 */
import Fastify from 'fastify';
import { Bench } from 'tinybench';
import { buildOpenHimEnvelope } from '../src/openhim/envelope.js';
import { recordUpstreamCall, type UpstreamCall } from '../src/platform/call-recording.js';
import openhimPlugin from '../src/openhim/plugin.js';

const body = JSON.stringify({
  resourceType: 'Bundle',
  entry: Array.from({ length: 50 }, (_, i) => ({
    resource: { resourceType: 'Location', id: `loc-${i}`, name: `Facility ${i}` },
  })),
});
const call: UpstreamCall = {
  system: 'openlmis',
  method: 'GET',
  url: 'https://lmis.example.org/api/facilities?page=0&size=50&access_token=abc',
  requestHeaders: { authorization: 'Bearer abcdef', accept: 'application/json' },
  startedAt: Date.now(),
  endedAt: Date.now(),
  response: { status: 200, headers: { 'content-type': 'application/json' }, body },
};

const app = Fastify();
await app.register(openhimPlugin, { urn: 'urn:mediator:fhir-supply-mediator' });
app.get('/fhir/Location', async (_req, reply) => {
  for (let i = 0; i < 3; i++) recordUpstreamCall(call);
  return reply.type('application/fhir+json').send(body);
});
await app.ready();

const bench = new Bench({ time: 1000 });
bench
  .add('buildOpenHimEnvelope (3 orchestrations, ~3 KB bodies)', () => {
    buildOpenHimEnvelope({
      urn: 'u',
      response: { status: 200, headers: { 'content-type': 'application/fhir+json' }, body },
      orchestrations: [call, call, call],
    });
  })
  .add('inject GET without OpenHIM header', async () => {
    await app.inject({ method: 'GET', url: '/fhir/Location' });
  })
  .add('inject GET with X-OpenHIM-TransactionID', async () => {
    await app.inject({ method: 'GET', url: '/fhir/Location', headers: { 'x-openhim-transactionid': 'tx1' } });
  });
await bench.run();
console.table(bench.table());
await app.close();
