/**
 * The outbox page on a large queue, through fastify.inject on both store engines: 3,060 jobs (2,600
 * waiting for one system). The per-system table counts every job (the store counts by system and
 * status), not the first 1,000 of a listing, and a view reads a bounded number of jobs from the
 * store (one page, the oldest waiting, the first dead letters), whatever the queue's size.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import type { Store } from '../../../src/store/types.js';
import { consoleOptions } from '../../support/console-options.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'counts-token';

async function seed(store: Store) {
  const jobs = [
    ...Array.from({ length: 2600 }, (_, i) =>
      newJob(`A${i}`, { system: 'sys-a', idempotencyKey: `order|a|${i}`, createdAt: 10_000 + i }),
    ),
    ...Array.from({ length: 460 }, (_, i) =>
      newJob(`B${i}`, { system: 'sys-b', idempotencyKey: `order|b|${i}`, createdAt: 1_000 + i }),
    ),
  ];
  for (let i = 0; i < jobs.length; i += 500) await store.recordWrites(jobs.slice(i, i + 500), []);
  // 5 of sys-a's are delivered
  const delivered = await store.claimJobs({
    system: 'sys-a',
    flows: ['order'],
    limit: 5,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: Date.now(),
  });
  const result = { system: 'sys-a', ids: { order: 'o' } };
  for (const j of delivered) await store.finishJob(j.id, 'w1', { status: 'done', result }, Date.now());
  // 60 of sys-b's die (more than the page lists at the top)
  const claimed = await store.claimJobs({
    system: 'sys-b',
    flows: ['order'],
    limit: 60,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: Date.now(),
  });
  const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] };
  for (const j of claimed) await store.finishJob(j.id, 'w1', { status: 'dead', error }, Date.now());
  return claimed.length;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    t.equal(await seed(store), 60);
    // how many job rows the admin API reads from the store for one page view
    let rowsRead = 0;
    const counted = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key === 'listJobs')
          return async (...args: Parameters<Store['listJobs']>) => {
            const jobs = await target.listJobs(...args);
            rowsRead += jobs.length;
            return jobs;
          };
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store: counted, adminToken: () => TOKEN });
    await app.register(operatorConsole, consoleOptions({ adminToken: () => TOKEN }));
    t.teardown(() => app.close());

    await t.test('the counts API: every job by status, the jobs not done by system and status', async (t) => {
      const res = await app.inject({
        method: 'GET',
        url: '/admin/outbox/counts',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      t.equal(res.statusCode, 200);
      t.same(res.json(), {
        counts: { pending: 2995, 'in-flight': 0, done: 5, rejected: 0, dead: 60 },
        // done jobs are counted over all systems only (they are nearly every row)
        bySystem: { 'sys-a': { pending: 2595 }, 'sys-b': { pending: 400, dead: 60 } },
        openhimUpdates: { owed: 0, refused: 0, abandoned: 0, oldestOwedEndedAt: null },
      });
      const anon = await app.inject({ method: 'GET', url: '/admin/outbox/counts' });
      t.equal(anon.statusCode, 401, 'behind the admin token like the rest');
    });

    await t.test('the page counts every job and reads a bounded number of them', async (t) => {
      const login = await app.inject({
        method: 'POST',
        url: '/admin/ui/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ user: 'Olu Operator', token: TOKEN }).toString(),
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0];
      rowsRead = 0;
      const page = await app.inject({ method: 'GET', url: '/admin/ui/outbox', headers: { cookie } });
      t.equal(page.statusCode, 200);
      const row = (system: string) =>
        [
          ...new RegExp(`<tr><th scope="row">${system}</th>([\\s\\S]*?)</tr>`)
            .exec(page.body)![1]
            .matchAll(/>([\d,]+)<\/a>/g),
        ].map((m) => m[1]);
      // columns: waiting, in flight, dead, rejected, then delivered: a link, not counted by system
      t.same(row('sys-a'), ['2,595', '0', '0', '0'], 'all 2,595 waiting jobs of sys-a, not 1,000');
      t.same(row('sys-b'), ['400', '0', '60', '0']);
      t.match(
        page.body,
        /<a href="\/admin\/ui\/outbox\?system=sys-a&amp;status=done"[^>]*>list<\/a>/,
        'delivered: listed',
      );
      t.match(page.body, /data-testid="count-pending">2,995</);
      t.match(page.body, /data-testid="count-done">5</, 'delivered over all systems');
      t.notMatch(page.body, /first 1,000/, 'no capped counts');
      t.match(page.body, /Oldest waiting: <a[^>]*>[^<]*<\/a> \(order to sys-b\)/, 'the oldest waiting job');
      t.equal([...page.body.matchAll(/<tr data-job="/g)].length, 50, 'the first 50 dead letters');
      t.match(
        page.body,
        /The 50 oldest of 60 dead letters are shown: <a href="\/admin\/ui\/outbox\?status=dead#list-title">/,
      );
      t.ok(rowsRead <= 1 + 50 + 101, `one view read ${rowsRead} job rows (at most 152)`);
    });
  });
}
