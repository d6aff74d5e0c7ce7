/**
 * A review decision made on a stale view. Ann opens L4 with its candidates R4 and R5; meanwhile a
 * colleague rejects R4 through the API. Ann then accepts R4 from the page she still has: that
 * would silently overrule the rejection she never saw. The console sends the row's decidedAt as
 * shown; the review API refuses a row changed since (409) and the console says so. A decision on
 * a page that is still current goes through.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'stale-review-token';
const fac = reviewFacility;
const registry = REVIEW_REGISTRY;

t.test('console over inject', async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  await reconcileIntoStore(store, 'emr', [fac('L4', 'Kasikeu')], registry);
  const app = Fastify();
  await app.register(formbody);
  // the registry list names R4: an accept of it is not refused as an unknown id
  await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => registry });
  await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
  await app.register(
    operatorConsole,
    consoleOptions({
      adminToken: () => TOKEN,
      directory: {
        registry: async () => new Map(registry.map((f) => [f.id!, f])),
        system: async () => new Map(),
        systems: () => ['emr'],
      },
    }),
  );
  t.teardown(() => app.close());
  const login = await app.inject({
    method: 'POST',
    url: '/admin/ui/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ user: 'Ann Reviewer', token: TOKEN }).toString(),
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  /** The decide form of the page as it is now: its hidden fields, as the browser would post them. */
  const decideForm = async () => {
    const page = await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } });
    const form = /<form method="post" action="\/admin\/ui\/review\/decide" id="decide">([\s\S]*?)<\/form>/.exec(
      page.body,
    )!;
    const fields = new URLSearchParams();
    for (const m of form[1].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1], m[2]);
    return fields;
  };
  const post = (fields: URLSearchParams, extra: Record<string, string>) => {
    const body = new URLSearchParams(fields);
    for (const [k, v] of Object.entries(extra)) body.set(k, v);
    return app.inject({
      method: 'POST',
      url: '/admin/ui/review/decide',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: body.toString(),
    });
  };

  const shown = await decideForm();
  t.equal(shown.get('systemId'), 'L4');
  const colleague = await app.inject({
    method: 'POST',
    url: '/admin/reconcile/emr/L4/reject',
    headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'Bo Colleague' },
    payload: { registryId: 'R4' },
  });
  t.equal(colleague.statusCode, 200);

  const stale = await post(shown, { op: 'accept', registryId: 'R4' });
  t.equal(stale.statusCode, 303);
  const row = await store.getCrosswalk('emr', 'L4');
  t.equal(row?.state, 'review', "Ann's accept on the stale page did not overrule the rejection");
  t.notOk(
    row?.suggestions.some((s) => s.registryId === 'R4'),
    'R4 stays rejected',
  );
  t.equal(row?.decidedBy, 'Bo Colleague');
  const page = await app.inject({ method: 'GET', url: stale.headers.location as string, headers: { cookie } });
  t.match(page.body, /Not decided \(409\)/);
  t.match(page.body, /changed since it was shown/, 'the console says why');

  // the page as it is now: the decision goes through
  const fresh = await post(await decideForm(), { op: 'accept', registryId: 'R5' });
  t.equal(fresh.statusCode, 303);
  t.match(await store.getCrosswalk('emr', 'L4'), {
    state: 'manual-match',
    registryId: 'R5',
    decidedBy: 'Ann Reviewer',
  });
});
