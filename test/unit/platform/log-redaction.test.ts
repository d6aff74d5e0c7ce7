import t from 'tap';
import { Writable } from 'node:stream';
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import { createLogger } from '../../../src/platform/logger.js';
import { memoryServices } from '../../support/memory-services.js';
import { supplyRequest } from '../../support/samples.js';

/** Secrets never reach the logs: captured log lines are grepped for every secret we used. */
t.test('Authorization headers, passwords and tokens are redacted from logs', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const password = 'route-pw-SECRET-41';
  const lmisSecret = 'lmis-client-SECRET-77';
  const settings = loadSettings({
    AUTH_PASSWORD: password,
    OPENLMIS_CLIENT_SECRET: lmisSecret,
    LOG_LEVEL: 'trace',
  } as NodeJS.ProcessEnv);
  const logger = createLogger('trace', sink);
  const app = await buildApp({
    settings: () => settings,
    services: () => memoryServices().services,
    softwareVersion: 't',
    logger,
  });
  const auth = `Basic ${Buffer.from(`openhim:${password}`).toString('base64')}`;
  await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: {
      authorization: auth,
      'content-type': 'application/fhir+json',
      'x-openhim-transactionid': '65f0c0ffee00000000000123',
    },
    payload: JSON.stringify(supplyRequest()),
  });
  await app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' } });
  await app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization: `Bearer ${lmisSecret}` } });
  logger.info({ settings }, 'effective settings');
  logger.info({ config: { password, clientSecret: lmisSecret } }, 'nested secrets');
  await app.close();
  const text = lines.join('');
  t.ok(lines.length >= 4, `${lines.length} log lines captured`);
  t.match(text, /65f0c0ffee00000000000123/, 'the OpenHIM transaction id is on the request log lines');
  for (const secret of [
    password,
    lmisSecret,
    auth,
    'd3Jvbmc6d3Jvbmc=',
    Buffer.from(`openhim:${password}`).toString('base64'),
  ]) {
    t.notOk(text.includes(secret), `secret ${secret.slice(0, 6)}… is not in the logs`);
  }
  t.match(text, /\[redacted\]/, 'redaction happened');
});

t.test('one log line per request, with method, URL, status and the OpenHIM transaction id', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const password = 'one-line-pw-SECRET-52';
  const settings = loadSettings({ AUTH_PASSWORD: password, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv);
  const app = await buildApp({
    settings: () => settings,
    services: () => memoryServices().services,
    softwareVersion: 't',
    logger: createLogger('info', sink),
  });
  const auth = `Basic ${Buffer.from(`openhim:${password}`).toString('base64')}`;
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: {
      authorization: auth,
      'content-type': 'application/fhir+json',
      'x-openhim-transactionid': '65f0c0ffee000000000000a1',
    },
    payload: JSON.stringify(supplyRequest()),
  });
  await app.inject({ method: 'GET', url: '/health' });
  await app.close();
  const ofRequest = lines.filter((l) => l.reqId === '65f0c0ffee000000000000a1');
  t.equal(ofRequest.length, 1, 'the create wrote one line');
  t.match(ofRequest[0], {
    level: 30,
    msg: 'request completed',
    method: 'POST',
    url: '/fhir/SupplyRequest',
    statusCode: res.statusCode,
    responseTime: Number,
  });
  t.equal(lines.filter((l) => l.msg === 'request completed').length, 2, 'and /health one');
  t.notOk(
    lines.some((l) => l.msg === 'incoming request'),
    'no separate line when a request comes in',
  );
  t.notOk(JSON.stringify(lines).includes(auth.slice(6)), 'the credential is in no line');
});

t.test('credential fields are censored at any depth; other fields and class instances are kept', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', sink);
  const logged = {
    upstream: { headers: { Authorization: 'Digest abc', accept: 'json' }, attempts: [{ access_token: 'tok-123456' }] },
    'openlmis.clientSecret': 'raw-setting-value',
    note: 'kept',
  };
  logger.info(logged, 'call');
  logger.error({ err: new Error('boom') }, 'failed');
  const first = JSON.parse(lines[0]);
  t.equal(first.upstream.headers.Authorization, '[redacted]');
  t.equal(first.upstream.headers.accept, 'json');
  t.equal(first.upstream.attempts[0].access_token, '[redacted]');
  t.equal(first['openlmis.clientSecret'], '[redacted]', 'a secret setting by its key');
  t.equal(first.note, 'kept');
  t.equal(logged.upstream.headers.Authorization, 'Digest abc', 'the logged object itself is not changed');
  t.match(
    JSON.parse(lines[1]),
    { err: { message: 'boom', type: 'Error' } },
    'errors still go through their serializer',
  );
});
