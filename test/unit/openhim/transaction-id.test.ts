/**
 * What the mediator takes from X-OpenHIM-TransactionID, through the whole app (auth, the OpenHIM
 * envelope, the FHIR edge): an id as core makes them (an ObjectId) is the request's log id and is
 * kept with its writes; any other value is neither, and the answer is still the envelope. The
 * envelope marks a transaction with a write answered before it ended, the mark an update checks
 * (transaction-ownership.ts). A 401 through OpenHIM carries no challenge for OpenHIM's client.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import type { WriteContext } from '../../../src/fhir/services.js';
import openhimPlugin from '../../../src/openhim/plugin.js';
import {
  AWAITS_UPDATE_OF_PROPERTY,
  AWAITS_UPDATE_OF_REQUEST_PROPERTY,
  AWAITS_UPDATE_PROPERTY,
  isOpenHimTransactionId,
} from '../../../src/openhim/transaction-id.js';
import { noteTransactionJobs, noteWriteAccepted } from '../../../src/platform/call-recording.js';
import { createLogger } from '../../../src/platform/logger.js';
import { memoryServices } from '../../support/memory-services.js';
import { supplyRequest } from '../../support/samples.js';

const URN = 'urn:mediator:fhir-supply-mediator';
const PASSWORD = 'route-pw-7c1d';
const AUTH = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
const CORE_ID = '65f0c0ffee0000000000c0de';
const JOB_ID = '0190c0de-0000-7000-8000-a1b2c3d4e5f6';

/** The app as main.ts builds it with OpenHIM, its order writes answered `accepted` (202) when asked; log lines kept. */
async function mediator(t: { teardown(fn: () => unknown): void }, answer: 'created' | 'accepted' = 'created') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const { services } = memoryServices();
  const contexts: WriteContext[] = [];
  const orders = services.orders!;
  const write = orders.write.bind(orders);
  orders.write = async (value, context) => {
    contexts.push(context);
    const outcome = await write(value, context);
    if (answer === 'created') return outcome;
    noteTransactionJobs([JOB_ID]); // what the outbox notes of a write recorded under the request's id
    noteWriteAccepted(); // and of a write it answers before its end
    return { ...outcome, status: 'accepted', message: 'OpenLMIS did not answer in time' };
  };
  const settings = loadSettings({ AUTH_PASSWORD: PASSWORD, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv);
  const app = await buildApp({
    settings: () => settings,
    services: () => services,
    softwareVersion: 't',
    logger: createLogger('info', sink),
    plugins: [
      async (a) => {
        await a.register(openhimPlugin, { urn: URN });
      },
    ],
  });
  t.teardown(() => app.close());
  const post = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: { authorization: AUTH, 'content-type': 'application/fhir+json', ...headers },
      payload: JSON.stringify(supplyRequest()),
    });
  return { post, lines, contexts, app };
}

t.test('core makes ObjectIds: 24 hex digits, nothing else', async (t) => {
  t.ok(isOpenHimTransactionId(CORE_ID));
  for (const other of [
    'tx-1',
    `${CORE_ID}0`,
    CORE_ID.slice(1),
    `../${CORE_ID.slice(3)}`,
    `${CORE_ID.slice(0, 23)}g`,
    '',
  ])
    t.notOk(isOpenHimTransactionId(other), `'${other}' is not`);
});

t.test("a core id is the request's log id and is kept with its write", async (t) => {
  const { post, lines, contexts } = await mediator(t);
  const res = await post({ 'x-openhim-transactionid': CORE_ID });
  t.match(res.headers['content-type'], /application\/json\+openhim/, 'the envelope');
  t.equal(lines.filter((l) => l.reqId === CORE_ID && l.msg === 'request completed').length, 1);
  t.equal(contexts[0]?.transactionId, CORE_ID);
});

t.test('any other value is not the log id, is not kept with the write, and still gets the envelope', async (t) => {
  const { post, lines, contexts } = await mediator(t, 'accepted');
  const forged = '../mediators/urn:mediator:fhir-supply-mediator';
  const res = await post({ 'x-openhim-transactionid': forged });
  t.match(res.headers['content-type'], /application\/json\+openhim/, 'answered in the format asked for');
  const envelope = res.json();
  t.equal(envelope.response.status, 202);
  t.notOk(envelope.properties?.[AWAITS_UPDATE_PROPERTY], 'no transaction is marked as awaiting an update');
  t.notOk(JSON.stringify(lines).includes(forged), 'the value is not on any log line');
  t.match(
    lines.find((l) => l.msg === 'request completed'),
    { reqId: /^req-/ },
    "Fastify's own id instead",
  );
  t.equal(contexts.length, 1, 'the write is taken');
  t.equal(contexts[0].transactionId, undefined, 'without an OpenHIM transaction to update later');
});

t.test('the envelope marks a transaction whose write was answered before it ended, and only that', async (t) => {
  const queued = await mediator(t, 'accepted');
  const accepted = (await queued.post({ 'x-openhim-transactionid': CORE_ID })).json();
  t.equal(accepted.response.status, 202);
  const { [AWAITS_UPDATE_OF_REQUEST_PROPERTY]: requestKey, ...marks } = accepted.properties;
  t.same(
    marks,
    { [AWAITS_UPDATE_PROPERTY]: URN, [AWAITS_UPDATE_OF_PROPERTY]: 'a1b2c3d4e5f6' },
    "awaits an update from this mediator, of the request's write (its job id's random end)",
  );
  t.match(requestKey, /^[0-9a-f-]{36}$/, 'and of this request (its key, kept with its row)');
  const done = await mediator(t, 'created');
  const created = (await done.post({ 'x-openhim-transactionid': CORE_ID })).json();
  t.equal(created.response.status, 201);
  t.notOk(created.properties?.[AWAITS_UPDATE_PROPERTY], 'answered for good: no update will come');
});

t.test('a 401 through OpenHIM carries no challenge for its client; a direct client still gets one', async (t) => {
  const { app } = await mediator(t);
  const wrong = `Basic ${Buffer.from('openhim:not-the-password').toString('base64')}`;
  const through = await app.inject({
    method: 'GET',
    url: '/fhir/Location',
    headers: { authorization: wrong, 'x-openhim-transactionid': CORE_ID },
  });
  const envelope = through.json();
  t.equal(envelope.response.status, 401, 'OpenHIM still learns the route credentials were refused');
  t.match(envelope.response.body, /credentials are not accepted/);
  t.notOk(
    Object.keys(envelope.response.headers).some((h) => h.toLowerCase() === 'www-authenticate'),
    'no WWW-Authenticate for core to copy to its client',
  );
  const direct = await app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization: wrong } });
  t.equal(direct.statusCode, 401);
  t.match(direct.headers['www-authenticate'], /^Basic /, 'a direct client is challenged as before');
});
