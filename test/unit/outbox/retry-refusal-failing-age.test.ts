/**
 * A retry refused by the store (the job in flight as it wrote) is explained by the job as it is
 * when the refusal reads it (operator.ts refusal). A job the worker put back meanwhile, pending,
 * uncharged and due but with a failing age (a facility's parent not there yet), is no job "already
 * due with a fresh attempt budget": the store requeues such a job (its age is reset), so "nothing
 * to retry" was untrue; the refusal's check (freshPending) now leaves out a failing age as the
 * store's does, and the refusal says what moved the job under the retry. Both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import type { Store } from '../../../src/store/types.js';
import { claimedJob } from '../../support/claimed-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

/** `store` whose requeue of `id`, once refused, is followed by the worker putting the job back uncharged. */
function putBackAfterRefusal(store: Store, id: string): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'requeueJob') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<Store['requeueJob']>) => {
        const job = await target.requeueJob(...args);
        if (!job) {
          const now = Date.now();
          // its attempt did not count (a parent not there yet): due again now, failing since now
          await target.rescheduleJob(id, 'w1', now, 'the parent facility is not there yet', true, now);
        }
        return job;
      };
    },
  });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await claimedJob(store, 'F1'); // in flight: the store refuses a retry of it
    const r = await retryOutboxJob(putBackAfterRefusal(store, 'F1'), 'F1', 'ops');
    const now = (await store.getJob('F1'))!;
    t.match(now, { status: 'pending', attempts: 0 }, 'put back uncharged');
    t.ok(now.failingSince !== undefined, 'with a failing age');
    t.match(r, { ok: false, status: 'pending' });
    t.not((r as { reason: string }).reason, 'already-due', 'not said to have nothing to retry');
    t.match(r, { reason: 'wrong-status', movedBy: /^the outbox worker at / }, 'but what moved it under the retry');

    // what a retry makes of it now: it acts (its failing age reset), so there was something to retry
    const again = await retryOutboxJob(store, 'F1', 'ops');
    t.equal(again.ok, true);
    t.equal((await store.getJob('F1'))?.failingSince, undefined);

    // the admin API's 409 says so, not that a retry does not apply to a pending job
    await claimedJob(store, 'F2');
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(outboxAdminRoutes, {
      prefix: '/admin',
      store: putBackAfterRefusal(store, 'F2'),
      adminToken: 'tk',
    });
    t.teardown(() => app.close());
    const answer = await app.inject({
      method: 'POST',
      url: '/admin/outbox/jobs/F2/retry',
      headers: { authorization: 'Bearer tk' },
    });
    t.equal(answer.statusCode, 409);
    t.match(
      answer.json().issue[0].diagnostics,
      /^job F2 is pending now, after the outbox worker at .*, but was not when the retry was made \(in flight, or changed under it\); nothing was done/,
    );
  });
}
