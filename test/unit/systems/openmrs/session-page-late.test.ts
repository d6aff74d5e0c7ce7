/**
 * A gateway's JSON page to a stale session drops that session, and only it: a page that comes
 * back late, after the next login opened a new session, must not drop the new one too (each late
 * page would cost another login: a login storm under load). The OpenMRS client against a small
 * stand-in that answers the session login as OpenMRS does and a location read by a page when the
 * cookie is stale; the late answer is held until the test lets it go, so the order is fixed.
 */
import t from 'tap';
import Fastify from 'fastify';
import { createOpenMrsClient } from '../../../../src/systems/openmrs/client.js';
import { openmrsSettingsFrom } from '../../../../src/systems/openmrs/settings.js';

const PASSWORD = 'Secret-Pa55word';
const PAGE = { message: 'maintenance', ref: 'gw-7f3a' };

async function standIn() {
  const app = Fastify();
  const live = new Set<string>();
  let sessions = 0;
  let logins = 0;
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let arrived: () => void = () => undefined;
  const heldArrived = new Promise<void>((r) => (arrived = r));
  app.get('/openmrs/ws/rest/v1/session', async (req, reply) => {
    logins++;
    const id = `S${++sessions}`;
    live.add(id);
    reply.header('set-cookie', `JSESSIONID=${id}; Path=/openmrs; HttpOnly`);
    return { sessionId: id, authenticated: req.headers.authorization !== undefined };
  });
  app.get('/openmrs/ws/rest/v1/location/:uuid', async (req) => {
    const cookie = /JSESSIONID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
    const uuid = (req.params as { uuid: string }).uuid;
    if (uuid === 'held') {
      arrived();
      await held;
    }
    return live.has(cookie) ? { uuid, display: uuid, name: uuid } : PAGE;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/openmrs`;
  return {
    app,
    url,
    logins: () => logins,
    stale: () => live.clear(),
    heldArrived,
    release: () => release(),
  };
}

t.test('a late page for the old session leaves the new one: one login per stale session', async (t) => {
  const s = await standIn();
  const client = createOpenMrsClient(
    () =>
      openmrsSettingsFrom({
        'openmrs.baseUrl': s.url,
        'openmrs.username': 'admin',
        'openmrs.password': PASSWORD,
        'openmrs.timeoutMs': 3000,
      }),
    { retries: 0, retryDelayMs: 5 },
  );
  t.teardown(async () => {
    s.release();
    await client.close();
    await s.app.close();
  });
  const read = (uuid: string) =>
    client.call<{ uuid?: string }>({ method: 'GET', path: `/ws/rest/v1/location/${uuid}` });

  t.same(await read('a'), { uuid: 'a', display: 'a', name: 'a' });
  t.equal(s.logins(), 1);
  s.stale(); // the gateway forgets session S1 and answers its page to that cookie
  const late = read('held'); // sent with S1, its page held back
  await s.heldArrived;
  t.same(await read('b'), PAGE, 'the page, to S1');
  t.same(await read('c'), { uuid: 'c', display: 'c', name: 'c' }, 'logged in afresh: S2');
  t.equal(s.logins(), 2);
  s.release();
  t.same(await late, PAGE, 'the late page, to S1');
  t.same(await read('d'), { uuid: 'd', display: 'd', name: 'd' });
  t.equal(s.logins(), 2, 'S2 kept: the late page was for S1');
});
