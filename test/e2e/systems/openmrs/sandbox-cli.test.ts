/**
 * `npm run sandbox -- openmrs --port N`: the OpenMRS sandbox on its own, with OpenMRS's session
 * semantics and its control API; stops on SIGINT.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { freePort } from '../../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../../..');

t.test('openmrs on its own', async (t) => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(root, 'sandbox/cli.ts'), 'openmrs', '--port', String(port)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const end = Date.now() + 60_000;
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`sandbox did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = `http://127.0.0.1:${port}`;
  t.match(out, `OpenMRS sandbox listening on ${base}/openmrs`);
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
  child.kill('SIGINT');
  t.equal(await exited, 0, 'stops on SIGINT');
});
