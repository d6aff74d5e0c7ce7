import t from 'tap';
import { startOpenMrsSandbox, ADMIN_PASSWORD, type OpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { createOpenMrsConnector } from '../../../../src/systems/openmrs/index.js';
import { createOpenMrsClient, REST } from '../../../../src/systems/openmrs/client.js';
import { openmrsSettingsFrom } from '../../../../src/systems/openmrs/settings.js';
import { recordUpstreamCalls } from './recording.js';
import type { UpstreamError } from '../../../../src/domain/errors.js';
import { processRedactor } from '../../../../src/platform/redaction.js';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const settingsFor = (sb: OpenMrsSandbox, password = ADMIN_PASSWORD, user = 'admin') => ({
  'openmrs.baseUrl': sb.url,
  'openmrs.username': user,
  'openmrs.password': password,
  'openmrs.timeoutMs': 3000,
});
const journal = { idempotencyKey: 'k', run: <T>(_step: string, action: () => Promise<T>) => action() };
async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    return err as UpstreamError;
  }
  throw new Error('expected a failure');
}

t.test('the sandbox behaves like OpenMRS: a wrong password is not refused, the call goes on anonymously', async (t) => {
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  const wrong = await fetch(`${sb.url}/ws/rest/v1/session`, { headers: { authorization: basic('admin', 'wrong') } });
  t.equal(wrong.status, 200);
  t.match(await wrong.json(), { authenticated: false });
  const list = await fetch(`${sb.url}/ws/rest/v1/location?v=ref`, {
    headers: { authorization: basic('admin', 'wrong') },
  });
  t.equal(list.status, 200, 'an anonymous read of a public resource succeeds silently');
  const write = await fetch(`${sb.url}/ws/rest/v1/location`, {
    method: 'POST',
    headers: { authorization: basic('admin', 'wrong'), 'content-type': 'application/json' },
    body: '{"name":"X"}',
  });
  t.equal(write.status, 401, 'a privileged call fails later, with 401');
  const malformed = await fetch(`${sb.url}/ws/rest/v1/session`, {
    headers: { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` },
  });
  t.equal(malformed.status, 400, 'a header without a colon is the only thing the filter refuses');
  // a colon in the password: OpenMRS keeps the text before the second colon, so the login fails
  sb.store.userByName('clerk')!.password = 'pass:word';
  const colon = await fetch(`${sb.url}/ws/rest/v1/session`, {
    headers: { authorization: basic('clerk', 'pass:word') },
  });
  t.match(await colon.json(), { authenticated: false });
  const expired = await fetch(`${sb.url}/ws/rest/v1/session`, { headers: { cookie: 'JSESSIONID=NOSUCHSESSION' } });
  t.equal(expired.status, 401);
  t.match(await expired.text(), /Session timed out/);
});

t.test('one Basic login opens the session; later calls ride on the JSESSIONID cookie', async (t) => {
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector(settingsFor(sb));
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  const { calls } = await recordUpstreamCalls(async () => {
    await c.ping!();
    await c.facilities!.get('0d3c2b1a-1111-4a2b-8c3d-000000000002');
    await c.facilities!.search({ name: 'Rio' });
  });
  const logins = calls.filter((x) => x.requestHeaders?.authorization);
  t.equal(logins.length, 1, 'one Basic call');
  t.match(new URL(logins[0].url).pathname, /\/ws\/rest\/v1\/session$/);
  t.ok(
    calls.slice(1).every((x) => /^JSESSIONID=/.test(String(x.requestHeaders?.cookie))),
    'the rest carry the cookie',
  );
  t.ok(
    calls.every((x) => !JSON.stringify(x).includes(ADMIN_PASSWORD)),
    'the password is never recorded',
  );
  // the session answer repeats the session id in its body: what the envelope shows is redacted
  const [sessionId] = [...sb.store.sessions.keys()];
  t.ok(JSON.stringify(calls).includes(sessionId), '(the raw record holds it)');
  const shown = processRedactor.redact(JSON.stringify(calls));
  t.notOk(shown.includes(sessionId), 'the session id is masked in what is shown');
  t.notOk(shown.includes(Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')), 'the Basic pair is masked');
});

t.test('a wrong password is reported by ping and by the first write, not a silent anonymous success', async (t) => {
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector(settingsFor(sb, 'not-the-password'));
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  const ping = await failure(c.ping!());
  t.equal(ping.transient, false);
  t.match(
    ping.message,
    /login as 'admin' refused \(not authenticated\).*check openmrs\.username and openmrs\.password/,
  );
  t.notMatch(ping.message, /not-the-password/);
  const read = await failure(c.facilities!.search({}));
  t.match(
    read.message,
    /refused \(not authenticated\)/,
    'reads refuse too, though OpenMRS would have served them anonymously',
  );
  const write = await failure(
    c.facilities!.upsert!(
      {
        name: 'New',
        identifiers: [{ system: openmrsSettingsFrom(settingsFor(sb)).registryCodeSystem, value: 'N-1' }],
        status: 'active',
        kind: 'facility',
      },
      journal,
    ),
  );
  t.match(write.message, /refused \(not authenticated\)/);
  t.same(sb.store.writes, {}, 'nothing written');
});

t.test('"Session timed out" → one fresh login, the call replayed once and answered', async (t) => {
  const sb = await startOpenMrsSandbox();
  const client = createOpenMrsClient(() => openmrsSettingsFrom(settingsFor(sb)));
  t.teardown(async () => {
    await client.close();
    await sb.close();
  });
  await client.login();
  const first = [...sb.store.sessions.keys()];
  t.equal(first.length, 1);
  sb.store.expireSessions();
  const { calls } = await recordUpstreamCalls(() =>
    client.call({ method: 'GET', path: `${REST}/location/0d3c2b1a-1111-4a2b-8c3d-000000000002`, query: { v: 'ref' } }),
  );
  t.same(
    calls.map((x) => `${x.method} ${new URL(x.url).pathname.replace(/.*\/v1/, '')} ${x.response?.status}`),
    [
      'GET /location/0d3c2b1a-1111-4a2b-8c3d-000000000002 401',
      'GET /session 200',
      'GET /location/0d3c2b1a-1111-4a2b-8c3d-000000000002 200',
    ],
  );
  t.notOk(sb.store.sessions.has(first[0]), 'a new session');
  // a session that times out during a write: the refusal comes before the handler, so one replay
  sb.faults.add({ method: 'POST', path: '/openmrs/ws/rest/v1/location', action: { type: 'expireSession' }, times: 1 });
  const created = await client.call<{ uuid: string }>({
    method: 'POST',
    path: `${REST}/location`,
    body: { name: 'Replay Clinic' },
  });
  t.ok(created.uuid);
  t.equal(sb.store.writes['location.create'], 1, 'applied exactly once');
});

t.test('a user lacking a privilege gets 403 with the reason, not a login loop', async (t) => {
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector(settingsFor(sb, 'Clerk123', 'clerk'));
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  await c.ping!();
  const err = await failure(
    c.facilities!.upsert!(
      {
        name: 'New',
        identifiers: [{ system: openmrsSettingsFrom(settingsFor(sb)).registryCodeSystem, value: 'N-1' }],
        status: 'active',
        kind: 'facility',
      },
      journal,
    ),
  );
  t.equal(err.upstreamStatus, 403);
  t.equal(err.transient, false);
  t.match(err.message, /Privileges required/);
});

t.test(
  'credentials changed live: the next call logs in with them; a refused change leaves the running ones',
  async (t) => {
    const sb = await startOpenMrsSandbox();
    const c = createOpenMrsConnector(settingsFor(sb, 'not-the-password'));
    t.teardown(async () => {
      await c.close?.();
      await sb.close();
    });
    await t.rejects(c.ping!(), /not authenticated/);
    c.reconfigure!(settingsFor(sb));
    await c.ping!();
    t.throws(() => c.reconfigure!(settingsFor(sb, 'with:colon')), /contains ':'/);
    await c.ping!();
    t.same(
      (await c.facilities!.search({ name: 'Rio' })).items.map((f) => f.name),
      ['Rio Azul Clinic'],
      'still working with the previous credentials',
    );
  },
);
