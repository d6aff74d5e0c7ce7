/** The running mediator serves both admin APIs (outbox, reconciliation review) behind the admin token. */
import t from 'tap';
import { startMediatorIn } from '../../support/in-process-mediator.js';

t.test('admin APIs need the admin token, and answer with it', async (t) => {
  const mediator = await startMediatorIn(t, 'admin-', {
    AUTH_PASSWORD: 'admin-test-pw',
    ADMIN_TOKEN: 'admin-token-Rt5',
    // the review queue of a system nobody configured is a 404 (review-routes): configure one;
    // nothing here calls it (nothing reconciled yet: an empty queue)
    OPENLMIS_BASE_URL: 'http://127.0.0.1:9',
    OPENLMIS_USERNAME: 'mediator',
    OPENLMIS_PASSWORD: 'lmis-admin-test',
  });
  for (const url of ['/admin/outbox/jobs', '/admin/reconcile/openlmis/review']) {
    const refused = await fetch(`${mediator.url}${url}`, { headers: { authorization: 'Bearer wrong' } });
    t.equal(refused.status, 401, `${url} without the token`);
    t.equal(((await refused.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    const ok = await fetch(`${mediator.url}${url}`, { headers: { authorization: 'Bearer admin-token-Rt5' } });
    t.equal(ok.status, 200, `${url} with the token`);
    await ok.body?.cancel();
  }
});
