/**
 * A typo in a list's query parameter (`?stat=flagged`, `?limt=5`) was dropped by the schema and the
 * whole, unfiltered list answered as if it were the one asked for. The review queue, the outbox
 * list and the propagation list now answer 400 naming the parameter and the ones they take.
 */
import t from 'tap';
import { adminListsApp } from '../../support/admin-lists-app.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'unknown-query-token';

t.test('an unknown list parameter is a 400 naming it', async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  const app = await adminListsApp(t, store, TOKEN);
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
  for (const [url, name, takes] of [
    ['/admin/reconcile/openlmis/review?stat=flagged', 'stat', /state, band, at, limit, offset/],
    ['/admin/outbox/jobs?limt=5', 'limt', /status, system, flow, limit, offset/],
    ['/admin/propagation?sytem=dhis2', 'sytem', /state, system, registryId, limit, offset/],
  ] as const) {
    const r = await get(url);
    t.equal(r.statusCode, 400, `${url}: 400`);
    t.same(r.json().issue[0].expression, [name], `${url}: names ${name}`);
    t.match(r.json().issue[0].diagnostics, takes, 'and what the list takes');
  }
  const search = (payload: object) =>
    app.inject({
      method: 'POST',
      url: '/admin/reconcile/openlmis/review/_search',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload,
    });
  const typo = await search({ systemIds: ['L1'], stat: 'flagged' });
  t.equal(typo.statusCode, 400, 'the _search body alike');
  t.same(typo.json().issue[0].expression, ['stat']);
  t.equal((await search({ systemIds: ['L1'], state: 'flagged' })).statusCode, 200, 'a known body answers');
  for (const url of [
    '/admin/reconcile/openlmis/review?state=flagged&limit=5',
    '/admin/outbox/jobs?status=dead&limit=5',
    '/admin/propagation?state=held',
  ])
    t.equal((await get(url)).statusCode, 200, `${url}: known parameters answer as before`);
});
