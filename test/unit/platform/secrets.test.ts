import t from 'tap';
import { Writable, Readable } from 'node:stream';
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadSettings, validateSettings } from '../../../src/config/load.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { MASK, Redactor, learnSecrets, processRedactor } from '../../../src/platform/redaction.js';
import { createLogger } from '../../../src/platform/logger.js';
import { registerResponseRedaction } from '../../../src/platform/response-redaction.js';
import { bearerCheck, liveAdminToken } from '../../../src/platform/admin-auth.js';
import { maskChallenge } from '../../../src/openhim/masking.js';
import { buildOpenHimEnvelope } from '../../../src/openhim/envelope.js';
import { describeError, toStoredError } from '../../../src/outbox/errors.js';
import { UpstreamError } from '../../../src/domain/errors.js';
import type { Settings } from '../../../src/config/settings.js';

/** Independent of the code under test: the ways a secret is written on the wire. */
function wireForms(secret: string, user?: string): string[] {
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    Buffer.from(secret).toString('base64'),
  ];
  if (user !== undefined) forms.push(Buffer.from(`${user}:${secret}`).toString('base64'));
  return forms;
}

const SECRET = 'pw "q+/&=% 9Zx';
const CLIENT_SECRET = 'client-sec/+"7Rt';

t.test('every wire form of a learned secret is masked, including Basic pairs and any x:secret base64', async (t) => {
  const r = new Redactor();
  const report = r.learnSettings({
    'openlmis.password': SECRET,
    'openlmis.username': 'mediator',
    'openlmis.clientId': 'user-client',
    'openlmis.clientSecret': CLIENT_SECRET,
  });
  t.same(report.tooShort, []);
  for (const form of [...wireForms(SECRET, 'mediator'), ...wireForms(CLIENT_SECRET, 'user-client')]) {
    const text = `upstream said: <${form}> end`;
    const out = r.redact(text);
    t.notOk(out.includes(form), `form ${JSON.stringify(form)} masked`);
    t.ok(out.includes(MASK) && out.startsWith('upstream said: <'), 'surrounding text kept');
  }
  // a JSON body carried as a string inside another JSON (an envelope's response body)
  const nested = JSON.stringify({ body: JSON.stringify({ message: `bad ${SECRET}` }) });
  t.notOk(r.redact(nested).includes('q+/&'), 'twice JSON-escaped form masked');
  // base64 of a pair with a user the settings never named (a proxy's own Basic header)
  for (const user of ['a', 'ab', 'abc', 'someone-else']) {
    const b64 = Buffer.from(`${user}:${CLIENT_SECRET}`).toString('base64');
    const out = r.redact(`Authorization was ${b64.replace(/=+$/, '')}!`);
    t.notOk(out.includes(b64.slice(8, 24)), `base64 of ${user}:secret loses its secret part`);
  }
});

t.test('previous values stay masked after a live change; short secrets are reported, not masked', async (t) => {
  const r = new Redactor();
  r.learnSettings({ 'auth.password': 'old-inbound-pw-1' });
  r.learnSettings({ 'auth.password': 'new-inbound-pw-2', 'openhim.password': 'abc' });
  t.equal(r.redact('old-inbound-pw-1 new-inbound-pw-2'), `${MASK} ${MASK}`);
  const warnings: object[] = [];
  learnSecrets({ 'admin.token': 'xyz' }, { warn: (o) => void warnings.push(o) }, r);
  t.same(warnings, [{ settings: ['admin.token'], minLength: 4 }], 'warned by setting key, never the value');
  t.equal(r.redact('xyz abc'), 'xyz abc', 'too short to mask without blanking ordinary text');
});

t.test('credentials after Bearer/Basic are masked in any text; prose and challenges are not', async (t) => {
  const r = new Redactor();
  t.equal(r.redact('refused Bearer 3f2a9c1e-77aa-4e1b.x'), `refused Bearer ${MASK}`);
  t.equal(r.redact('header: Basic dXNlcjpwYXNzd29yZA=='), `header: Basic ${MASK}`);
  for (const text of [
    'Basic authentication required.',
    'Bearer realm="openlmis", error="invalid_token"',
    'Basic realm="fhir-supply-mediator"',
    'admin authentication required (Authorization: Bearer <admin token>)',
  ]) {
    t.equal(r.redact(text), text, `unchanged: ${text}`);
  }
});

t.test(
  'texts with and without a secret, in turn: each masked alike (the check before a replace keeps no state)',
  async (t) => {
    const r = new Redactor();
    r.learn('s3cret-Value-77');
    const texts = [
      ['a line with s3cret-Value-77 in it', `a line with ${MASK} in it`],
      ['a clean line', 'a clean line'],
      ['Authorization: Bearer 3f2a9c1e-77aa-4e1b.x', `Authorization: Bearer ${MASK}`],
      ['s3cret-Value-77 at the start, again s3cret-Value-77', `${MASK} at the start, again ${MASK}`],
    ] as const;
    for (let round = 0; round < 3; round++) {
      for (const [text, masked] of texts) {
        t.equal(r.redact(text), masked, `round ${round}: ${masked}`);
        t.equal(r.leaks(text), text !== masked, `round ${round}: leaks(${masked})`);
      }
    }
  },
);

