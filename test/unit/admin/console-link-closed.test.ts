/**
 * Accepting, in the console, a candidate the registry has closed. The review API refuses such an
 * accept unless the request says `"linkClosed": true` (registry/closed-link.ts), but the console
 * never sent it: a data manager was told to "send linkClosed" and could link a closed facility
 * by no means at all. Now the decide form has a box for it beside a closed candidate (none when
 * no candidate is closed); without the box ticked the refusal stands and says to tick it; ticked,
 * the record is linked and the audit says it was meant.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import type { Facility } from '../../../src/domain/facility.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'console-link-closed-token';

t.test('console over inject', async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
  let registry: Facility[] = REVIEW_REGISTRY;
  const app = Fastify();
  await app.register(formbody);
  await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => registry });
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
  const reviewPage = () => app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } });
  /** The decide form of the page as it is now, as the browser would post it. */
  const decideForm = async () => {
    const page = await reviewPage();
    const form = /<form method="post" action="\/admin\/ui\/review\/decide" id="decide">([\s\S]*?)<\/form>/.exec(
      page.body,
    )!;
    const fields = new URLSearchParams();
    for (const m of form[1].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1], m[2]);
    return { fields, html: form[1] };
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

  t.notMatch((await decideForm()).html, 'name="linkClosed"', 'no candidate closed: no box');

  registry = REVIEW_REGISTRY.map((f) => (f.id === 'R4' ? { ...f, status: 'inactive' as const } : f));
  const shown = await decideForm();
  t.match(shown.html, /<input type="checkbox" name="linkClosed" value="true"/, 'a closed candidate: the box');

  const refused = await post(shown.fields, { op: 'accept', registryId: 'R4' });
  t.equal(refused.statusCode, 303);
  t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'without the box: not decided');
  const said = await reviewPage();
  t.match(said.body, /Not decided \(422\): registry facility R4 .* is closed in the registry/);
  t.match(said.body, 'tick the box under the candidates', 'the console says its own way to mean it');

  const meant = await post((await decideForm()).fields, { op: 'accept', registryId: 'R4', linkClosed: 'true' });
  t.equal(meant.statusCode, 303);
  const row = await store.getCrosswalk('emr', 'L4');
  t.equal(row?.state, 'manual-match', 'the box ticked: linked');
  t.equal(row?.registryId, 'R4');
  const [entry] = await store.listAudit({ subject: 'emr/L4' });
  t.equal((entry.details as { linkClosed?: boolean }).linkClosed, true, 'the audit says it was meant');
});
