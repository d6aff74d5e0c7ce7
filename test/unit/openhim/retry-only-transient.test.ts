// OpenHIM auto-retries a transaction whose envelope carries `error` (reference/openhim.md §1.4):
// the mediator sets it only when sending the request again can end differently. A permanent
// upstream failure answered 502 (a refused login, a redirect), a write given up, and a
// transaction Bundle refused with no transient failure among its refusals would meet the same end.
import Fastify from 'fastify';
import t from 'tap';
import { TransactionRefusedError, UpstreamError } from '../../../src/domain/errors.js';
import type { OpenHimEnvelope } from '../../../src/openhim/envelope.js';
import openhimPlugin from '../../../src/openhim/plugin.js';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { GivenUpError } from '../../../src/outbox/errors.js';
import { settleTransaction } from '../../../src/routing/transaction.js';
import type { PlannedWrite, WriteOutcome } from '../../../src/fhir/services.js';

const TX = { 'x-openhim-transactionid': '65a0c0ffee0000000000abcd' };

const upstream = (transient: boolean) =>
  new UpstreamError({
    system: 'openlmis',
    transient,
    status: 502,
    code: transient ? 'transient' : 'login',
    diagnostics: 'openlmis: login refused',
  });
const givenUp = () =>
  new GivenUpError({ id: 'job-1', flow: 'order', system: 'openlmis', attempts: 8, lastError: '503' });

/** The refusal settleTransaction makes of a Bundle whose second write failed with `err`. */
function refusedTransaction(err: Error): unknown {
  const writes = [{ flow: 'orders' }, { flow: 'orders' }] as unknown as PlannedWrite[];
  const delivered = { status: 'created', value: {} } as unknown as WriteOutcome<unknown>;
  try {
    settleTransaction(writes, (i) => {
      if (i === 1) throw err;
      return delivered;
    });
  } catch (refusal) {
    return refusal;
  }
  return undefined;
}

async function envelopeFor(err: unknown): Promise<OpenHimEnvelope> {
  const app = Fastify();
  await app.register(openhimPlugin, { urn: 'urn:mediator:test', bodyLimitBytes: () => 4096 });
  app.setErrorHandler(fhirErrorHandler);
  app.get('/fhir/x', async () => {
    throw err;
  });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/fhir/x', headers: TX });
  return JSON.parse(res.body) as OpenHimEnvelope;
}

t.test('a transient upstream failure asks OpenHIM to retry', async (t) => {
  const env = await envelopeFor(upstream(true));
  t.equal(env.response.status, 502);
  t.ok(env.error, 'error set');
});

t.test('a permanent upstream failure answered 502 is not retried', async (t) => {
  const env = await envelopeFor(upstream(false));
  t.equal(env.response.status, 502);
  t.equal(env.status, 'Failed');
  t.notOk('error' in env, 'no error: a rerun would be refused the same way');
});

t.test('a write given up is not retried', async (t) => {
  const env = await envelopeFor(givenUp());
  t.equal(env.response.status, 502);
  t.notOk('error' in env);
});

t.test('a transaction refused at delivery is retried only for a transient refusal', async (t) => {
  const settled = refusedTransaction(givenUp());
  t.ok(settled instanceof TransactionRefusedError, 'one refusal for the Bundle');
  t.equal((settled as TransactionRefusedError).status, 502);
  t.equal((settled as TransactionRefusedError).retryable, false);
  t.notOk('error' in (await envelopeFor(settled)), 'given up inside a transaction: no error');

  const transient = refusedTransaction(upstream(true));
  t.equal((transient as TransactionRefusedError).retryable, true);
  t.ok((await envelopeFor(transient)).error, 'a transient refusal among them: error set');
});

t.test('a database away (503) is still retried', async (t) => {
  const { MediatorError } = await import('../../../src/domain/errors.js');
  const env = await envelopeFor(new MediatorError(503, { code: 'transient', diagnostics: 'store away' }));
  t.ok(env.error);
});
