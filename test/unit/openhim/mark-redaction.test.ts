/**
 * The marks of a transaction awaiting our update (transaction-id.ts: the mediator's URN, the
 * routed writes' tags, the routed request's key) are made by the mediator, never secret, and read
 * back from core's copy as written: a configured secret matching part of one ("2024" inside a
 * write tag or a request key) must not alter it, or the update names no write (refused, never
 * sent) or no request. The rest of the envelope is still redacted. Its own file: the secret is
 * learned by the process's redactor.
 */
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { noteTransactionJobs, noteWriteAccepted } from '../../../src/platform/call-recording.js';
import { processRedactor } from '../../../src/platform/redaction.js';
import openhimPlugin from '../../../src/openhim/plugin.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const TX = { 'x-openhim-transactionid': '65a0c0ffee0000000000abcd' };
const JOB = '0190c0de-0001-7000-8000-c0ffee202412';

/** The 202 envelope's text of a request whose one write was accepted, its answer holding `answerId`. */
async function owedEnvelope(t: Test, answerId: string) {
  const app = Fastify();
  await app.register(openhimPlugin, { urn, recordRequest: async () => {} });
  app.post('/fhir', async (_request, reply) => {
    noteWriteAccepted();
    noteTransactionJobs([JOB]);
    return reply.code(202).type('application/fhir+json').send({ resourceType: 'Bundle', id: answerId });
  });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/fhir', headers: TX, payload: { resourceType: 'Bundle' } });
  return res.body;
}

t.test('a secret matching part of a mark leaves the mark whole, and is masked elsewhere', async (t) => {
  t.ok(processRedactor.learn('2024'), 'the secret learned');
  const envelope = JSON.parse(await owedEnvelope(t, 'b-2024'));
  // before: '**********12', a tag of no write: the update refused
  t.equal(envelope.properties.awaitsUpdateOfWrites, 'c0ffee202412', 'the write tag as made');
  t.equal(envelope.properties.awaitsUpdateFrom, urn, 'the URN as made');
  t.match(envelope.properties.awaitsUpdateOfRequest, /^[0-9a-f-]{36}$/, 'a whole key');
  t.notOk(envelope.response.body.includes('2024'), 'the secret masked in the answer');
});

// a secret holding a `"` is redacted over the whole text at once (envelope-text.ts): the marks
// are still put back as made (before: masked with the rest, '**********12', the update refused)
t.test('with a secret holding a quote too, the marks stay whole and both secrets are masked', async (t) => {
  const quoted = 'pa"ss-word';
  t.ok(processRedactor.learn(quoted), 'the secret learned');
  t.ok(processRedactor.hasFormWithQuote, 'one pass over the whole text');
  const text = await owedEnvelope(t, `b-2024-${quoted}`);
  const envelope = JSON.parse(text);
  t.equal(envelope.properties.awaitsUpdateOfWrites, 'c0ffee202412', 'the write tag as made');
  t.equal(envelope.properties.awaitsUpdateFrom, urn, 'the URN as made');
  t.match(envelope.properties.awaitsUpdateOfRequest, /^[0-9a-f-]{36}$/, 'a whole key');
  t.notOk(envelope.response.body.includes('2024'), 'the first secret masked in the answer');
  const body: string = envelope.response.body;
  t.notOk(body.includes('pa\\"ss-word') || body.includes(quoted) || text.includes('ss-word'), 'the quoted one too');
});

// a secret spanning a mark and the text after it could not be masked with the mark left whole:
// then the whole text is redacted at once, the mark with it (the secret never sent)
t.test('a secret spanning a mark and the text beside it is masked, the mark with it', async (t) => {
  const spanning = '202412","awaitsUpdateOfRequest';
  t.ok(processRedactor.learn(spanning), 'the secret learned');
  // masked over the JSON's own quotes too (as any such secret is by one pass): no longer JSON
  const text = await owedEnvelope(t, 'b');
  t.notOk(text.includes(spanning), 'not sent');
  t.notOk(text.includes('202412'), 'the mark it spans masked with it');
});
