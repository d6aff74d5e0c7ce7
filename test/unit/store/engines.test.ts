/** The store contract, run against SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import t from 'tap';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';
import { openStore, resolveStoreTarget } from '../../../src/store/index.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS } from '../../../src/store/migrations.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

function row(over: Partial<CrosswalkRow> = {}): CrosswalkRow {
  return {
    system: 'openlmis',
    systemId: 'F-1',
    registryId: 'R-1',
    state: 'auto-match',
    zone: 'auto',
    score: 12.5,
    reasons: [{ field: 'name', weight: 8, detail: 'exact' }],
    suggestions: [],
    decidedBy: 'auto',
    decidedAt: '2024-01-01T00:00:00Z',
    ...over,
  };
}

t.test('both engines have the same migration versions', async (t) => {
  t.same(
    POSTGRES_MIGRATIONS.map((m) => m.version),
    SQLITE_MIGRATIONS.map((m) => m.version),
  );
});

t.test('databaseUrl selects the engine', async (t) => {
  t.match(resolveStoreTarget({}), { engine: 'sqlite', file: /data\/mediator\.db$/ });
  t.match(resolveStoreTarget({ dataDir: '/var/lib/m' }), { engine: 'sqlite', file: '/var/lib/m/mediator.db' });
  t.same(resolveStoreTarget({ databaseUrl: 'sqlite::memory:' }), { engine: 'sqlite', file: ':memory:' });
  t.same(resolveStoreTarget({ databaseUrl: 'postgres://u@h/db' }), { engine: 'postgres', url: 'postgres://u@h/db' });
  t.throws(() => resolveStoreTarget({ databaseUrl: 'mysql://x' }), /must start with/);
});

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);

    t.test('migrations run once and are recorded', async (t) => {
      const again = await openStore({ databaseUrl });
      t.same(
        await again.migrationVersions(),
        SQLITE_MIGRATIONS.map((m) => m.version),
        'every version once, in order',
      );
      await again.close();
      t.equal(store.engine, engine.name);
    });

    t.test('crosswalk: an automatic row never overwrites a human decision', async (t) => {
      t.same(await store.upsertCrosswalk(row()), { written: true });
      t.same(
        await store.upsertCrosswalk(row({ registryId: 'R-2', score: 9 })),
        { written: true },
        'auto replaces auto',
      );
      t.equal((await store.getCrosswalk('openlmis', 'F-1'))?.registryId, 'R-2');
      const human = row({ registryId: 'R-3', state: 'manual-match', decidedBy: 'alice', comment: 'checked on site' });
      t.same(await store.upsertCrosswalk(human, { actor: 'alice', action: 'review.match', subject: 'openlmis/F-1' }), {
        written: true,
      });
      t.same(
        await store.upsertCrosswalk(row({ registryId: 'R-9' })),
        { written: false },
        'auto does not replace a human decision',
      );
      t.same(await store.getCrosswalk('openlmis', 'F-1'), human, 'the human row is intact, all fields round-trip');
      t.same(
        await store.upsertCrosswalk(row({ registryId: 'R-4', state: 'match-broken', decidedBy: 'bob' })),
        { written: true },
        'a human may revise',
      );
      await store.upsertCrosswalk(row({ systemId: 'F-2', registryId: 'R-4' }));
      await store.upsertCrosswalk(row({ system: 'dhis2', systemId: 'ou1', registryId: 'R-4' }));
      t.same(
        (await store.listCrosswalk('openlmis')).map((r) => r.systemId),
        ['F-1', 'F-2'],
      );
      t.same(
        (await store.listCrosswalkByRegistryId('R-4')).map((r) => `${r.system}/${r.systemId}`),
        ['dhis2/ou1', 'openlmis/F-1', 'openlmis/F-2'],
      );
      t.match(await store.listAudit({ subject: 'openlmis/F-1' }), [{ actor: 'alice', action: 'review.match' }]);
    });

    t.test('recordWrite claims the key once; the second gets the first job', async (t) => {
      const first = await store.recordWrite(newJob('j1'));
      t.equal(first.created, true);
      const second = await store.recordWrite(newJob('j2', { idempotencyKey: 'key-j1', payloadHash: 'other' }));
      t.equal(second.created, false);
      t.equal(second.job.id, 'j1');
      t.equal(second.job.payloadHash, 'h1');
      t.equal(await store.getJob('j2'), undefined, 'no second job');
      const otherSystem = await store.recordWrite(newJob('j3', { idempotencyKey: 'key-j1', system: 'dhis2' }));
      t.equal(otherSystem.created, true, 'the same business key may fan out to another system');
      t.same((await store.findJobsByKey('key-j1')).map((j) => j.id).sort(), ['j1', 'j3']);
      const concurrent = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.recordWrite(newJob(`c${i}`, { idempotencyKey: 'same' }))),
      );
      t.equal(concurrent.filter((r) => r.created).length, 1, 'concurrent inserts: exactly one creates');
      t.equal(new Set(concurrent.map((r) => r.job.id)).size, 1, 'all see the same job');
    });

    t.test('recordWrites: all or nothing, with the links of each job', async (t) => {
      const first = await store.recordWrites(
        [newJob('rw-1'), newJob('rw-2')],
        [
          { flow: 'orders', fhirId: 'line-a', system: 'openlmis', jobId: 'rw-1' },
          { flow: 'orders', fhirId: 'line-b', system: 'openlmis', jobId: 'rw-2' },
        ],
      );
      t.same(
        first.map((r) => r.created),
        [true, true],
      );
      t.same(await store.getLink('orders', 'line-b'), {
        flow: 'orders',
        fhirId: 'line-b',
        system: 'openlmis',
        jobId: 'rw-2',
      });
      // the same first job again (same payload) plus a new one: the duplicate points at the first job
      const again = await store.recordWrites(
        [newJob('rw-9', { idempotencyKey: 'key-rw-1' }), newJob('rw-3')],
        [{ flow: 'orders', fhirId: 'line-c', system: 'openlmis', jobId: 'rw-9' }],
      );
      t.same(
        again.map((r) => [r.created, r.job.id]),
        [
          [false, 'rw-1'],
          [true, 'rw-3'],
        ],
      );
      t.equal(
        (await store.getLink('orders', 'line-c'))?.jobId,
        'rw-1',
        'a link proposed with a duplicate names the first job',
      );
      // another payload under a used key: nothing of the call is recorded
      await t.rejects(
        store.recordWrites(
          [newJob('rw-4'), newJob('rw-5', { idempotencyKey: 'key-rw-2', payloadHash: 'other' })],
          [{ flow: 'orders', fhirId: 'line-d', system: 'openlmis', jobId: 'rw-4' }],
        ),
        { name: 'PayloadConflict', idempotencyKey: 'key-rw-2', jobId: 'rw-2' },
      );
      t.equal(await store.getJob('rw-4'), undefined, 'the job before the conflict was rolled back');
      t.equal(await store.getLink('orders', 'line-d'), undefined, 'and its link');
      t.same((await store.findJobsByKey('key-rw-4')).length, 0);
    });

    t.test('links: known ids are kept when a later upsert lacks them', async (t) => {
      await store.putLinks([{ flow: 'deliveries', fhirId: 'd-1', system: 'openlmis', jobId: 'job-x' }]);
      await store.putLinks([{ flow: 'deliveries', fhirId: 'd-1', system: 'openlmis', upstreamId: 'pod-1' }]);
      t.same(await store.getLink('deliveries', 'd-1'), {
        flow: 'deliveries',
        fhirId: 'd-1',
        system: 'openlmis',
        upstreamId: 'pod-1',
        jobId: 'job-x',
      });
      t.equal(await store.getLink('orders', 'd-1'), undefined, 'links are per flow');
    });

    t.test('a claim merges due and lapsed jobs, oldest first, within the limit', async (t) => {
      // which jobs a claim takes (PostgreSQL's UPDATE … RETURNING gives them in no set order)
      const claim = async (now: number, limit: number, owner: string) =>
        (
          await store.claimJobs({
            system: 'merge',
            flows: ['order', 'stock'],
            limit,
            leaseOwner: owner,
            leaseMs: 100,
            now,
          })
        ).sort((a, b) => a.id.localeCompare(b.id));
      await store.recordWrite(newJob('M1', { system: 'merge', nextAttemptAt: 300 }));
      await store.recordWrite(newJob('M2', { system: 'merge', nextAttemptAt: 100, flow: 'stock' }));
      await store.recordWrite(newJob('M9', { system: 'merge', nextAttemptAt: 50, flow: 'facility' }));
      t.same(
        (await claim(1_000, 10, 'A')).map((j) => j.id),
        ['M1', 'M2'],
        'both due; another flow left',
      );
      await store.recordWrite(newJob('M3', { system: 'merge', nextAttemptAt: 200 }));
      // at 2,000 the leases of M1 and M2 have lapsed and M3 is due
      t.same(
        (await claim(2_000, 2, 'B')).map((j) => j.id),
        ['M2', 'M3'],
        'lapsed and pending merged by due time',
      );
      t.same(
        (await claim(2_000, 10, 'B')).map((j) => [j.id, j.attempts]),
        [['M1', 2]],
        'the rest on the next claim',
      );
    });

    t.test('claims, leases and stale tokens', async (t) => {
      await store.recordWrite(newJob('L1', { system: 'lease', nextAttemptAt: 100 }));
      await store.recordWrite(newJob('L2', { system: 'lease', nextAttemptAt: 5_000 }));
      const claimed = await store.claimJobs({
        system: 'lease',
        flows: ['order'],
        limit: 10,
        leaseOwner: 'A',
        leaseMs: 1_000,
        now: 1_000,
      });
      t.same(
        claimed.map((j) => [j.id, j.status, j.attempts, j.leaseUntil]),
        [['L1', 'in-flight', 1, 2_000]],
        'only the due job',
      );
      t.same(
        await store.claimJobs({
          system: 'lease',
          flows: ['order'],
          limit: 10,
          leaseOwner: 'B',
          leaseMs: 1_000,
          now: 1_500,
        }),
        [],
        'leased job not claimable',
      );
      t.same(
        await store.claimJobs({
          system: 'lease',
          flows: ['other'],
          limit: 10,
          leaseOwner: 'B',
          leaseMs: 1_000,
          now: 9_000,
        }),
        [],
        'flow filter',
      );
      const taken = await store.claimJobs({
        system: 'lease',
        flows: ['order'],
        limit: 1,
        leaseOwner: 'B',
        leaseMs: 1_000,
        now: 2_500,
      });
      t.same(
        taken.map((j) => [j.id, j.attempts, j.leaseOwner]),
        [['L1', 2, 'B']],
        'expired lease: another owner takes it',
      );
      t.equal(
        await store.finishJob('L1', 'A', { status: 'done', result: { system: 'lease', ids: { x: '1' } } }, 3_000),
        false,
        'stale owner cannot finish',
      );
      t.equal(await store.rescheduleJob('L1', 'A', 0, 'late', false, 3_000), false, 'stale owner cannot reschedule');
      t.equal(await store.rescheduleJob('L1', 'B', 4_000, 'HTTP 503', true, 3_000), true);
      t.match(await store.getJob('L1'), {
        status: 'pending',
        attempts: 1,
        nextAttemptAt: 4_000,
        lastError: 'HTTP 503',
        leaseOwner: undefined,
      });
      const again = await store.claimJobs({
        system: 'lease',
        flows: ['order'],
        limit: 1,
        leaseOwner: 'C',
        leaseMs: 1_000,
        now: 4_000,
      });
      t.equal(
        await store.finishJob(
          again[0].id,
          'C',
          { status: 'done', result: { system: 'lease', ids: { x: '1' } } },
          4_100,
        ),
        true,
      );
      t.match(await store.getJob('L1'), { status: 'done', result: { ids: { x: '1' } } });
    });

    t.test('operator requeue and drop, audited', async (t) => {
      await store.recordWrite(
        newJob('D1', { system: 'ops', status: 'in-flight', leaseOwner: 'X', leaseUntil: 99_999, attempts: 3 }),
      );
      t.equal(
        await store.dropJob('D1', { actor: 'op', action: 'outbox.drop', subject: 'D1' }),
        false,
        'in-flight jobs are not dropped',
      );
      t.equal(
        await store.finishJob(
          'D1',
          'X',
          {
            status: 'dead',
            error: { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] },
          },
          2_000,
        ),
        true,
      );
      const requeued = await store.requeueJob('D1', { actor: 'op', action: 'outbox.retry', subject: 'D1' }, 3_000);
      t.match(requeued, { status: 'pending', attempts: 0, nextAttemptAt: 3_000, error: undefined });
      t.equal(await store.dropJob('D1', { actor: 'op', action: 'outbox.drop', subject: 'D1' }), true);
      t.equal(await store.getJob('D1'), undefined);
      t.equal(
        (await store.recordWrite(newJob('D2', { idempotencyKey: 'key-D1', system: 'ops' }))).created,
        true,
        'the key is free again',
      );
      t.same(
        (await store.listAudit({ subject: 'D1' })).map((a) => a.action),
        ['outbox.drop', 'outbox.retry'],
      );
    });

    t.test('journal: first writer wins', async (t) => {
      t.same(await store.putStep('J', 'initiate', { draftId: 'd-1' }, 1), { draftId: 'd-1' });
      t.same(await store.putStep('J', 'initiate', { draftId: 'd-2' }, 2), { draftId: 'd-1' });
      t.equal(await store.putStep('J', 'nothing', undefined, 3), null);
      t.same(
        (await store.listSteps('J')).map((s) => s.step),
        ['initiate', 'nothing'],
      );
    });

    t.test('counts and age of the oldest waiting job', async (t) => {
      const counts = await store.countJobsByStatus();
      t.ok(counts.pending >= 1 && counts.done >= 1);
      t.equal(await store.oldestWaitingCreatedAt(), 1_000);
    });

    t.test('advisory lock and job runs', async (t) => {
      let runs = 0;
      const job = {
        name: 'bridge',
        setting: 'schedules.bridge',
        description: 'test',
        run: async () => {
          runs += 1;
          return { counts: { rows: runs } };
        },
      };
      const scheduler = new Scheduler({ store, jobs: [job], expression: () => '* * * * *' });
      t.equal((await scheduler.tick(job, 10_000)).status, 'ran');
      t.equal(
        (await scheduler.tick(job, 10_000)).status,
        'already-run',
        'a recorded tick is not run again, by any instance',
      );
      t.equal((await scheduler.tick(job, 11_000)).status, 'ran');
      t.equal(runs, 2);
      const inner = await store.withAdvisoryLock('x', async () => store.withAdvisoryLock('x', async () => 'nested'));
      // SQLite too: a CLI's `jobs run` beside the server takes the same lock (sqlite-job-lock.ts)
      t.same(inner, { ran: true, value: { ran: false } }, 'a second holder is refused while the lock is held');
      t.match(await store.listJobRuns('bridge'), [
        { tickAt: 11_000, outcome: 'ok', counts: { rows: 2 } },
        { tickAt: 10_000, outcome: 'ok', counts: { rows: 1 } },
      ]);
    });
  });
}
