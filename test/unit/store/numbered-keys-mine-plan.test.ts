/**
 * A delivery's newest draft is asked for its own identifier (Store.findNumberedJobs with an
 * identifier: numbered-keys.ts identifiersNumberedSql), as another delivery's key can be one of
 * its draft keys. The identifier is compared in each job's payload (json_extract, ->), which no
 * index holds: it must be a filter on the few rows the key index finds under the delivery's key,
 * never a read of every job's payload. Plans, not timings, on both engines.
 */
import t from 'tap';
import pg from 'pg';
import {
  postgresNumberedArgs,
  postgresNumberedSql,
  sqliteNumberedArgs,
  sqliteNumberedSql,
} from '../../../src/store/numbered-keys.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { sqlitePlanner } from '../../support/query-plan.js';

const PREFIX = 'delivery|https://app.example.org/deliveries|';
const KEY = `${PREFIX}DL-1|in-progress`;
const MINE = { system: 'https://app.example.org/deliveries', value: 'DL-1' };

t.test("SQLite: a delivery's own drafts are read by the key index, then compared", async (t) => {
  const plan = await sqlitePlanner(t);
  const steps = plan(sqliteNumberedSql('id', true), ...sqliteNumberedArgs(KEY, MINE));
  const reads = steps.filter((d) => /^(SCAN|SEARCH) outbox_jobs\b/.test(d));
  t.ok(reads.length >= 3, `the highest number, the newest and its own highest: ${steps.join('\n')}`);
  for (const d of reads)
    t.match(
      d,
      /^SEARCH outbox_jobs USING (COVERING )?INDEX (outbox_jobs_key \((idempotency_key=\?|idempotency_key>\? AND idempotency_key<\?)\)|sqlite_autoindex_outbox_jobs_1 \(id=\?\)|INTEGER PRIMARY KEY \(rowid=\?\))( LEFT-JOIN)?$/,
      'each read bounded by the key (or the one row found by id)',
    );
});

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
t.test(
  "PostgreSQL: a delivery's own drafts are read by the key index, then compared",
  { skip: pgCase.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(pgCase, t);
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    t.teardown(() => c.end());
    await c.query(
      `INSERT INTO outbox_jobs (id, idempotency_key, flow, system, payload_hash, payload, status, attempts, next_attempt_at, created_at, updated_at)
     SELECT 'seed-' || g, $1 || 'DL-' || (99 + g), 'delivery', 'openlmis', 'h', '{"identifier":{"system":"s","value":"v"}}', 'done', 1, 0, g, g
     FROM generate_series(1, 5000) g`,
      [PREFIX],
    );
    await c.query('ANALYZE outbox_jobs');
    await c.query('SET enable_seqscan = off');
    const { rows } = await c.query(`EXPLAIN ${postgresNumberedSql('id', true)}`, postgresNumberedArgs(KEY, MINE));
    const plan = rows.map((r) => String(r['QUERY PLAN']));
    const scans = plan
      .map((line, i) => [line, plan[i + 1] ?? ''] as const)
      .filter(([l]) => /Scan/.test(l) && !/Bitmap Heap Scan/.test(l));
    // a bitmap heap scan reads the rows its index scans below found: those are checked
    t.ok(scans.length >= 3, `the highest number, the newest and its own highest: ${plan.join('\n')}`);
    for (const [scan, cond] of scans)
      t.ok(
        /Index Cond: \(idempotency_key = /.test(cond) ||
          (/Index Cond: .*~>~/.test(cond) && /~<~/.test(cond)) ||
          /Index Cond: \(id = /.test(cond),
        `${scan.trim()} bounded by the key (or the one row found by id): ${cond.trim()}`,
      );
    t.notOk(
      plan.some((l) => /Seq Scan/.test(l)),
      `no job read whole: ${plan.join('\n')}`,
    );
  },
);