t.test('a secret URL setting (PostgreSQL) teaches its password too', async (t) => {
  const r = new Redactor();
  r.learnSettings({ 'store.databaseUrl': 'postgres://med:db%2Fpw-44@db:5432/m' });
  t.equal(r.redact('password authentication failed: db/pw-44'), `password authentication failed: ${MASK}`);
});

t.test('log lines: secrets by value, in messages and under any key, at trace level', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const r = new Redactor();
  r.learnSettings({ 'openlmis.clientSecret': CLIENT_SECRET, 'openlmis.clientId': 'user-client' });
  const log = createLogger('trace', sink, r);
  log.info(`upstream answered: ${CLIENT_SECRET}`);
  log.trace(
    {
      upstream: {
        body: { echoed: CLIENT_SECRET, basic: Buffer.from(`user-client:${CLIENT_SECRET}`).toString('base64') },
      },
    },
    'echo',
  );
  log.child({ component: 'x' }).warn({ reason: `Bearer ab12cd34ef56` }, 'child');
  const text = lines.join('');
  t.equal(lines.length, 3);
  for (const form of wireForms(CLIENT_SECRET, 'user-client'))
    t.notOk(text.includes(form), `log has no ${JSON.stringify(form)}`);
  t.notOk(text.includes('ab12cd34ef56'), 'a bearer credential in a child logger line');
  t.equal((text.match(/\*{10}/g) ?? []).length, 4, 'four masks');
});

t.test('responses: body (string, buffer, stream) and headers pass the redactor', async (t) => {
  const r = new Redactor();
  r.learn('resp-secret-99');
  const app = Fastify();
  registerResponseRedaction(app, r);
  app.get('/s', async (_q, reply) =>
    reply
      .header('www-authenticate', 'Bearer error_description="resp-secret-99"')
      .send({ diagnostics: 'got resp-secret-99' }),
  );
  app.get('/b', async (_q, reply) => reply.type('text/plain').send(Buffer.from('buf resp-secret-99')));
  app.get('/stream', async (_q, reply) =>
    reply.type('text/csv').send(Readable.from(['a,resp-sec', 'ret-99,', 'x'.repeat(5000), 'resp-secret-99'])),
  );
  const s = await app.inject({ url: '/s' });
  t.equal(JSON.parse(s.body).diagnostics, `got ${MASK}`);
  t.equal(s.headers['www-authenticate'], `Bearer error_description="${MASK}"`);
  t.equal((await app.inject({ url: '/b' })).body, `buf ${MASK}`);
  const streamed = (await app.inject({ url: '/stream' })).body;
  t.notOk(streamed.includes('resp-secret-99'), 'a secret split across stream chunks is masked');
  t.equal((streamed.match(/\*{10}/g) ?? []).length, 2);
  await app.close();
});

t.test('a URL setting with user:password@ is refused at start-up, naming the setting, not the password', async (t) => {
  for (const [env, key] of [
    ['PUBLIC_BASE_URL', 'server.publicBaseUrl'],
    ['OPENHIM_API_URL', 'openhim.apiUrl'],
    ['OPENLMIS_BASE_URL', 'openlmis.baseUrl'],
  ]) {
    const err = (() => {
      try {
        loadSettings({
          AUTH_PASSWORD: 'pw-long-1',
          [env]: 'https://user:hunter2-pw@example.org/x',
        } as NodeJS.ProcessEnv);
      } catch (e) {
        return e;
      }
    })();
    t.ok(err instanceof ConfigError, `${env} refused`);
    t.match((err as Error).message, key);
    t.notOk((err as Error).message.includes('hunter2'), 'the password is not echoed');
  }
  t.doesNotThrow(
    () =>
      loadSettings({
        AUTH_PASSWORD: 'pw-long-1',
        DATABASE_URL: 'postgres://u:p@db/m',
        PUBLIC_BASE_URL: 'https://his.example.org/lmis',
      } as NodeJS.ProcessEnv),
    'a secret URL may carry credentials; a plain one without them is fine',
  );
});

t.test('the admin token fallback follows a live password change; the old one stops at once', async (t) => {
  let settings: Settings = { 'auth.password': 'first-pw-123' };
  const app = Fastify();
  app.addHook('preHandler', bearerCheck(liveAdminToken(() => settings)));
  app.get('/admin/x', async () => ({ ok: true }));
  const call = (token: string) => app.inject({ url: '/admin/x', headers: { authorization: `Bearer ${token}` } });
  t.equal((await call('first-pw-123')).statusCode, 200);
  settings = { 'auth.password': 'second-pw-456' };
  t.equal((await call('first-pw-123')).statusCode, 401, 'old password refused at once');
  t.equal((await call('second-pw-456')).statusCode, 200, 'new password accepted');
  settings = { 'auth.password': 'second-pw-456', 'admin.token': 'admin-tok-789' };
  t.equal((await call('second-pw-456')).statusCode, 401, 'an explicit admin token wins over the fallback');
  t.equal((await call('admin-tok-789')).statusCode, 200);
  settings = {};
  t.equal((await call('')).statusCode, 401, 'no token configured: refused, never open');
  t.equal((await app.inject({ url: '/admin/x', headers: { authorization: 'bearer admin-tok-789' } })).statusCode, 401);
  await app.close();
});

