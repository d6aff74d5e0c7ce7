import type { Test } from 'tap';
import { adminCall } from './march-stock-count.js';
import { until } from './net.js';
import type { Rig } from './openlmis-e2e.js';

type Resource = Record<string, any>;

/** The delivery jobs the outbox holds for OpenLMIS, as the admin API lists them. */
export async function deliveryJobs(rig: Rig, admin: string): Promise<Resource[]> {
  const jobs = await adminCall(rig.mediator.url, admin, 'GET', '/outbox/jobs?system=openlmis');
  return jobs.body.jobs.filter((j: Resource) => j.flow === 'delivery');
}

/** OpenLMIS back (the `down` fault removed), the operator retries the job now: it is delivered. */
export async function deliveredOnRetry(t: Test, rig: Rig, admin: string, jobId: string, down: { id: string }) {
  rig.lmis.sb.faults.remove(down.id);
  const retried = await adminCall(rig.mediator.url, admin, 'POST', `/outbox/jobs/${jobId}/retry?status=pending`);
  t.equal(retried.status, 200, 'the operator retries it now');
  const ended = await until(
    'the retried write ended',
    async () => {
      const got = (await adminCall(rig.mediator.url, admin, 'GET', `/outbox/jobs/${jobId}`)).body.job;
      return ['done', 'rejected', 'dead'].includes(got?.status) ? got : undefined;
    },
    60_000,
  );
  t.equal(ended.status, 'done', 'delivered');
}
