/**
 * A given-up write is not retried over a later write of the same record, on both store engines:
 * a facility write that went dead, then a later write of that facility accepted (and delivered):
 * retrying the dead one would deliver the older version last, so the retry answers 409, changes
 * nothing and audits nothing. A dead write whose resource nobody wrote since, or a later write of
 * another facility, or of the same id by another flow or to another system, leaves it retryable.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'overtaken-token';

/** A facility write of `resource` recorded at `at`, claimed once and ended as `end`. */
async function facilityWrite(
  store: Store,
  id: string,
  resource: string,
  at: number,
  end: 'dead' | 'done' | 'pending',
  over: Partial<NewJob> = {},
) {
  const job = newJob(id, {
    flow: 'facility',
    system: `sys-${resource}`,
    payload: { id: resource, name: id },
    createdAt: at,
    nextAttemptAt: at,
    ...over,
  });
  await store.recordWrite(job);
  if (end === 'pending') return;
  const [claimed] = await store.claimJobs({
    system: job.system,
    flows: [job.flow],
    limit: 1,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: at,
  });
  if (claimed?.id !== id) throw new Error(`job ${id} was not claimed`);
  const outcome =
    end === 'done'
      ? { status: 'done' as const, result: { system: job.system, ids: {} } }
      : {
          status: 'dead' as const,
          error: { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] },
        };
  await store.finishJob(id, 'w1', outcome, at + 1);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    t.teardown(() => app.close());
    const retry = (id: string, status?: string) =>
      app.inject({
        method: 'POST',
        url: `/admin/outbox/jobs/${id}/retry${status ? `?status=${status}` : ''}`,
        headers: { authorization: `Bearer ${TOKEN}`, 'x-admin-user': 'Ama' },
      });
    const audited = async (id: string) =>
      (await store.listAudit({ subject: id })).filter((a) => a.action === 'outbox.retry').length;

    await t.test('a dead write of a facility written again since: 409, nothing done', async (t) => {
      await facilityWrite(store, 'D1', 'loc-a', 1_000, 'dead');
      await facilityWrite(store, 'D2', 'loc-a', 2_000, 'done');
      const answer = await retry('D1', 'dead');
      t.equal(answer.statusCode, 409);
      t.match(answer.json(), {
        resourceType: 'OperationOutcome',
        status: 'dead',
        issue: [
          {
            code: 'conflict',
            expression: ['id'],
            diagnostics:
              /^job D1 is dead, and a later write of the same record \(the same upstream object, by whatever id or code it was named\) was accepted after it: retried, it would put the older version back/,
          },
        ],
      });
      t.match(await store.getJob('D1'), { status: 'dead' }, 'still dead');
      t.equal(await audited('D1'), 0, 'nothing audited');
      t.equal(await store.requeueJob('D1', { actor: 'x', action: 'outbox.retry', subject: 'D1' }, 3_000), undefined);
    });

    await t.test('a later write still waiting overtakes it too', async (t) => {
      await facilityWrite(store, 'W1', 'loc-w', 1_000, 'dead');
      await facilityWrite(store, 'W2', 'loc-w', 2_000, 'pending');
      t.equal((await retry('W1')).statusCode, 409);
    });

    await t.test('no later write of that resource: retried', async (t) => {
      await facilityWrite(store, 'E0', 'loc-e', 500, 'done'); // an earlier write of it (accepted before)
      await facilityWrite(store, 'E1', 'loc-e', 1_000, 'dead');
      await facilityWrite(store, 'E2', 'loc-other', 2_000, 'done', { system: 'sys-loc-e' }); // another facility
      await facilityWrite(store, 'E3', 'loc-e', 2_000, 'done', { system: 'sys-2' }); // another system
      await facilityWrite(store, 'E4', 'loc-e', 2_000, 'done', { flow: 'stock' }); // another flow
      t.equal((await retry('E1', 'dead')).statusCode, 200);
      t.match(await store.getJob('E1'), { status: 'pending', attempts: 0 });
      t.equal(await audited('E1'), 1);
    });

    await t.test('a pending write with a later one behind it may still be sent now', async (t) => {
      await facilityWrite(store, 'P1', 'loc-p', 1_000, 'pending', { nextAttemptAt: Date.now() + 600_000 });
      await facilityWrite(store, 'P2', 'loc-p', 2_000, 'pending');
      t.equal((await retry('P1', 'pending')).statusCode, 200);
    });
  });
}
