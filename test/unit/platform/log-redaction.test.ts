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
    headers: { authorization: auth, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': 'tx-123' },
    payload: JSON.stringify(supplyRequest()),
  });
  await app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' } });
  await app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization: `Bearer ${lmisSecret}` } });
  logger.info({ settings }, 'effective settings');
  logger.info({ config: { password, clientSecret: lmisSecret } }, 'nested secrets');
  await app.close();
  const text = lines.join('');
  t.ok(lines.length >= 4, `${lines.length} log lines captured`);
  t.match(text, /tx-123/, 'the OpenHIM transaction id is on the request log lines');
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
