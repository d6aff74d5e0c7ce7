/**
 * `npm run sandbox -- dhis2 --port N --version V`: the DHIS2 sandbox on its own, answering as the
 * version asked, with its token and Basic users, its control API; stops on SIGINT.
 */
import t from 'tap';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import { freePort } from '../../../support/net.js';
import { startSandboxProcess } from '../../../support/sandbox-process.js';

t.test('dhis2 on its own, as 2.39', async (t) => {
  const port = await freePort();
  const sandbox = await startSandboxProcess(t, ['dhis2', '--port', String(port), '--version', '2.39.1']);
  const base = `http://127.0.0.1:${port}`;
  t.match(sandbox.out(), `DHIS2 2.39.1 sandbox listening on ${base}`);
  t.match(sandbox.out(), `ApiToken ${SEED_API_TOKEN}`, 'the banner gives the token to use');
  const token = { authorization: `ApiToken ${SEED_API_TOKEN}` };
  t.match(await (await fetch(`${base}/api/system/info`, { headers: token })).json(), { version: '2.39.1' });
  t.match(
    await (
      await fetch(`${base}/api/me`, {
        headers: { authorization: `Basic ${Buffer.from('admin:district').toString('base64')}` },
      })
    ).json(),
    { username: 'admin' },
  );
  t.equal((await fetch(`${base}/api/me`)).status, 401);
  const events = (await (
    await fetch(`${base}/api/41/tracker/events?program=LkRtsProgrm&pageSize=2`, { headers: token })
  ).json()) as any;
  t.same(
    Object.keys(events).sort(),
    ['instances', 'page', 'pageSize'],
    'the 2.39 export envelope (and a versioned /api/41 path)',
  );
  t.match(await (await fetch(`${base}/_sandbox/seed`)).json(), {
    version: '2.39.1',
    dataSets: { monthly: 'LkStockMnth' },
  });
  // one fault taken away by its id, as OpenLMIS's control API does: the API answers again
  const added = await fetch(`${base}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: '*', path: '/api/**', action: { type: 'status', status: 503 } }),
  });
  const fault = (await added.json()) as { id: string };
  t.equal((await fetch(`${base}/api/me`, { headers: token })).status, 503, 'DHIS2 down');
  t.equal((await fetch(`${base}/_sandbox/faults/${fault.id}`, { method: 'DELETE' })).status, 204);
  t.equal((await fetch(`${base}/_sandbox/faults/${fault.id}`, { method: 'DELETE' })).status, 404, 'gone');
  t.equal((await fetch(`${base}/api/me`, { headers: token })).status, 200, 'DHIS2 up again');
  t.equal(await sandbox.stop(), 0, 'stops on SIGINT');
});
