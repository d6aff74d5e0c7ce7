/**
 * Bodies the admin API cannot take, answered in the same precise words on every admin route: a
 * text/plain body is a 415 naming Content-Type and what to send, an oversized one a 413 naming
 * limits.bodyBytes. The review and propagation routes answered Fastify's bare "Unsupported Media
 * Type" / "Request body is too large" with no expression, unlike the outbox and jobs routes. A
 * POST that needs no body (run a job, release held changes) sent with a JSON Content-Type and no
 * body, as `curl -H 'Content-Type: application/json' -X POST` does, is taken, not refused as
 * "a FHIR resource was expected". Through the running mediator; nothing changes on a refusal.
 */
import t from 'tap';
import { startConsoleRig, ADMIN_TOKEN } from './console-rig.js';

t.test('admin bodies refused in precise words, an empty JSON body taken', async (t) => {
  const rig = await startConsoleRig({ LIMIT_BODY_BYTES: '100000' });
  t.teardown(() => rig.close());
  const base = rig.mediator.url;
  const id = (await rig.admin('GET', '/admin/reconcile/openlmis/review?limit=1')).body.items[0].systemId as string;
  const send = async (url: string, contentType: string, body?: string) => {
    const r = await fetch(`${base}${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-actor': 'ops', 'content-type': contentType },
      body,
    });
    return {
      status: r.status,
      body: (await r.json()) as { issue?: { code: string; diagnostics: string; expression?: string[] }[] },
    };
  };
  const routes = [
    `/admin/reconcile/openlmis/${id}/flag`,
    `/admin/reconcile/openlmis/${id}/undo`,
    '/admin/propagation/release',
    '/admin/jobs/reconcile/run',
    '/admin/outbox/jobs/1/retry',
  ];
  for (const url of routes) {
    const plain = await send(url, 'text/plain', '{"comment":"check"}');
    t.equal(plain.status, 415, `${url} text/plain: 415`);
    t.match(plain.body.issue?.[0], {
      code: 'not-supported',
      diagnostics: /application\/json/,
      expression: ['Content-Type'],
    });
    const big = await send(url, 'application/json', JSON.stringify({ comment: 'x'.repeat(200_000) }));
    t.equal(big.status, 413, `${url} too large: 413`);
    t.match(big.body.issue?.[0], { code: 'too-costly', diagnostics: /limits\.bodyBytes/, expression: ['$this'] });
  }
  t.equal((await rig.mediator.store.getCrosswalk('openlmis', id))?.state, 'review', 'nothing was flagged');

  const run = await send('/admin/jobs/reconcile/run', 'application/json');
  t.equal(run.status, 200, 'a job run with a JSON Content-Type and no body runs');
  const release = await send('/admin/propagation/release', 'application/json');
  t.equal(release.status, 200, 'a release alike');
  const accept = await send(`/admin/reconcile/openlmis/${id}/accept`, 'application/json');
  t.equal(accept.status, 400, 'an accept with no body still says what it lacks');
  t.match(accept.body.issue?.[0], { expression: ['registryId'] });
});
