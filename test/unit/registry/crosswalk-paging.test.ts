/**
 * GET /admin/reconcile/:system/crosswalk, paged: a national list (10k+ facilities) came back
 * whole. It answers at most 1000 rows by systemId, with `total`, `offset` and `next` as the review
 * queue does; `at=<next>` and `offset` page on, a bad `limit` or unknown parameter is a 400.
 * Through the admin API on both store engines, with 1003 rows stored.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'crosswalk-paging-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const COUNT = 1003;
/** Zero-padded: one order on both engines whatever their collation. */
const idOf = (i: number) => `F${String(i).padStart(5, '0')}`;

const rowOf = (i: number): CrosswalkRow => ({
  system: 'dhis2',
  systemId: idOf(i),
  state: i % 2 ? 'no-match' : 'review',
  zone: i % 2 ? 'no-match' : 'review',
  reasons: [],
  suggestions: [],
  decidedBy: 'auto',
  decidedAt: '2026-12-01T00:00:00.000Z',
});

interface Page {
  system: string;
  total: number;
  offset: number;
  next: string | null;
  rows: { systemId: string }[];
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    // stored in reverse, so an answer in id order is the query's, not the insert's
    await store.upsertCrosswalkMany(Array.from({ length: COUNT }, (_, i) => rowOf(COUNT - 1 - i)));
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, systems: () => ['dhis2', 'emr'] });
    t.teardown(() => app.close());
    const get = (query: string) =>
      app.inject({ method: 'GET', url: `/admin/reconcile/dhis2/crosswalk${query}`, headers: AUTH });
    const ids = (p: Page) => p.rows.map((r) => r.systemId);
    const every = Array.from({ length: COUNT }, (_, i) => idOf(i));

    await t.test('without paging parameters: the first 1000 rows, and where to go on', async (t) => {
      const r = await get('');
      t.equal(r.statusCode, 200);
      const page = r.json() as Page;
      t.match(page, { system: 'dhis2', total: COUNT, offset: 0, next: idOf(1000) });
      t.same(ids(page), every.slice(0, 1000), 'by systemId');
    });

    await t.test('at=<next> pages on to the end; the last page names no next', async (t) => {
      const first = (await get('?limit=400')).json() as Page;
      const second = (await get(`?limit=400&at=${first.next}`)).json() as Page;
      const third = (await get(`?limit=400&at=${second.next}`)).json() as Page;
      t.same([...ids(first), ...ids(second), ...ids(third)], every, 'every row once, in order');
      t.same([first.offset, second.offset, third.offset], [0, 400, 800]);
      t.equal(third.next, null);
    });

    await t.test('offset pages as the queue does', async (t) => {
      const page = (await get('?limit=5&offset=1000')).json() as Page;
      t.same(ids(page), every.slice(1000), 'the last three');
      t.equal(page.next, null);
    });

    await t.test('bad paging is a 400 naming the parameter, never the whole list', async (t) => {
      for (const [query, where] of [
        ['?limit=1001', /limit/],
        ['?limit=0', /limit/],
        ['?offset=-1', /offset/],
        ['?limt=5', /limt/],
        ['?at=NOPE', /at/],
      ] as const) {
        const r = await get(query);
        t.equal(r.statusCode, 400, query);
        t.match(JSON.stringify(r.json().issue), where, query);
      }
    });

    await t.test('a known system with nothing stored is an empty page; an unknown one a 404', async (t) => {
      const empty = await app.inject({ method: 'GET', url: '/admin/reconcile/emr/crosswalk', headers: AUTH });
      t.match(empty.json(), { system: 'emr', total: 0, offset: 0, next: null, rows: [] });
      const unknown = await app.inject({ method: 'GET', url: '/admin/reconcile/nosuch/crosswalk', headers: AUTH });
      t.equal(unknown.statusCode, 404);
    });
  });
}
