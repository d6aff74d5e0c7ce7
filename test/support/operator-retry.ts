/**
 * A write DHIS2 refused, as the operator meets it through the mediator's admin API (ADMIN_TOKEN
 * `token`): the one rejected job, then its retry once the DHIS2 administrator fixed the cause.
 */
import type { Test } from 'tap';
import { adminCall } from './march-stock-count.js';
import { until } from './net.js';

/** The one DHIS2 job the outbox rejected (and did not retry): checks that there is one only. */
export async function theRejectedJob(t: Test, base: string, token: string): Promise<any> {
  const rejected = await adminCall(base, token, 'GET', '/outbox/jobs?status=rejected&system=dhis2');
  t.equal(rejected.body.jobs.length, 1, 'one rejected job, not retried by the outbox');
  return rejected.body.jobs[0];
}

/** The operator's retry of rejected job `id` (checks it is taken), then waits until it is delivered. */
export async function retryUntilDelivered(t: Test, base: string, token: string, id: string): Promise<void> {
  const retried = await adminCall(base, token, 'POST', `/outbox/jobs/${id}/retry?status=rejected`);
  t.equal(retried.status, 200, JSON.stringify(retried.body));
  await until(
    'the retried job delivered',
    async () => (await adminCall(base, token, 'GET', `/outbox/jobs/${id}`)).body.job?.status === 'done' || undefined,
    20_000,
  );
}
