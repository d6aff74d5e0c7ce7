/**
 * A configured secret that is also a word of the console's own markup (the demo's upstream
 * password is `password`): the console's markup and setting names are served as written, while
 * every value the console shows (a job's error echoing the secret) is still masked. The start-up
 * check names the setting, never the value.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { registerResponseRedaction } from '../../../src/platform/response-redaction.js';
import { learnSecrets, MASK, MIN_SECRET_LENGTH, processRedactor, Redactor } from '../../../src/platform/redaction.js';
import { consoleOptions } from '../../support/console-options.js';

const TOKEN = 'console-token-own-words';
const SECRET = 'password';

t.test('a secret that is a word of the markup masks values, not the console', async (t) => {
  learnSecrets({ 'openlmis.password': SECRET });
  const app = Fastify();
  await app.register(formbody);
  // the admin API the console reads, outside the redacting scope: the console itself must mask
  app.get('/admin/outbox/jobs/:id', async () => ({
    job: {
      id: 'job-1',
      flow: 'order',
      system: 'openlmis',
      idempotencyKey: 'K-1',
      status: 'pending',
      attempts: 1,
      createdAt: 0,
      updatedAt: 0,
      nextAttemptAt: 0,
      lastError: `HTTP 401: invalid credentials for mediator/${SECRET}`,
    },
    steps: [],
    audit: [],
    attempts: [],
  }));
  await app.register(async (scope) => {
    registerResponseRedaction(scope);
    await scope.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        settings: () => [
          {
            key: 'openlmis.password',
            env: 'OPENLMIS_PASSWORD',
            value: MASK,
            source: 'env',
            secret: true,
            restart: false,
            description: 'Password of the OpenLMIS service account',
          },
        ],
      }),
    );
  });
  t.teardown(() => app.close());

  const signIn = await app.inject({ method: 'GET', url: '/admin/ui/login' });
  t.equal(signIn.statusCode, 200);
  t.match(signIn.body, /<input id="token" name="token" type="password"/, 'the token box stays a password box');
  t.notOk(signIn.body.includes(MASK), 'nothing on the sign-in page is masked');

  const login = await app.inject({
    method: 'POST',
    url: '/admin/ui/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ user: 'Ann', token: TOKEN, next: '' }).toString(),
  });
  t.equal(login.statusCode, 303);
  const cookie = String(login.headers['set-cookie']).split(';')[0];

  const systems = await app.inject({ method: 'GET', url: '/admin/ui/systems', headers: { cookie } });
  t.equal(systems.statusCode, 200);
  t.match(
    systems.body,
    /<tr data-setting="openlmis\.password"><th scope="row" title="Password of the OpenLMIS service account">openlmis\.password<\/th>/,
  );
  t.match(systems.body, /<code>OPENLMIS_PASSWORD<\/code>/);
  t.match(systems.body, /<code>\*{10}<\/code>/, "the secret's value is shown as the mask");

  const job = await app.inject({ method: 'GET', url: '/admin/ui/outbox/jobs/job-1', headers: { cookie } });
  t.equal(job.statusCode, 200);
  const lastError = /<span data-testid="last-error">(.*?)<\/span>/.exec(job.body)?.[1];
  t.equal(lastError, `HTTP 401: invalid credentials for mediator/${MASK}`, "the job's error is masked on the page");
  t.notOk(job.body.includes(`mediator/${SECRET}`), 'the secret the upstream echoed is not served');
});

t.test('start-up: a secret equal to a word of the output is named by its setting, never its value', async (t) => {
  const warned: { obj: object; msg?: string }[] = [];
  const log = { warn: (obj: object, msg?: string) => void warned.push({ obj, msg }) };
  learnSecrets({ 'openlmis.password': SECRET, 'dhis2.password': 'Vq7-long-and-unusual' }, log, new Redactor());
  t.equal(warned.length, 1);
  t.same(
    warned[0].obj,
    { settings: ['OPENLMIS_PASSWORD'] },
    'by environment variable: the setting name holds the word',
  );
  t.equal(processRedactor.redact(JSON.stringify(warned[0].obj)), JSON.stringify(warned[0].obj), 'unchanged by masking');
  t.match(warned[0].msg, /word of the mediator's own output/);
  t.notOk(JSON.stringify(warned).includes(`"${SECRET}"`), 'the value is never logged');
});

t.test('the same settings learnt again (an OpenHIM heartbeat applying them) are not warned about again', async (t) => {
  const warned: { obj: object; msg?: string }[] = [];
  const log = { warn: (obj: object, msg?: string) => void warned.push({ obj, msg }) };
  const redactor = new Redactor();
  const settings = { 'openlmis.password': SECRET, 'auth.password': 'abc' };
  learnSecrets(settings, log, redactor);
  learnSecrets({ ...settings }, log, redactor);
  t.same(
    warned.map((w) => w.obj),
    [{ settings: ['auth.password'], minLength: MIN_SECRET_LENGTH }, { settings: ['OPENLMIS_PASSWORD'] }],
    'each warning once',
  );
  learnSecrets({ ...settings, 'auth.password': 'xyz', 'dhis2.password': SECRET }, log, redactor);
  t.same(
    warned.slice(2).map((w) => w.obj),
    [{ settings: ['auth.password'], minLength: MIN_SECRET_LENGTH }, { settings: ['DHIS2_PASSWORD'] }],
    'a value new to a setting is warned about',
  );
});
