// The Fastify plugin wraps replies to OpenHIM requests in the envelope, with recorded orchestrations.
import zlib from 'node:zlib';
import Fastify from 'fastify';
import t from 'tap';
import type { OpenHimEnvelope } from '../../../src/openhim/envelope.js';
import {
  currentRequestKey,
  noteTransactionJobs,
  noteWriteAccepted,
  recordUpstreamCall,
} from '../../../src/platform/call-recording.js';
import openhimPlugin from '../../../src/openhim/plugin.js';
import { updateContentType } from '../../../src/openhim/transaction-updates.js';
import type { TransactionRequest } from '../../../src/store/types.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const TX = { 'x-openhim-transactionid': '65a0c0ffee0000000000abcd' };

/** A fake upstream client: what the real connectors do after each call. */
async function callUpstream(path: string, status = 200): Promise<void> {
  const startedAt = new Date();
  await new Promise((resolve) => setTimeout(resolve, 2));
  recordUpstreamCall({
    system: 'openlmis',
    method: 'GET',
    url: `https://lmis.example.org${path}?access_token=abc123xyz`,
    requestHeaders: { authorization: 'Bearer abc123xyz' },
    startedAt,
    endedAt: new Date(),
    response: { status, headers: { 'content-type': 'application/json' }, body: { ok: status < 400 } },
  });
}

async function buildApp(options: Partial<Parameters<typeof openhimPlugin>[1]> = {}) {
  const app = Fastify();
  await app.register(openhimPlugin, { urn, bodyLimitBytes: () => 4096, ...options });
  app.post('/fhir/SupplyRequest', async (request, reply) => {
    await callUpstream('/api/requisitions/initiate');
    await callUpstream('/api/requisitions/r1/submit');
    if (request.openhimProperties) request.openhimProperties.openlmisRequisitionId = 'r1';
    return reply
      .code(201)
      .type('application/fhir+json')
      .header('location', '/fhir/SupplyRequest/sr1/_history/1')
      .send({ resourceType: 'SupplyRequest', id: 'sr1' });
  });
  app.get('/fhir/Location/:id', async (_request, reply) => {
    await callUpstream('/api/facilities/f1', 503);
    return reply
      .code(503)
      .type('application/fhir+json')
      .send({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'transient', diagnostics: 'openlmis: service unavailable' }],
      });
  });
  app.get('/fhir/bad', async (_request, reply) =>
    reply
      .code(400)
      .type('application/fhir+json')
      .send({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid', diagnostics: 'bad _count' }],
      }),
  );
  app.get('/fhir/gone', async (request, reply) => {
    request.openhimTransientError = { message: 'msupply: token expired mid-flight' };
    return reply.code(500).send({ error: 'x' });
  });
  app.delete('/fhir/nothing', async (_request, reply) => reply.code(204).send());
  app.get('/fhir/zipped', async (_request, reply) =>
    reply
      .header('content-encoding', 'gzip')
      .type('application/fhir+json')
      .send(zlib.gzipSync('{"resourceType":"Bundle"}')),
  );
  app.get('/fhir/throws', async () => {
    throw Object.assign(new Error('upstream down'), { statusCode: 502 });
  });
  t.teardown(() => app.close());
  return app;
}

const envelopeOf = (res: { headers: Record<string, unknown>; body: string }) => {
  t.match(String(res.headers['content-type']), /^application\/json\+openhim/);
  return JSON.parse(res.body) as OpenHimEnvelope;
};

t.test('without X-OpenHIM-TransactionID the reply is untouched', async (t) => {
  const app = await buildApp();
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    payload: { resourceType: 'SupplyRequest' },
  });
  t.equal(res.statusCode, 201);
  t.match(res.headers['content-type'], /application\/fhir\+json/);
  t.same(res.json(), { resourceType: 'SupplyRequest', id: 'sr1' });
});

t.test('an OpenHIM request gets the envelope with one orchestration per upstream call', async (t) => {
  const app = await buildApp();
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: TX,
    payload: { resourceType: 'SupplyRequest' },
  });
  t.equal(res.statusCode, 201);
  const env = envelopeOf(res);
  t.equal(env['x-mediator-urn'], urn);
  t.equal(env.status, 'Successful');
  t.equal(env.response.status, 201);
  t.same(JSON.parse(env.response.body), { resourceType: 'SupplyRequest', id: 'sr1' });
  t.match(env.response.headers['Content-Type'], /application\/fhir\+json/);
  t.equal(env.response.headers.location, '/fhir/SupplyRequest/sr1/_history/1');
  t.same(
    env.orchestrations.map((o) => o.request.path),
    ['/api/requisitions/initiate', '/api/requisitions/r1/submit'],
  );
  t.same(env.properties, { openlmisRequisitionId: 'r1' });
  t.notOk('error' in env);
  t.notMatch(res.body, 'abc123xyz', 'token masked in headers and query');
});

