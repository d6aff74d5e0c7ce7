/**
 * A delivery's drafts (`key`, `key:2`, …) are read from a range of an index on the key, not by
 * reading every job (store/numbered-keys.ts). On PostgreSQL the range was a LIKE prefix, which a
 * collated index serves only under a C collation: under C.UTF-8 or a locale's the plan read the
 * whole key index (or the table) and filtered each key, a full scan of outbox_jobs per draft
 * saved. Now the range uses the pattern operators, read from v62's index in byte order under any
 * collation. Plans, not timings; and the range holds only the key's own drafts (DL-1's, not
 * DL-10's), on both engines.
 */
import t from 'tap';
import pg from 'pg';
import {
  postgresNumberedArgs,
  postgresNumberedSql,
  sqliteNumberedArgs,
  sqliteNumberedSql,
} from '../../../src/store/numbered-keys.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { sqlitePlanner } from '../../support/query-plan.js';

const PREFIX = 'delivery|https://app.example.org/deliveries|';
const KEY = `${PREFIX}DL-1`;

t.test('SQLite: the drafts are `key` and one range of the key index', async (t) => {
  const plan = await sqlitePlanner(t);
  const steps = plan(sqliteNumberedSql('id'), ...sqliteNumberedArgs(KEY));
  const reads = steps.filter((d) => /^(SCAN|SEARCH) outbox_jobs\b/.test(d));
  t.equal(reads.length, 4, `the drafts and the highest number, each by key and by range: ${steps.join('\n')}`);
  const read =
    /^SEARCH outbox_jobs USING (COVERING )?INDEX outbox_jobs_key \((idempotency_key=\?|idempotency_key>\? AND idempotency_key<\?)\)$/;
  for (const d of reads) t.match(d, read);
  // one read from `key` on held every longer key (DL-10's, DL-100's, …), filtered out one by one
  t.equal(reads.filter((d) => d.includes('idempotency_key=?')).length, 2, '`key` itself read apart from the range');
});

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
t.test('PostgreSQL: the drafts are a range of an index, under any collation', { skip: pgCase.skip }, async (t) => {
  const { databaseUrl } = await freshStore(pgCase, t);
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  t.teardown(() => c.end());
  await seedJobs(c, 5_000);
  const explain = async () => {
    await c.query('SET enable_seqscan = off');
    const { rows } = await c.query(`EXPLAIN ${postgresNumberedSql('id')}`, postgresNumberedArgs(KEY));
    return rows.map((r) => String(r['QUERY PLAN']));
  };
  const collations = ['the database collation'];
  const icu = await c.query(`SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'`);
  if (icu.rowCount) collations.push('und-x-icu');
  for (const collation of collations) {
    if (collation !== 'the database collation')
      await c.query(`ALTER TABLE outbox_jobs ALTER COLUMN idempotency_key TYPE text COLLATE "${collation}"`);
    await c.query('ANALYZE outbox_jobs');
    const plan = await explain();
    const scans = plan.map((line, i) => [line, plan[i + 1] ?? ''] as const).filter(([l]) => /Index.* Scan/.test(l));
    t.ok(scans.length >= 2, `${collation}: the drafts and the highest number each read an index: ${plan.join('\n')}`);
    t.ok(
      scans.some(([scan]) => /outbox_jobs_key_bytes/.test(scan)),
      `${collation}: the range read from the byte-order index (v62)`,
    );
    // the planner may read `= key` from the unique key index beside the range: each bounded by the key
    for (const [scan, cond] of scans)
      t.ok(
        /Index Cond: \(idempotency_key = '/.test(cond) || (/Index Cond: .*~>~/.test(cond) && /~<~/.test(cond)),
        `${collation}: ${scan.trim()} bounded by the key: ${cond.trim()}`,
      );
    t.notOk(
      plan.some((l) => /Filter: .*~~/.test(l)),
      `${collation}: no key is filtered after being read: ${plan.join('\n')}`,
    );
  }
});

for (const engine of engineCases()) {
  t.test(
    `DL-1's drafts are not DL-10's, nor a key with wildcards (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await record(store, 'a', `${PREFIX}DL-1`, 1_000);
      await record(store, 'b', `${PREFIX}DL-1:2`, 2_000);
      await record(store, 'c', `${PREFIX}DL-10`, 3_000);
      await record(store, 'd', `${PREFIX}DL-10:7`, 4_000);
      await record(store, 'e', `${PREFIX}DL-1;x`, 5_000);
      await record(store, 'f', `${PREFIX}DL_1:9`, 6_000);
      await record(store, 'g', `${PREFIX}DL-1%:9`, 7_000);
      const found = await store.findNumberedJobs(KEY);
      t.same({ newest: found?.newest?.id, highest: found?.highest }, { newest: 'b', highest: 2 }, 'DL-1: its own two');
      const ten = await store.findNumberedJobs(`${PREFIX}DL-10`);
      t.same({ newest: ten?.newest?.id, highest: ten?.highest }, { newest: 'd', highest: 7 }, 'DL-10: its own two');
      const under = await store.findNumberedJobs(`${PREFIX}DL_1`);
      t.same({ newest: under?.newest?.id, highest: under?.highest }, { newest: 'f', highest: 9 }, '_ is no wildcard');
      t.equal(await store.findNumberedJobs(`${PREFIX}DL-2`), undefined, 'none under DL-2');
    },
  );
}

/** One job under `key`, accepted at `at`. */
async function record(store: Store, id: string, key: string, at: number): Promise<void> {
  const [r] = await store.recordWrites(
    [
      {
        id,
        flow: 'delivery',
        system: 'openlmis',
        idempotencyKey: key,
        payloadHash: `hash-${id}`,
        payload: { id },
        status: 'pending',
        attempts: 0,
        nextAttemptAt: at,
        createdAt: at,
      },
    ],
    [],
  );
  if (!r.created) throw new Error(`${id} not recorded`);
}

/** `n` jobs of other deliveries (DL-100…), copies of one recorded job but for id and key. */
async function seedJobs(c: pg.Client, n: number): Promise<void> {
  const { rows } = await c.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox_jobs' ORDER BY ordinal_position`,
  );
  await c.query(
    `INSERT INTO outbox_jobs (id, idempotency_key, flow, system, payload_hash, payload, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES ('seed-0', $1, 'delivery', 'openlmis', 'h', '{}', 'done', 1, 0, 0, 0)`,
    [`${PREFIX}DL-seed`],
  );
  const columns = rows.map((r) => r.column_name);
  const values = columns.map((col) =>
    col === 'id' ? `'seed-' || g` : col === 'idempotency_key' ? `$1 || 'DL-' || (99 + g)` : col,
  );
  await c.query(
    `INSERT INTO outbox_jobs (${columns.join(', ')}) SELECT ${values.join(', ')} FROM outbox_jobs, generate_series(1, ${n}) g WHERE id = 'seed-0'`,
    [PREFIX],
  );
}
