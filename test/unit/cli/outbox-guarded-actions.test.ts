/**
 * `cli outbox retry|drop --status --updated-at`: the job as the operator saw it (`outbox show`),
 * checked inside the store's write as the admin API's `?status=&updatedAt=` is. A job that moved
 * on between the look and the command (retried by a colleague and dead again; taken by a worker
 * and back to waiting) is left alone, exit 1, naming its state now and what moved it; the same
 * command without the guard (all the CLI had) acts on the changed job. Both store engines.
 */
import t from 'tap';
import { outboxCommand } from '../../../src/cli/outbox.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import type { Store } from '../../../src/store/types.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { outboxCli } from '../../support/outbox-cli.js';

const T0 = Date.UTC(2026, 11, 4, 9, 0, 0, 123);
const iso = (ms: number) => new Date(ms).toISOString();

const cli = outboxCli;

/** Claims `id` (the only job due) for worker w1 at `now`. */
async function take(store: Store, id: string, now: number): Promise<void> {
  const [job] = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 1,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now,
  });
  if (job?.id !== id) throw new Error(`expected to claim ${id}, got ${job?.id}`);
}

/** Its attempt `n` at `at` ends it dead. */
async function dies(store: Store, id: string, n: number, at: number): Promise<void> {
  const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient' as const, diagnostics: 'down' }] };
  await store.finishJob(id, 'w1', { status: 'dead', error }, at, {
    jobId: id,
    startedAt: at - 500,
    endedAt: at,
    attempt: n,
    outcome: 'dead',
  });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a drop of a dead job a colleague retried, dead again since', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      await store.recordWrite(newJob('J1', { createdAt: T0, nextAttemptAt: T0 }));
      await take(store, 'J1', T0 + 1_000);
      await dies(store, 'J1', 1, T0 + 2_000);
      const seen = (await store.getJob('J1'))!; // what `outbox show` gave the operator
      t.equal(seen.status, 'dead');

      // meanwhile: a colleague retries it and its new attempt dies too (later than anything above)
      t.ok((await retryOutboxJob(store, 'J1', 'colleague')).ok);
      const later = Date.now() + 60_000;
      await take(store, 'J1', later);
      await dies(store, 'J1', 1, later + 1_000);

      const r = await cli(databaseUrl, ['drop', 'J1', '--status', 'dead', '--updated-at', iso(seen.updatedAt)]);
      t.equal(r.code, 1, 'refused');
      t.equal(r.out, '');
      t.match(r.err, `job J1 is dead but changed since it was shown (updated ${iso(seen.updatedAt)})`);
      t.match(r.err, `it was updated ${iso(later + 1_000)}, after delivery attempt 1 (dead)`);
      t.match(r.err, 'nothing was done');
      t.equal((await store.getJob('J1'))?.requeues, 1, 'the re-sent write is kept');
      t.notOk(
        (await store.listAudit({ subject: 'J1' })).some((a) => a.action === 'outbox.drop'),
        'nothing audited',
      );

      // what the CLI could only do before: unguarded, it deletes the write the colleague re-sent
      const unguarded = await cli(databaseUrl, ['drop', 'J1']);
      t.equal(unguarded.code, 0);
      t.equal(await store.getJob('J1'), undefined);
    });

    t.test('a retry of a waiting job a worker took, and waiting again since', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      await store.recordWrite(newJob('J2', { createdAt: T0, nextAttemptAt: T0 }));
      await take(store, 'J2', T0 + 1_000);
      await store.rescheduleJob('J2', 'w1', T0 + 10_000, 'upstream down', false, T0 + 2_000);
      const seen = (await store.getJob('J2'))!;
      t.match(seen, { status: 'pending', attempts: 1 });
      const guard = ['--status', 'pending', '--updated-at', iso(seen.updatedAt)];

      await take(store, 'J2', T0 + 10_000); // the worker holds it
      const held = await cli(databaseUrl, ['retry', 'J2', ...guard]);
      t.equal(held.code, 1);
      t.match(held.err, 'job J2 is in-flight now, not pending as given with --status, after the outbox worker');

      // its attempt ends: waiting again, another attempt charged; not the job the operator saw
      await store.rescheduleJob('J2', 'w1', T0 + 20_000, 'upstream down again', false, T0 + 11_000);
      const r = await cli(databaseUrl, ['retry', 'J2', ...guard]);
      t.equal(r.code, 1, 'refused');
      t.match(r.err, `job J2 is pending but changed since it was shown (updated ${iso(seen.updatedAt)})`);
      t.match(r.err, `it was updated ${iso(T0 + 11_000)}`);
      t.match(await store.getJob('J2'), { attempts: 2, nextAttemptAt: T0 + 20_000 }, 'not requeued');

      // as it is now, the guard holds and the retry acts, audited
      const now = (await store.getJob('J2'))!;
      const ok = await cli(databaseUrl, ['retry', 'J2', '--status', 'pending', '--updated-at', iso(now.updatedAt)]);
      t.equal(ok.code, 0);
      t.equal(ok.out, 'job J2 queued for retry\n');
      t.match(await store.getJob('J2'), { status: 'pending', attempts: 0, requeues: 1 });
    });

    t.test('an --updated-at that is no instant is a usage error, nothing done', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      await store.recordWrite(newJob('J3', { createdAt: T0, nextAttemptAt: T0 }));
      const cmd = outboxCommand();
      for (const sub of cmd.commands) sub.exitOverride().configureOutput({ writeErr: () => {} });
      await t.rejects(
        cmd.parseAsync(['--database-url', databaseUrl, 'drop', 'J3', '--updated-at', '1'], { from: 'user' }),
        /updatedAt must be the job's updatedAt as it was shown/,
      );
      t.ok(await store.getJob('J3'), 'still there');
    });
  });
}
