/**
 * An offset past what the database can count (a typo, a script's overflow: `?offset=99999999999999999999`)
 * was a 500 "internal error" from the outbox list: SQLite refuses a number beyond 64 bits. Every
 * paged admin list now answers 400 naming `offset` and its bound, on both engines, and changes nothing.
 */
import t from 'tap';
import { adminListsApp } from '../../support/admin-lists-app.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'huge-offset-token';
const HUGE = '99999999999999999999';

for (const engine of engineCases()) {
  t.test(`${engine.name}: an offset beyond any list is a 400 naming offset`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const app = await adminListsApp(t, store, TOKEN);
    for (const url of [
      `/admin/outbox/jobs?offset=${HUGE}`,
      `/admin/outbox/jobs?status=dead&offset=${HUGE}`,
      `/admin/propagation?offset=${HUGE}`,
      `/admin/reconcile/openlmis/review?offset=${HUGE}`,
    ]) {
      const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
      t.equal(r.statusCode, 400, `${url}: 400`);
      t.same(r.json().issue?.[0]?.expression, ['offset'], `${url}: names offset`);
      t.match(r.json().issue?.[0]?.diagnostics, /'offset' must be <= \d+/, `${url}: and its bound`);
    }
    const review = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/openlmis/review/_search',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: `{"offset":${HUGE}}`,
    });
    t.equal(review.statusCode, 400, 'the _search body alike');
    const fine = await app.inject({
      method: 'GET',
      url: '/admin/outbox/jobs?offset=1000000',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    t.equal(fine.statusCode, 200, 'an offset past the end of a short list is an empty page');
    t.same(fine.json().jobs ?? fine.json().items ?? [], []);
  });
}
