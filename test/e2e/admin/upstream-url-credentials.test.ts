/**
 * An upstream that answers an error with a connection string of its own
 * (`jdbc:postgresql://openlmis:<password>@db/…`, a proxy URL with `user:password@`) hands the
 * mediator credentials it was never configured with, so the masking of configured secrets cannot
 * catch them. The password of any `scheme://user:password@` in an error is masked before it is
 * stored, answered or logged: the job run's error in the jobs API and in the console's jobs list
 * shows the URL with the user and host, the password masked. Through the real OpenLMIS sandbox.
 */
import t from 'tap';
import { startConsoleRig, ADMIN_TOKEN } from './console-rig.js';
import { consoleClient } from '../../support/console-client.js';
import { processRedactor, MASK } from '../../../src/platform/redaction.js';

const DB_PASSWORD = 'Pg-Secret-991';
const PROXY_PASSWORD = 'Proxy-Pass-77';
const SAID = `Could not open JDBC Connection: jdbc:postgresql://openlmis:${DB_PASSWORD}@db:5432/open_lmis refused; via http://svc:${PROXY_PASSWORD}@proxy:3128`;

t.test('credentials in an upstream error URL are masked in the jobs API and the console', async (t) => {
  const rig = await startConsoleRig();
  t.teardown(() => rig.close());
  rig.lmis.sb.faults.add({
    method: 'GET',
    path: '/api/facilities**',
    action: { type: 'status', status: 500, body: { status: 500, error: 'Internal Server Error', message: SAID } },
  });
  const run = await rig.admin('POST', '/admin/jobs/reconcile/run');
  t.equal(run.body.run.outcome, 'failed', 'the reconcile run failed on the upstream error');
  const error = String(run.body.run.error);
  t.notMatch(error, DB_PASSWORD, 'not the database password');
  t.notMatch(error, PROXY_PASSWORD, 'not the proxy password');
  t.match(error, `jdbc:postgresql://openlmis:${MASK}@db:5432/open_lmis`, 'the URL stays readable, its password masked');
  t.match(error, `http://svc:${MASK}@proxy:3128`);

  const jobs = JSON.stringify((await rig.admin('GET', '/admin/jobs')).body);
  t.notMatch(jobs, DB_PASSWORD, 'the stored run, listed again, holds no password');
  t.match(jobs, `openlmis:${MASK}@db`);

  const person = consoleClient(rig.mediator.app, ADMIN_TOKEN, t);
  const cookie = await person.signIn('Ann');
  const page = await person.get('/admin/ui/propagation', cookie);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'jdbc:postgresql://openlmis:', 'the console lists the failed run with its error');
  t.notMatch(page.body, DB_PASSWORD, 'and no password');
  t.notMatch(page.body, PROXY_PASSWORD);
});

t.test('what the masking leaves alone', async (t) => {
  const redact = (s: string) => processRedactor.redact(s);
  t.equal(redact('https://registry.example.org/fhir/Location'), 'https://registry.example.org/fhir/Location');
  t.equal(
    redact('mailto:ann@example.org, https://ann@example.org/x'),
    'mailto:ann@example.org, https://ann@example.org/x',
    'a user without a password is no secret',
  );
  t.equal(redact('at 10:30 ann@example.org said'), 'at 10:30 ann@example.org said', 'no scheme, no URL');
  t.equal(redact('"url":"https://u:pw-123@h/x"'), `"url":"https://u:${MASK}@h/x"`, 'inside a JSON string');
});
