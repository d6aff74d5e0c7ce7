/**
 * `outbox list` (text and --json) and the admin API's job list give each job's `updatedAt`, in the
 * form `outbox retry|drop --updated-at` and `?updatedAt=` take back exactly (to the millisecond,
 * as both store engines keep it): an operator guards an action from the list without opening each
 * job with `outbox show`. A value copied from the list is accepted while the job is unchanged, and
 * refused once the job moved on. Both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import type { Store } from '../../../src/store/types.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { outboxCli } from '../../support/outbox-cli.js';

const TOKEN = 'list-updated-token';
// a millisecond part that a seconds- or microsecond-rounding form would not give back as it is
const T0 = Date.UTC(2026, 11, 4, 9, 0, 0, 987);

const cli = outboxCli;

/** The `updated=` of job `id`'s row in `outbox list`'s text, as an operator would copy it. */
async function listedUpdatedAt(databaseUrl: string, id: string): Promise<string> {
  const { out } = await cli(databaseUrl, ['list']);
  const row = out.split('\n').find((l) => l.startsWith(`${id}  `));
  const m = row?.match(/ updated=(\S+)/);
  if (!m) throw new Error(`no updated= in the list row of ${id}: ${out}`);
  return m[1]!;
}

/** Worker w1 takes `id` (the only job due) at `at` and its attempt `n` ends it dead at `at + 1 s`. */
async function takenAndDead(store: Store, id: string, n: number, at: number): Promise<void> {
  const [job] = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 1,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: at,
  });
  if (job?.id !== id) throw new Error(`expected to claim ${id}, got ${job?.id}`);
  const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient' as const, diagnostics: 'down' }] };
  await store.finishJob(id, 'w1', { status: 'dead', error }, at + 1_000, {
    jobId: id,
    startedAt: at,
    endedAt: at + 1_000,
    attempt: n,
    outcome: 'dead',
  });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a retry guarded by the updatedAt copied from `outbox list`', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      await store.recordWrite(newJob('J1', { createdAt: T0, nextAttemptAt: T0 }));
      await takenAndDead(store, 'J1', 1, T0 + 1_000);

      const copied = await listedUpdatedAt(databaseUrl, 'J1');
      t.equal(copied, new Date(T0 + 2_000).toISOString(), 'the list gives when it went dead, to the millisecond');
      const [json] = JSON.parse((await cli(databaseUrl, ['list', '--json'])).out);
      t.equal(json.updatedAt, copied, '--json gives the same');

      // meanwhile a colleague retries it and its new attempt dies too
      t.ok((await retryOutboxJob(store, 'J1', 'colleague')).ok);
      const later = Date.now() + 60_000;
      await takenAndDead(store, 'J1', 1, later);

      const stale = await cli(databaseUrl, ['retry', 'J1', '--status', 'dead', '--updated-at', copied]);
      t.equal(stale.code, 1, 'the stale copy is refused');
      t.match(stale.err, `job J1 is dead but changed since it was shown (updated ${copied})`);
      t.equal((await store.getJob('J1'))?.requeues, 1, "only the colleague's retry");

      const fresh = await listedUpdatedAt(databaseUrl, 'J1');
      t.equal(fresh, new Date(later + 1_000).toISOString());
      const ok = await cli(databaseUrl, ['retry', 'J1', '--status', 'dead', '--updated-at', fresh]);
      t.equal(ok.code, 0, ok.err);
      t.equal(ok.out, 'job J1 queued for retry\n');
      t.match(await store.getJob('J1'), { status: 'pending', attempts: 0, requeues: 2 });
    });

    t.test("the admin API's list row: its updatedAt is the drop's ?updatedAt=", async (t) => {
      const { store } = await freshStore(engine, t);
      await store.recordWrite(newJob('J2', { createdAt: T0, nextAttemptAt: T0 }));
      await takenAndDead(store, 'J2', 1, T0 + 1_000);
      const app = Fastify();
      app.setErrorHandler(fhirErrorHandler);
      await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: TOKEN });
      t.teardown(() => app.close());
      const call = (method: 'GET' | 'DELETE', url: string) =>
        app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } });

      const [row] = (await call('GET', '/admin/outbox/jobs')).json().jobs;
      t.equal(row.updatedAt, new Date(T0 + 2_000).toISOString());
      t.equal(row.createdAt, new Date(T0).toISOString(), 'the fields it had are unchanged');

      const older = new Date(T0 + 1_999).toISOString(); // one millisecond off: not the job as it is
      t.equal((await call('DELETE', `/admin/outbox/jobs/J2?status=dead&updatedAt=${older}`)).statusCode, 409);
      t.ok(await store.getJob('J2'), 'kept');
      const res = await call('DELETE', `/admin/outbox/jobs/J2?status=dead&updatedAt=${row.updatedAt}`);
      t.equal(res.statusCode, 200, res.body);
      t.equal(await store.getJob('J2'), undefined, 'dropped');
    });
  });
}
