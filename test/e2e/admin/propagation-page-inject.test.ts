/**
 * The propagation page's server side, fast (no browser): the page plan that puts held changes
 * first across paging, lenient query parsing, the HTML (escaped, headers with scope, paging links)
 * through fastify.inject over the real propagation routes and a SQLite store, and the release
 * action's CSRF check and audit entry.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';
import { filtersOf, listingPlan } from '../../../src/admin/ui/propagation-page.js';
import { propagationRoutes } from '../../../src/registry/propagation/routes.js';
import type { Propagator } from '../../../src/registry/propagation/propagator.js';
import type { Propagation } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'propagation-page-token-7Q';
const EVIL = '<img src=x onerror=alert(1)>';

t.test('listing plan: held first, offsets carried across states, a system or a state alone', async (t) => {
  const counts = { a: { held: 2, done: 5, failed: 1 }, b: { held: 1, queued: 3 } };
  const f = (q: Record<string, string>) => filtersOf(q);
  t.same(listingPlan(counts, f({ limit: '4' })), {
    total: 12,
    queries: [
      { state: 'held', limit: 3, offset: 0 },
      { state: 'failed', limit: 1, offset: 0 },
    ],
  });
  t.same(listingPlan(counts, f({ limit: '4', offset: '3' })).queries, [
    { state: 'failed', limit: 1, offset: 0 },
    { state: 'queued', limit: 3, offset: 0 },
  ]);
  t.same(listingPlan(counts, f({ limit: '2', offset: '6' })).queries, [
    { state: 'queued', limit: 1, offset: 2 },
    { state: 'done', limit: 1, offset: 0 },
  ]);
  t.same(listingPlan(counts, f({ system: 'a', limit: '10' })), {
    total: 8,
    queries: [
      { state: 'held', system: 'a', limit: 2, offset: 0 },
      { state: 'failed', system: 'a', limit: 1, offset: 0 },
      { state: 'done', system: 'a', limit: 5, offset: 0 },
    ],
  });
  t.same(listingPlan(counts, f({ state: 'done', offset: '2' })), {
    total: 5,
    queries: [{ state: 'done', limit: 3, offset: 2 }],
  });
  t.same(listingPlan(counts, f({ offset: '99' })).queries, [], 'past the end: nothing to read');
  t.same(filtersOf({ state: 'bogus', limit: '0', offset: '-3' }), { limit: 1, offset: 0 }, 'clamped, unknown dropped');
  t.same(filtersOf({ limit: '5000', offset: 'x' }), { limit: 200, offset: 0 });
});

t.test('the page and the release over inject', async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  const released: (string | undefined)[] = [];
  // the routes are real; the propagator only records that it was asked (its planning has its own tests)
  const propagator = {
    releaseHeld: async (system?: string) => {
      released.push(system);
      return 2;
    },
  } as unknown as Propagator;
  const now = Date.parse('2026-11-21T12:00:00Z');
  const put = (p: Partial<Propagation> & Pick<Propagation, 'registryId' | 'state'>) =>
    store.putPropagation({ system: 'openlmis', version: '1', action: 'update', updatedAt: now - 60_000, ...p });
  await store.putRegistryRecords([
    {
      registryId: 'R-EVIL',
      version: '1',
      changedAt: now,
      seenAt: now,
      record: { id: 'R-EVIL', version: '1', lastUpdated: '', facility: { name: EVIL } },
    },
  ]);
  await put({ registryId: 'R-1', state: 'done', updatedAt: now - 10 });
  await put({ registryId: 'R-EVIL', state: 'held', reason: `record ${EVIL} is flagged`, updatedAt: now - 999_999 });
  await put({ registryId: 'R-2', state: 'done', unsupported: { position: 'no geolocation' } });
  await put({ registryId: 'R-3', system: 'dhis2', state: 'failed', reason: 'refused' });

  const app = Fastify();
  await app.register(formbody);
  await app.register(propagationRoutes, { prefix: '/admin', store, propagator, adminToken: () => TOKEN });
  await app.register(
    operatorConsole,
    consoleOptions({
      adminToken: () => TOKEN,
      now: () => now,
    }),
  );
  t.teardown(() => app.close());
  const login = await app.inject({
    method: 'POST',
    url: '/admin/ui/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ user: 'Olu Operator', token: TOKEN, next: '/admin/ui/propagation' }).toString(),
  });
  t.equal(login.statusCode, 303);
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });

  await t.test('held first, escaped, headers with scope, paging, a notice when job runs cannot be read', async (t) => {
    const r = await get('/admin/ui/propagation');
    t.equal(r.statusCode, 200);
    const body = r.body;
    const order = [...body.matchAll(/<tr data-registry="([^"]+)"/g)].map((m) => m[1]);
    t.same(order, ['R-EVIL', 'R-3', 'R-1', 'R-2'], 'held, failed, then done newest first');
    t.notOk(body.includes(EVIL), 'no facility name or reason becomes markup');
    t.ok(body.includes('&lt;img src=x onerror=alert(1)&gt;'), 'shown as text');
    t.match(body, /<code>position<\/code>: no geolocation/);
    t.notOk(/<th(?=[\s>])(?![^>]*scope=)[^>]*>/.test(body), 'every table header says its scope');
    t.match(body, /data-testid="count-dhis2-failed"><a [^>]*>1<\/a>/);
    t.match(body, /Job runs could not be read \(404\)/, 'the missing part is said, not hidden');
    t.match(body, /Not scheduled on this mediator/);
    t.notOk(body.includes('rel="next"'), 'everything on one page');
    t.match(r.headers['content-security-policy'], /script-src 'self'/);

    const paged = await get('/admin/ui/propagation?limit=2&offset=1');
    t.same(
      [...paged.body.matchAll(/<tr data-registry="([^"]+)"/g)].map((m) => m[1]),
      ['R-3', 'R-1'],
    );
    t.match(paged.body, /href="\/admin\/ui\/propagation\?limit=2&amp;offset=3" rel="next"/);
    t.match(paged.body, /href="\/admin\/ui\/propagation\?limit=2" rel="prev"/);
    const filtered = await get('/admin/ui/propagation?state=done&system=openlmis');
    t.same(
      [...filtered.body.matchAll(/<tr data-registry="([^"]+)"/g)].map((m) => m[1]),
      ['R-1', 'R-2'],
    );
    t.match(filtered.body, /<option value="done" selected>/);
  });

  await t.test('release: a confirmation first, CSRF checked, then done and audited', async (t) => {
    const confirm = await get('/admin/ui/propagation/confirm-release');
    t.match(confirm.body, /1 change is held: openlmis 1\./);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(confirm.body)![1];
    t.equal(released.length, 0, 'nothing happens before the confirmation');
    const post = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/admin/ui/propagation/release',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
    t.equal((await post('_csrf=forged')).statusCode, 403);
    t.same(released, [], 'a forged form releases nothing');
    const ok = await post(`_csrf=${encodeURIComponent(csrf)}`);
    t.equal(ok.statusCode, 303);
    t.equal(ok.headers.location, '/admin/ui/propagation');
    t.same(released, [undefined], 'every system');
    // audited by the admin API itself, with the signed-in person the console sends as X-Actor
    t.same(
      (await store.listAudit({ subject: 'propagation' })).map(({ actor, action, subject, details }) => ({
        actor,
        action,
        subject,
        details,
      })),
      [{ actor: 'Olu Operator', action: 'propagation.release', subject: 'propagation', details: { released: 2 } }],
    );
    t.match((await get('/admin/ui/propagation')).body, /2 held changes planned again/);
  });
});
