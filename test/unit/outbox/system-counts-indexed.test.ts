/**
 * The console's per-system table (GET /admin/outbox/counts, bySystem) counted every job by system
 * and status: a walk of the whole outbox_jobs_due index at each refresh (68 ms at 1M jobs on
 * SQLite, the event loop blocked; 0.5 s on PostgreSQL), though nearly all rows are done jobs. Now
 * bySystem counts the jobs not done, from the v29 partial index (the plan names it, no sort, no
 * read of every job), and the totals by status stay exact, done included (the /metrics counts).
 * SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import t from 'tap';
import Fastify from 'fastify';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { COUNT_BY_SYSTEM_SQL } from '../../../src/store/job-counts.js';
import type { Store } from '../../../src/store/types.js';
import type { WriteResult } from '../../../src/routing/ports.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';

const TOKEN = 'system-counts-token';
const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };
const ERROR = { name: 'UpstreamError', status: 409, issues: [{ code: 'conflict' as const, diagnostics: 'no' }] };

/** Jobs of `system` that ended in `status` (claimed, then finished). */
async function ended(store: Store, system: string, status: 'done' | 'rejected' | 'dead', n: number, now: number) {
  const ids = Array.from({ length: n }, (_, i) => `${system}-${status}-${i}`);
  await store.recordWrites(
    ids.map((id, i) =>
      newJob(id, {
        system,
        idempotencyKey: `order|${id}`,
        status: 'in-flight',
        attempts: 1,
        leaseOwner: 'A',
        leaseUntil: now + 60_000,
        createdAt: 100 + i,
      }),
    ),
    [],
  );
  for (const id of ids)
    await store.finishJob(id, 'A', status === 'done' ? { status, result: RESULT } : { status, error: ERROR }, now);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const now = Date.now();
    await ended(store, 'sys-a', 'done', 5, now);
    await ended(store, 'sys-a', 'dead', 2, now);
    await ended(store, 'sys-b', 'done', 3, now);
    await ended(store, 'sys-b', 'rejected', 1, now);
    await ended(store, 'sys-c', 'done', 4, now);
    await store.recordWrites(
      [
        newJob('A-WAIT', { system: 'sys-a', idempotencyKey: 'order|a-wait', status: 'pending', createdAt: 5_000 }),
        newJob('B-RUN', {
          system: 'sys-b',
          idempotencyKey: 'order|b-run',
          status: 'in-flight',
          leaseOwner: 'A',
          leaseUntil: now + 60_000,
          createdAt: 4_000,
        }),
      ],
      [],
    );

    const rows = await store.countJobsBySystem();
    const seen = rows.map((r) => `${r.system} ${r.status} ${r.count}`).sort();
    t.same(
      seen,
      ['sys-a dead 2', 'sys-a pending 1', 'sys-b in-flight 1', 'sys-b rejected 1'],
      'by system, the jobs not done only',
    );

    const app = Fastify();
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    t.teardown(() => app.close());
    const res = await app.inject({
      method: 'GET',
      url: '/admin/outbox/counts',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    t.equal(res.statusCode, 200);
    t.same(
      res.json().counts,
      { pending: 1, 'in-flight': 1, done: 12, rejected: 1, dead: 2 },
      'the totals by status are exact, done included',
    );
    t.same(res.json().bySystem, {
      'sys-a': { pending: 1, dead: 2 },
      'sys-b': { 'in-flight': 1, rejected: 1 },
    });

    // the configured systems are listed too: sys-c's jobs are all delivered, sys-d has none yet
    const configured = Fastify();
    await configured.register(outboxAdminRoutes, {
      prefix: '/admin',
      store,
      adminToken: () => TOKEN,
      systems: () => ['sys-a', 'sys-c', 'sys-d'],
    });
    t.teardown(() => configured.close());
    const listed = await configured.inject({
      method: 'GET',
      url: '/admin/outbox/counts',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    t.same(
      listed.json().bySystem,
      { 'sys-a': { pending: 1, dead: 2 }, 'sys-b': { 'in-flight': 1, rejected: 1 }, 'sys-c': {}, 'sys-d': {} },
      'a configured system with nothing waiting is listed, with no counts',
    );

    const plan = await queryPlan(databaseUrl, COUNT_BY_SYSTEM_SQL);
    // SQLite: an index-only pass of v29's. PostgreSQL picks v29's (index-only) where the visibility
    // map says the jobs' pages are all visible, else v21's partial index and the rows it names:
    // either way only the jobs not done are read
    const index =
      engine.name === 'sqlite' ? /COVERING INDEX outbox_jobs_unfinished_by_system/ : /outbox_jobs_unfinished/;
    t.match(plan, index, `counted from a partial index of the jobs not done:\n${plan}`);
    t.notMatch(plan, /TEMP B-TREE|Sort|Seq Scan on outbox_jobs|outbox_jobs_due/, 'no sort, no read of every job');
  });
}
