/**
 * requeueJob's later-write test (an operator's retry of a given-up write refused once a later
 * write of the same resource was accepted) looks the later write up in an index (migration v23),
 * not by reading the system's jobs whole: the plans of both engines use
 * outbox_jobs_resource_written (by record, since v26, also outbox_jobs_order_waiting and _written:
 * stale-retry-by-record.test.ts). Plans, not timings (the figures are in the v23 comment). The
 * refusal itself is test/unit/admin/retry-overtaken.test.ts; the edge of "later" (same created_at,
 * told apart by the order the database took them in) and a job without a resource id are checked
 * here on both engines.
 */
import t from 'tap';
import { PG_LATER_WRITE_EXISTS, SQLITE_LATER_WRITE_EXISTS } from '../../../src/store/resource-order.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';
import type { Store } from '../../../src/store/types.js';

const AUDIT = { actor: 'Ama', action: 'outbox.retry', subject: 'j', details: {} };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);

    t.test('the later write is looked up in an index (v23, v25, v26)', async (t) => {
      const exists = engine.name === 'sqlite' ? SQLITE_LATER_WRITE_EXISTS : PG_LATER_WRITE_EXISTS;
      const plan = await queryPlan(databaseUrl, `SELECT 1 FROM outbox_jobs WHERE id = 'j-1' AND ${exists}`);
      if (engine.name === 'sqlite') {
        const lookups = plan.split('\n').filter((d) => /\bl\b/.test(d));
        t.ok(lookups.length >= 1, plan);
        for (const d of lookups)
          t.match(
            d,
            /SEARCH l (EXISTS )?USING (COVERING )?INDEX outbox_jobs_(resource_id_written|order_written|order_waiting) \(system=\? AND flow=\? AND (resource_id|order_key)=\?/,
            plan,
          );
      } else t.match(plan, /Index (Only )?Scan using outbox_jobs_resource_written on outbox_jobs l/, plan);
    });

    t.test('later means accepted after it: a same-time job accepted after counts, one before not', async (t) => {
      await jobs(store, [
        ['j-a', 'done', { id: 'loc-1', name: 'same time, accepted before' }, 1_000],
        ['j-b', 'dead', { id: 'loc-1', name: 'old' }, 1_000],
        ['j-x', 'done', { id: 'loc-2', name: 'another resource' }, 2_000],
        ['j-o', 'dead', { orderNumber: 'o-1' }, 1_000],
        ['j-p', 'done', { orderNumber: 'o-2' }, 2_000],
      ]);
      t.ok(await store.requeueJob('j-b', AUDIT, 3_000, 'dead'), 'nothing later of loc-1: retried');
      t.ok(await store.requeueJob('j-o', AUDIT, 3_000, 'dead'), 'a payload without an id has no later write');
      await jobs(store, [
        ['j-c', 'dead', { id: 'loc-3', name: 'old' }, 4_000],
        ['j-d', 'done', { id: 'loc-3', name: 'same time, accepted after' }, 4_000],
      ]);
      t.notOk(await store.requeueJob('j-c', AUDIT, 5_000, 'dead'), 'a later write of loc-3: refused');
      t.equal((await store.getJob('j-c'))?.status, 'dead', 'left as it was');
    });
  });
}

type Row = [id: string, status: 'dead' | 'done', payload: unknown, createdAt: number];

/** Jobs recorded and ended as given, each accepted at its own time. */
async function jobs(store: Store, rows: Row[]): Promise<void> {
  for (const [id, status, payload, createdAt] of rows) {
    const flow = (payload as { id?: string }).id ? 'facility' : 'order';
    await store.recordWrites(
      [
        {
          id,
          flow,
          system: 'openlmis',
          idempotencyKey: `key-${id}`,
          payloadHash: `hash-${id}`,
          payload,
          status: 'in-flight',
          attempts: 1,
          nextAttemptAt: createdAt,
          leaseOwner: 'w',
          leaseUntil: createdAt + 60_000,
          createdAt,
        },
      ],
      [],
    );
    const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'openlmis: 503' }] };
    const end = status === 'done' ? { status, result: { system: 'openlmis', ids: {} } } : { status, error };
    await store.finishJob(id, 'w', end as never, createdAt + 10);
  }
}