t.test('concurrent OpenHIM requests do not mix their orchestrations', async (t) => {
  const app = await buildApp();
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? app.inject({ method: 'POST', url: '/fhir/SupplyRequest', headers: TX, payload: {} })
        : app.inject({ method: 'GET', url: '/fhir/Location/x', headers: TX }),
    ),
  );
  for (const [i, res] of results.entries()) t.equal(envelopeOf(res).orchestrations.length, i % 2 === 0 ? 2 : 1);
});

t.test('error is set for transient upstream failures only', async (t) => {
  const app = await buildApp();
  const unavailable = envelopeOf(await app.inject({ method: 'GET', url: '/fhir/Location/x', headers: TX }));
  t.equal(unavailable.status, 'Failed');
  t.same(unavailable.error, { message: 'openlmis: service unavailable' }, 'message from the OperationOutcome');
  t.equal(unavailable.orchestrations[0].response?.status, 503);

  const bad = envelopeOf(await app.inject({ method: 'GET', url: '/fhir/bad', headers: TX }));
  t.equal(bad.status, 'Completed');
  t.notOk('error' in bad, 'a 4xx is not retried');

  const decorated = envelopeOf(await app.inject({ method: 'GET', url: '/fhir/gone', headers: TX }));
  t.same(decorated.error, { message: 'msupply: token expired mid-flight' }, 'request decoration wins');

  const thrown = envelopeOf(await app.inject({ method: 'GET', url: '/fhir/throws', headers: TX }));
  t.equal(thrown.response.status, 502);
  t.ok(thrown.error, 'errors thrown by handlers are wrapped too');
});

t.test('custom decider, 204 and compressed payloads', async (t) => {
  const app = await buildApp({ transientError: () => null });
  t.notOk(
    'error' in envelopeOf(await app.inject({ method: 'GET', url: '/fhir/Location/x', headers: TX })),
    'custom decider used',
  );

  const noContent = await app.inject({ method: 'DELETE', url: '/fhir/nothing', headers: TX });
  t.equal(noContent.statusCode, 200, 'sent as 200 so the envelope has a body');
  t.equal(envelopeOf(noContent).response.status, 204);

  const zipped = await app.inject({ method: 'GET', url: '/fhir/zipped', headers: TX });
  t.notOk(zipped.headers['content-encoding']);
  t.equal(envelopeOf(zipped).response.body, '{"resourceType":"Bundle"}');

  const head = await app.inject({ method: 'HEAD', url: '/fhir/Location/x', headers: TX });
  t.notMatch(String(head.headers['content-type']), /openhim/, 'HEAD has no body to wrap');
});

t.test(
  'a request awaiting our update is kept with its writes before its answer; a store failure only logged',
  async (t) => {
    const kept: TransactionRequest[] = [];
    let fail = false;
    const app = Fastify();
    await app.register(openhimPlugin, {
      urn,
      recordRequest: async (r) => {
        if (fail) throw new Error('database away');
        kept.push(r);
      },
    });
    const keys: (string | undefined)[] = [];
    app.post('/fhir', async (_request, reply) => {
      noteWriteAccepted();
      noteTransactionJobs(['0190c0de-0001-7000-8000-aaaaaaaaaaa1', '0190c0de-0001-7000-8000-aaaaaaaaaaa1']);
      keys.push(currentRequestKey()); // the key its entry map is recorded under (v48)
      return reply.code(200).type('application/fhir+json; fhirVersion=4.0').send({ resourceType: 'Bundle' });
    });
    app.post('/fhir/Answered', async (_request, reply) => reply.code(201).send({}));
    t.teardown(() => app.close());
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{}, {}, {}] };
    const res = await app.inject({ method: 'POST', url: '/fhir', headers: TX, payload: bundle });
    t.match(JSON.parse(res.body), { status: 'Processing', properties: { awaitsUpdateOfWrites: 'aaaaaaaaaaa1' } });
    t.same(kept, [
      {
        transactionId: TX['x-openhim-transactionid'],
        jobIds: ['0190c0de-0001-7000-8000-aaaaaaaaaaa1'],
        contentType: 'application/fhir+json; fhirversion="4.0"; charset=utf-8',
        entries: 3,
        requestKey: keys[0],
      },
    ]);
    t.match(keys[0], /^[0-9a-f-]{36}$/, 'kept with the key its handler records entries under');
    t.equal(
      JSON.parse(res.body).properties.awaitsUpdateOfRequest,
      keys[0],
      'the envelope names that key: core keeps it for the update to find its row (v50)',
    );
    t.equal(
      updateContentType(kept[0].contentType),
      'application/fhir+json; fhirVersion=4.0; charset=utf-8',
      'its release read back',
    );
    t.equal(updateContentType(undefined), 'application/fhir+json', 'none kept: plain FHIR JSON');
    await app.inject({ method: 'POST', url: '/fhir/Answered', headers: TX, payload: {} });
    t.equal(kept.length, 1, 'a request answered in full awaits nothing: not kept');
    fail = true;
    const still = await app.inject({ method: 'POST', url: '/fhir', headers: TX, payload: bundle });
    t.equal(still.statusCode, 200, 'answered all the same');
    t.match(JSON.parse(still.body), { status: 'Processing', response: { status: 200 } });
  },
);
