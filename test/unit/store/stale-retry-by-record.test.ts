/**
 * requeueJob's later-write test (an operator's retry of a given-up write is refused once a later
 * write of the same record was accepted) on both engines, with the claim's identity and order:
 * - one record under two payload ids (a POST of a Location by its code, a PUT of it by its
 *   OpenLMIS id, one order key): the PUT accepted after the dead POST refuses its retry;
 * - "later" is the database's order, not created_at: a write accepted after the dead one by an
 *   instance whose clock lags refuses the retry; one accepted before it by an instance whose clock
 *   runs ahead does not (skew simulated by created_at, the column the order was read from);
 * - both lookups are read from an index (plans, not timings; figures in the commit);
 * - jobs accepted before v25 (no key; on PostgreSQL the done ones have no acceptance number) are
 *   still compared, by payload id and, lacking a number, created_at.
 */
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { PG_LATER_WRITE_EXISTS, SQLITE_LATER_WRITE_EXISTS } from '../../../src/store/resource-order.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { engineCases, freshStore, type EngineCase } from '../../support/outbox-engines.js';
import { databaseBefore } from '../../support/old-database.js';
import { newJob } from '../../support/new-job.js';
import { queryPlan } from '../../support/query-plan.js';

const AUDIT = { actor: 'Ama', action: 'outbox.retry', subject: 'j', details: {} };

type Ending = 'dead' | 'done';

/** A facility write of `payloadId` keyed by `orderKey`, accepted at `createdAt` and ended as `ending`. */
async function write(
  store: Store,
  id: string,
  payloadId: string,
  orderKey: string | undefined,
  createdAt: number,
  ending: Ending,
): Promise<void> {
  const job: NewJob = newJob(id, {
    flow: 'facility',
    payload: { id: payloadId, name: id },
    ...(orderKey ? { orderKey } : {}),
    status: 'in-flight',
    attempts: 1,
    nextAttemptAt: createdAt,
    leaseOwner: 'w',
    leaseUntil: createdAt + 60_000,
    createdAt,
  });
  await store.recordWrite(job);
  const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'openlmis: 503' }] };
  const end =
    ending === 'done' ? { status: ending, result: { system: 'openlmis', ids: {} } } : { status: ending, error };
  if (!(await store.finishJob(id, 'w', end as never, createdAt + 10))) throw new Error(`${id} not ended`);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);

    t.test('a later write of the record under another payload id refuses the retry', async (t) => {
      await write(store, 'P', 'from-code', 'code|HC-1', 1_000, 'dead'); // POST by code, given up
      await write(store, 'V', 'other', 'code|HC-2', 2_000, 'done'); // another record
      await write(store, 'Q', 'from-code-3', 'code|HC-3', 2_500, 'dead');
      t.ok(await store.requeueJob('Q', AUDIT, 3_000, 'dead'), 'nothing later of HC-3: retried');
      await write(store, 'U', 'lmis-uuid', 'code|HC-1', 4_000, 'done'); // PUT by OpenLMIS id, applied
      t.notOk(await store.requeueJob('P', AUDIT, 5_000, 'dead'), 'the PUT of HC-1 came later: refused');
      t.equal((await store.getJob('P'))?.status, 'dead', 'left as it was');
    });

    t.test('later is the order the database took them in, not the clock that stamped them', async (t) => {
      // E given up, accepted at 10,000; L accepted after it by an instance 5 s behind
      await write(store, 'E', 'loc-a', 'code|HC-4', 10_000, 'dead');
      await write(store, 'L', 'loc-a', 'code|HC-4', 5_100, 'done');
      t.notOk(await store.requeueJob('E', AUDIT, 30_000, 'dead'), 'L was accepted after E: refused');
      // A accepted first by an instance 5 s ahead; D given up, accepted after it
      await write(store, 'A', 'loc-b', 'code|HC-5', 25_000, 'done');
      await write(store, 'D', 'loc-b', 'code|HC-5', 20_100, 'dead');
      t.ok(await store.requeueJob('D', AUDIT, 30_000, 'dead'), 'A came before D: retried');
    });

    t.test('jobs without a key: a later one of the same payload id, in database order', async (t) => {
      await write(store, 'K1', 'loc-c', undefined, 50_000, 'dead');
      await write(store, 'K2', 'loc-c', undefined, 45_000, 'done');
      t.notOk(await store.requeueJob('K1', AUDIT, 60_000, 'dead'), 'K2 was accepted after K1: refused');
    });

    t.test('both lookups are read from an index', async (t) => {
      const exists = engine.name === 'sqlite' ? SQLITE_LATER_WRITE_EXISTS : PG_LATER_WRITE_EXISTS;
      const plan = await queryPlan(databaseUrl, `SELECT 1 FROM outbox_jobs WHERE id = 'P' AND ${exists}`);
      if (engine.name === 'sqlite') {
        for (const index of ['outbox_jobs_order_waiting', 'outbox_jobs_order_written'])
          t.match(
            plan,
            new RegExp(
              `SEARCH l USING (COVERING )?INDEX ${index} \\(system=\\? AND flow=\\? AND order_key=\\? AND rowid>\\?\\)`,
            ),
            plan,
          );
        t.match(
          plan,
          /SEARCH l USING (COVERING )?INDEX outbox_jobs_resource_id_written \(system=\? AND flow=\? AND resource_id=\?\)/,
        );
        t.notMatch(plan, /SCAN l/, plan);
      } else
        for (const index of ['outbox_jobs_order_waiting', 'outbox_jobs_order_written', 'outbox_jobs_resource_written'])
          // v28's `…_seq` form of an index (accept_seq in its key) serves the same arm on PostgreSQL
          t.match(plan, new RegExp(`Index (Only )?Scan using ${index}(_seq)? on outbox_jobs l`), plan);
    });
  });
}

/** Jobs of loc-a and loc-b written before v25, each pair in the order it was accepted. */
const OLD_ROWS = [
  `('a-dead', 'facility', 'openlmis', 'k-1', 'h', '{"id":"loc-a"}', 'dead', 1, 0, 1000, 1000)`,
  `('a-done', 'facility', 'openlmis', 'k-2', 'h', '{"id":"loc-a"}', 'done', 1, 0, 2000, 2000)`,
  `('b-done', 'facility', 'openlmis', 'k-3', 'h', '{"id":"loc-b"}', 'done', 1, 0, 500, 500)`,
  `('b-dead', 'facility', 'openlmis', 'k-4', 'h', '{"id":"loc-b"}', 'dead', 1, 0, 1500, 1500)`,
];
const INSERT_OLD = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash,
  payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ${OLD_ROWS.join(', ')}`;

const databaseBeforeV25 = (engine: EngineCase, databaseUrl: string) =>
  databaseBefore(engine, databaseUrl, 25, INSERT_OLD);

for (const engine of engineCases()) {
  t.test(`jobs accepted before v25 (${engine.name})`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await databaseBeforeV25(engine, db.databaseUrl);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    t.notOk(await store.requeueJob('a-dead', AUDIT, 9_000, 'dead'), 'a later done write of loc-a: refused');
    t.ok(await store.requeueJob('b-dead', AUDIT, 9_000, 'dead'), 'loc-b was written before it: retried');
  });
}
