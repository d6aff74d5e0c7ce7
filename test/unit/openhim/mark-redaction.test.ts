/**
 * The marks of a transaction awaiting our update (transaction-id.ts: the mediator's URN, the
 * routed writes' tags, the routed request's key) are made by the mediator, never secret, and read
 * back from core's copy as written: a configured secret matching part of one ("2024" inside a
 * write tag or a request key) must not alter it, or the update names no write (refused, never
 * sent) or no request. The rest of the envelope is still redacted. Its own file: the secret is
 * learned by the process's redactor.
 */
import Fastify from 'fastify';
import t from 'tap';
import { noteTransactionJobs, noteWriteAccepted } from '../../../src/platform/call-recording.js';
import { processRedactor } from '../../../src/platform/redaction.js';
import openhimPlugin from '../../../src/openhim/plugin.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const TX = { 'x-openhim-transactionid': '65a0c0ffee0000000000abcd' };
const JOB = '0190c0de-0001-7000-8000-c0ffee202412';

t.test('a secret matching part of a mark leaves the mark whole, and is masked elsewhere', async (t) => {
  t.ok(processRedactor.learn('2024'), 'the secret learned');
  const app = Fastify();
  await app.register(openhimPlugin, { urn, recordRequest: async () => {} });
  app.post('/fhir', async (_request, reply) => {
    noteWriteAccepted();
    noteTransactionJobs([JOB]);
    return reply.code(202).type('application/fhir+json').send({ resourceType: 'Bundle', id: 'b-2024' });
  });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/fhir', headers: TX, payload: { resourceType: 'Bundle' } });
  const envelope = JSON.parse(res.body);
  // before: '**********12', a tag of no write: the update refused
  t.equal(envelope.properties.awaitsUpdateOfWrites, 'c0ffee202412', 'the write tag as made');
  t.equal(envelope.properties.awaitsUpdateFrom, urn, 'the URN as made');
  t.match(envelope.properties.awaitsUpdateOfRequest, /^[0-9a-f-]{36}$/, 'a whole key');
  t.notOk(envelope.response.body.includes('2024'), 'the secret masked in the answer');
});
