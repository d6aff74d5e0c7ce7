/**
 * /metrics reads the outbox's jobs by status and the oldest job waiting at every scrape. Both
 * walked every job row (a GROUP BY status over the whole table, sorted; a MIN over all pending and
 * in-flight rows through an index led by system): 26 ms and 15 ms at 100k jobs on SQLite, the event
 * loop blocked. Now the statuses but done come from a partial index, done is the table's count less
 * them, and the oldest waiting job is the first entry of another (the query plan names both). The
 * figures must stay exact. SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { registerOutboxMetrics } from '../../../src/outbox/metrics.js';
import { COUNT_BY_STATUS_SQL, OLDEST_WAITING_SQL } from '../../../src/store/job-counts.js';
import type { WriteResult } from '../../../src/routing/ports.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';

const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const now = Date.now();
    const ended = { DONE1: 'done', DONE2: 'done', DONE3: 'done', REFUSED: 'rejected', GAVE_UP: 'dead' } as const;
    await store.recordWrites(
      Object.keys(ended).map((id, i) =>
        newJob(id, { status: 'in-flight', attempts: 1, leaseOwner: 'A', leaseUntil: now + 60_000, createdAt: 100 + i }),
      ),
      [],
    );
    for (const [id, status] of Object.entries(ended))
      await store.finishJob(
        id,
        'A',
        status === 'done'
          ? { status, result: RESULT }
          : {
              status,
              error: { name: 'UpstreamError', status: 409, issues: [{ code: 'conflict', diagnostics: 'no' }] },
            },
        now,
      );
    await store.recordWrites(
      [
        newJob('WAITING', { status: 'pending', createdAt: 5_000 }),
        newJob('RUNNING', { status: 'in-flight', leaseOwner: 'A', leaseUntil: now + 60_000, createdAt: 4_000 }),
      ],
      [],
    );

    t.same(
      await store.countJobsByStatus(),
      { pending: 1, 'in-flight': 1, done: 3, rejected: 1, dead: 1 },
      'exact counts: done is the whole less the others',
    );
    t.equal(await store.oldestWaitingCreatedAt(), 4_000, 'the oldest job pending or in flight');

    const registry = new Registry();
    registerOutboxMetrics(registry, store);
    const text = await registry.metrics();
    t.match(text, /mediator_outbox_jobs\{status="done"\} 3/);
    t.match(text, /mediator_outbox_jobs\{status="pending"\} 1/);
    t.match(text, /^mediator_outbox_oldest_waiting_age_seconds \d/m);

    const counts = await queryPlan(databaseUrl, COUNT_BY_STATUS_SQL);
    t.match(counts, /outbox_jobs_unfinished_by_system/, `the statuses but done from their partial index:\n${counts}`);
    t.notMatch(counts, /TEMP B-TREE|Seq Scan on outbox_jobs/, 'no sort of every row, no read of the table');
    const oldest = await queryPlan(databaseUrl, OLDEST_WAITING_SQL);
    t.match(oldest, /outbox_jobs_waiting/, `the oldest waiting job from its partial index:\n${oldest}`);
  });
}