t.test('orchestrations: challenges and echoed call credentials are masked', async (t) => {
  t.equal(
    maskChallenge('Bearer realm="openlmis", error="invalid_token", error_description="Invalid access token: 5b1e"'),
    `Bearer realm="openlmis", error="invalid_token", error_description="${MASK}"`,
  );
  t.equal(maskChallenge('Basic dXNlcjpwYXNz'), `Basic ${MASK}`);
  const token = '0c5e7f4a-2b1d-4d7e-9f00-aa11bb22cc33';
  const env = buildOpenHimEnvelope({
    urn: 'urn:x',
    redactor: new Redactor(),
    response: { status: 502, body: 'x' },
    orchestrations: [
      {
        method: 'GET',
        url: 'http://lmis/api/x',
        requestHeaders: { authorization: `Bearer ${token}` },
        startedAt: 0,
        endedAt: 1,
        response: {
          status: 500,
          headers: { 'www-authenticate': `Bearer error_description="bad ${token}"`, 'content-type': 'text/plain' },
          body: `token ${token} refused`,
        },
      },
    ],
  });
  t.notOk(JSON.stringify(env).includes(token.slice(0, 8)), 'the access token the call sent is nowhere in the envelope');
});

t.test('outbox error text is redacted before it is stored', async (t) => {
  processRedactor.learn('stored-secret-55');
  t.equal(describeError(new Error('refused stored-secret-55')), `refused ${MASK}`);
  const stored = toStoredError(
    new UpstreamError({ system: 'openlmis', transient: false, diagnostics: 'echo stored-secret-55' }),
  );
  t.equal(stored.issues[0].diagnostics, `openlmis: echo ${MASK}`);
});

t.test('a scheduled job failure is stored without the secret its upstream echoed', async (t) => {
  processRedactor.learn('bridge-secret-66');
  const dir = mkdtempSync(path.join(tmpdir(), 'secrets-schedule-'));
  const store = await openStore({ dataDir: dir });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const job = {
    name: 'bridge',
    setting: 'schedules.bridge',
    description: 'test',
    run: async () => {
      throw new Error('DHIS2 said: bad password bridge-secret-66');
    },
  };
  const result = await new Scheduler({ store, jobs: [job], expression: () => '* * * * *' }).tick(job, 60_000);
  t.equal(result.status, 'failed');
  t.equal((await store.listJobRuns('bridge'))[0]?.detail, `DHIS2 said: bad password ${MASK}`);
});

t.test('a live change (OpenHIM) to a URL with credentials is refused like at start-up', async (t) => {
  const settings = loadSettings({ AUTH_PASSWORD: 'pw-long-1' } as NodeJS.ProcessEnv);
  t.throws(
    () => validateSettings({ ...settings, 'server.publicBaseUrl': 'https://ops:s3cret-pw@his.example.org/lmis' }),
    /server\.publicBaseUrl \(PUBLIC_BASE_URL\) must not carry credentials/,
  );
});

t.test('other serialisers: escaped slashes, \\u escapes, lower-case percent-encoding', async (t) => {
  const r = new Redactor();
  const secret = 'pä/ss "w+rd';
  r.learn(secret);
  const forms = [
    JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
    JSON.stringify(secret).slice(1, -1).replace(/ä/g, '\\u00e4'),
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  ];
  for (const form of forms) t.equal(r.redact(`<${form}>`), `<${MASK}>`, `masked: ${form}`);
});

t.test('run-time credentials (access tokens): masked, newest EPHEMERAL_LIMIT kept, settings untouched', async (t) => {
  const { EPHEMERAL_LIMIT } = await import('../../../src/platform/redaction.js');
  const r = new Redactor();
  r.learnSettings({ 'openlmis.password': 'config-secret-1234' } as Settings);
  const tokens = Array.from({ length: EPHEMERAL_LIMIT + 2 }, (_, i) => `tok-${i}-0f3a9b2c-77aa`);
  for (const tok of tokens) r.learnEphemeral(tok);
  for (const tok of tokens.slice(2)) t.notMatch(r.redact(`x ${tok} y`), tok, `${tok} masked`);
  t.match(
    r.redact(`x ${tokens[0]} y`),
    tokens[0],
    'the oldest token (long expired) is forgotten: the list stays bounded',
  );
  t.notMatch(r.redact('config-secret-1234'), 'config-secret-1234', 'configured secrets are never forgotten');
  r.learnEphemeral('abc');
  t.match(r.redact('abc'), 'abc', 'too short to mask, like settings');
});
