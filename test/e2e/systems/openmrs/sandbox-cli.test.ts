/**
 * `npm run sandbox -- openmrs --port N`: the OpenMRS sandbox on its own, with OpenMRS's session
 * semantics and its control API; stops on SIGINT.
 */
import t from 'tap';
import { freePort } from '../../../support/net.js';
import { startSandboxProcess } from '../../../support/sandbox-process.js';

t.test('openmrs on its own', async (t) => {
  const port = await freePort();
  const sandbox = await startSandboxProcess(t, ['openmrs', '--port', String(port)]);
  const base = `http://127.0.0.1:${port}`;
  t.match(sandbox.out(), `OpenMRS sandbox listening on ${base}/openmrs`);
  const basic = (p: string) => ({ authorization: `Basic ${Buffer.from(`admin:${p}`).toString('base64')}` });
  const ok = await fetch(`${base}/openmrs/ws/rest/v1/session`, { headers: basic('Admin123') });
  t.match(ok.headers.get('set-cookie'), /^JSESSIONID=[^;]+; Path=\/openmrs; HttpOnly/);
  t.match(await ok.json(), { authenticated: true, user: { username: 'admin' } });
  const wrong = await fetch(`${base}/openmrs/ws/rest/v1/session`, { headers: basic('wrong') });
  t.match(await wrong.json(), { authenticated: false }, 'a wrong password is answered 200, not authenticated');
  const cookie = ok.headers.get('set-cookie')!.split(';')[0];
  const page = (await (
    await fetch(`${base}/openmrs/ws/rest/v1/location?limit=4&v=ref`, { headers: { cookie } })
  ).json()) as any;
  t.equal(page.results.length, 4);
  t.match(page.links, [{ rel: 'next', uri: /startIndex=4/ }]);
  t.match(await (await fetch(`${base}/_sandbox/expire-sessions`, { method: 'POST' })).json(), { expired: 2 });
  t.equal(
    (await fetch(`${base}/openmrs/ws/rest/v1/location`, { headers: { cookie } })).status,
    401,
    'Session timed out',
  );
  t.equal(await sandbox.stop(), 0, 'stops on SIGINT');
});
