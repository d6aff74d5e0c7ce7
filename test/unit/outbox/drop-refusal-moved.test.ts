/**
 * A drop the store refused because the job was in flight as it wrote, put back or ended by the
 * worker before the refusal read it (pending or dead now: jobs a drop applies to), is explained by
 * what moved it under the drop, as a retry's is (retry-refusal-failing-age.test.ts). It was
 * answered "job is pending; this action does not apply" (API) and "job … is in flight" (CLI):
 * untrue of the job as it is, and no word that a drop again would act. Both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { dropOutboxJob } from '../../../src/outbox/operator.js';
import { refusalText } from '../../../src/cli/outbox-refusal.js';
import type { Store } from '../../../src/store/types.js';
import { claimedJob } from '../../support/claimed-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const ERROR = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient' as const, diagnostics: 'down' }] };

/** `store` whose drop of a job, once refused, is followed by the worker ending its attempt `as`. */
function endedAfterRefusal(store: Store, as: 'pending' | 'dead'): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'dropJob') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<Store['dropJob']>) => {
        const dropped = await target.dropJob(...args);
        if (!dropped) {
          const now = Date.now();
          if (as === 'pending') await target.rescheduleJob(args[0], 'w1', now + 60_000, 'down', false, now);
          else await target.finishJob(args[0], 'w1', { status: 'dead', error: ERROR }, now);
        }
        return dropped;
      };
    },
  });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    for (const as of ['pending', 'dead'] as const) {
      await t.test(`${as} by the time the refusal reads it`, async (t) => {
        const { store } = await freshStore(engine, t);
        const id = `D-${as}`;
        await claimedJob(store, id); // in flight: the store refuses a drop of it
        const r = await dropOutboxJob(endedAfterRefusal(store, as), id, 'ops');
        t.match(r, { ok: false, reason: 'wrong-status', status: as, movedBy: /^delivery attempt|^the outbox worker/ });
        t.ok(await store.getJob(id), 'not dropped');
        const cli = refusalText(id, r as Exclude<typeof r, { ok: true }>, 'drop');
        t.match(cli, new RegExp(`^job ${id} is ${as} now, after .*, but was not when the drop was made`));
        t.notMatch(cli, /is in flight/);

        // the admin API's 409 says the same, not that a drop does not apply to the job
        const api = `${id}-api`;
        await claimedJob(store, api);
        const app = Fastify();
        app.setErrorHandler(fhirErrorHandler);
        await app.register(outboxAdminRoutes, {
          prefix: '/admin',
          store: endedAfterRefusal(store, as),
          adminToken: 'tk',
        });
        t.teardown(() => app.close());
        const answer = await app.inject({
          method: 'DELETE',
          url: `/admin/outbox/jobs/${api}`,
          headers: { authorization: 'Bearer tk' },
        });
        t.equal(answer.statusCode, 409);
        t.match(
          answer.json().issue[0].diagnostics,
          new RegExp(
            `^job ${api} is ${as} now, after .*, but was not when the drop was made \\(in flight, or changed under it\\); nothing was done: drop again if it is still wanted`,
          ),
        );
        t.ok(await store.getJob(api), 'not dropped');
      });
    }
  });
}
