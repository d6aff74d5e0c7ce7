import t from 'tap';
import { inspect } from 'node:util';
import Fastify from 'fastify';
import { AcceptedHeaders, registerAuth, type AuthSettings } from '../../../src/platform/auth.js';

const PASSWORD = 'first-Passw0rd-77';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const settings = (password = PASSWORD): AuthSettings => ({ mode: 'basic', username: 'openhim', password });

/** The map's keys, read from the private field (what a heap dump of the process would show). */
const keysOf = (cache: AcceptedHeaders) => [...(cache as unknown as { actors: Map<string, string> }).actors.keys()];

t.test('an accepted header is remembered by its digest; the map holds no credential', async (t) => {
  const cache = new AcceptedHeaders();
  const header = basic('openhim', PASSWORD);
  t.equal(cache.authenticate(header, settings()), 'openhim');
  t.equal(cache.authenticate(header, settings()), 'openhim', 'the second request is accepted from the map');
  t.equal(cache.size, 1);
  const [key] = keysOf(cache);
  t.match(key, /^[A-Za-z0-9+/]{43}=$/, 'a SHA-256 digest (base64)');
  t.notOk(
    key.includes(PASSWORD) || key.includes(header.slice(6)) || header.includes(key),
    'neither the header nor the secret',
  );
});

t.test('a refusal is never remembered: each wrong header is checked in full and refused', async (t) => {
  const cache = new AcceptedHeaders();
  for (let i = 0; i < 3; i++) t.equal(cache.authenticate(basic('openhim', 'wrong-password'), settings()), undefined);
  t.equal(cache.authenticate(basic('intruder', PASSWORD), settings()), undefined, 'a wrong user');
  t.equal(cache.authenticate(undefined, settings()), undefined, 'no header');
  t.equal(cache.size, 0);
});

t.test('a credential change forgets every accepted header: the old password is refused at once', async (t) => {
  const cache = new AcceptedHeaders();
  const old = basic('openhim', PASSWORD);
  t.equal(cache.authenticate(old, settings()), 'openhim');
  t.equal(cache.authenticate(old, settings('second-Passw0rd-88')), undefined, 'refused after the change');
  t.equal(cache.size, 0);
  t.equal(cache.authenticate(basic('openhim', 'second-Passw0rd-88'), settings('second-Passw0rd-88')), 'openhim');
  t.equal(cache.authenticate(old, settings('second-Passw0rd-88')), undefined, 'still refused');
  // mode and user changes count as well
  t.equal(cache.authenticate(basic('openhim', 'second-Passw0rd-88'), { ...settings(), mode: 'bearer' }), undefined);
  t.equal(
    cache.authenticate(basic('openhim', PASSWORD), { ...settings(), username: 'someone-else' }),
    undefined,
    'a new user name',
  );
});

t.test('bounded: past the limit the oldest entry goes, and is checked in full when seen again', async (t) => {
  const cache = new AcceptedHeaders(2);
  // Basic accepts any amount of padding-free base64 variants of the same pair only once; use spaces after the scheme
  const headers = [1, 2, 3].map(
    (spaces) => `Basic${' '.repeat(spaces)}${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`,
  );
  for (const h of headers) t.equal(cache.authenticate(h, settings()), 'openhim');
  t.equal(cache.size, 2);
  t.equal(cache.authenticate(headers[0], settings()), 'openhim', 'the evicted header is accepted again');
  t.equal(cache.size, 2);
});

t.test('through the app: a password changed live refuses the header accepted a moment before', async (t) => {
  let current = settings();
  const app = Fastify();
  registerAuth(app, () => current);
  app.get('/fhir/Location', async (request) => ({ actor: (request as { actor?: string }).actor }));
  const get = (authorization: string) =>
    app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization } });
  const old = basic('openhim', PASSWORD);
  t.equal((await get(old)).statusCode, 200);
  t.same((await get(old)).json(), { actor: 'openhim' });
  current = settings('changed-in-console-99');
  t.equal((await get(old)).statusCode, 401);
  t.equal((await get(basic('openhim', 'changed-in-console-99'))).statusCode, 200);
});

t.test('the header accepted last: the same header again is accepted, any other is checked in full', async (t) => {
  const cache = new AcceptedHeaders();
  const header = basic('openhim', PASSWORD);
  t.equal(cache.authenticate(header, settings()), 'openhim');
  // same length, one character changed: in the scheme, and in the credentials (not in the last
  // base64 characters, whose padding bits may decode to the same pair)
  const first = `${header[0] === 'B' ? 'b' : 'B'}${header.slice(1)}`;
  const at = header.length - 8;
  const near = `${header.slice(0, at)}${header[at] === 'A' ? 'B' : 'A'}${header.slice(at + 1)}`;
  t.equal(cache.authenticate(near, settings()), undefined, 'a header one character off is refused');
  t.equal(cache.authenticate(header, settings()), 'openhim');
  t.equal(cache.authenticate(first, settings()), 'openhim', 'the scheme in other case is the same credential');
  t.equal(cache.authenticate(header, settings()), 'openhim');
  const other = basic('openhim', 'first-Passw0rd-78');
  t.equal(other.length, header.length);
  t.equal(cache.authenticate(other, settings()), undefined, 'another password of the same length is refused');
  t.equal(cache.authenticate(header, settings('second-Passw0rd-88')), undefined, 'refused once the password changed');
  t.equal(cache.size, 0);
});

t.test('neither inspecting nor serializing the cache shows an accepted header or its secret', async (t) => {
  const cache = new AcceptedHeaders();
  const header = basic('openhim', PASSWORD);
  cache.authenticate(header, settings());
  cache.authenticate(header, settings());
  for (const shown of [inspect(cache, { depth: 10, showHidden: true }), JSON.stringify(cache)]) {
    t.notOk(shown.includes(header.slice(6)) || shown.includes(PASSWORD), shown);
  }
});
