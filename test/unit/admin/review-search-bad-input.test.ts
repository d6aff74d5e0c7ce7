/**
 * The review queue's small bad-day answers, through fastify.inject as the mediator mounts it (form
 * parser included) on both store engines: a `_search` sent as a form or without a Content-Type is a
 * 415 naming the content type (it read as an unknown body element '{…}'); a blank or non-numeric
 * `limit` is a 400 quoting the value (a blank coerced to 0 and read "must be >= 1").
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'search-bad-input-token';
const auth = { authorization: `Bearer ${TOKEN}` };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    t.teardown(() => app.close());
    const search = (headers: Record<string, string>, payload: string) =>
      app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/review/_search',
        headers: { ...auth, ...headers },
        payload,
      });
    const json = JSON.stringify({ systemIds: ['L4'] });

    t.test('a _search body that is not JSON is a 415 naming its content type', async (t) => {
      const type = 'application/x-www-form-urlencoded';
      const r = await search({ 'content-type': type }, json);
      t.equal(r.statusCode, 415, 'a JSON text sent as a form: 415');
      t.equal(r.json().issue[0].code, 'not-supported');
      t.same(r.json().issue[0].expression, ['Content-Type']);
      t.equal(
        r.json().issue[0].diagnostics,
        `this search takes a JSON body (Content-Type: application/json), not "${type}"; nothing was read`,
      );
      const form = await search({ 'content-type': 'application/x-www-form-urlencoded' }, 'systemIds=L4&state=review');
      t.equal(form.statusCode, 415, 'a well-formed form too');
      const none = await search({}, json);
      t.equal(none.statusCode, 415, 'no Content-Type: 415');
      t.same(none.json().issue[0].expression, ['Content-Type']);
      const ok = await search({ 'content-type': 'application/json; charset=utf-8' }, json);
      t.equal(ok.statusCode, 200, 'JSON answers');
      t.same(
        ok.json().items.map((i: { systemId: string }) => i.systemId),
        ['L4'],
      );
    });

    t.test('a blank or non-numeric limit is a 400 quoting the value', async (t) => {
      for (const [raw, sent, why] of [
        ['%20', '" "', 'blank'],
        ['', '""', 'blank'],
        ['abc', '"abc"', 'not a whole number'],
        ['1.5', '"1.5"', 'not a whole number'],
      ]) {
        const r = await app.inject({ method: 'GET', url: `/admin/reconcile/emr/review?limit=${raw}`, headers: auth });
        t.equal(r.statusCode, 400, `limit=${raw}: 400`);
        t.same(r.json().issue[0].expression, ['limit']);
        t.equal(r.json().issue[0].diagnostics, `query parameter 'limit' is ${sent}, ${why}: give a whole number`);
      }
      const body = await search({ 'content-type': 'application/json' }, JSON.stringify({ limit: ' ' }));
      t.equal(body.statusCode, 400, 'a blank limit in a _search body too');
      t.equal(body.json().issue[0].diagnostics, `body element 'limit' is " ", blank: give a whole number`);
      const fine = await app.inject({ method: 'GET', url: '/admin/reconcile/emr/review?limit=%205%20', headers: auth });
      t.equal(fine.statusCode, 200, 'a number with spaces around it is still a number');
    });
  });
}
