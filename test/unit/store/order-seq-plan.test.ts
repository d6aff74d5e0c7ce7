/**
 * PostgreSQL's per-record delivery order check (EARLIER_WAITING: the claim's and waitsBehind's) is
 * a range of an index in both arms, as SQLite's is (order-key-plan.test.ts: the rowid in each
 * entry): the search names the record (order key, or payload id) and the acceptance number
 * (`accept_seq < j.accept_seq`, v28), so it reads only the record's jobs accepted before the
 * candidate instead of all of the record's waiting jobs, each filtered. On a table with statistics
 * (10,000 facility jobs, half waiting, 500 records): a plan on an empty table ties every index.
 */
import t from 'tap';
import pg from 'pg';
import { PG_EARLIER_WAITING_SQL } from '../../../src/store/resource-order.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';

/** 10,000 jobs of 500 facilities, every other one waiting: keyed by record, each with its payload id. */
const JOBS = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status,
    next_attempt_at, created_at, updated_at, order_key)
  SELECT 'j' || n, 'facility', 'openlmis', 'k' || n, 'h', jsonb_build_object('id', 'F' || (n % 500)),
    CASE WHEN n % 2 = 0 THEN 'pending' ELSE 'done' END, n, n, n, 'code|F' || (n % 500)
  FROM generate_series(1, 10000) n`;

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
t.test(
  "PostgreSQL: a record's earlier waiting jobs are an index range, by key and by payload id",
  { skip: pgCase.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(pgCase, t);
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    t.teardown(() => c.end());
    await c.query(JOBS);
    await c.query('ANALYZE outbox_jobs');

    const plan = await queryPlan(
      databaseUrl,
      `SELECT 1 FROM outbox_jobs j WHERE j.id = 'j4242' AND EXISTS (${PG_EARLIER_WAITING_SQL})`,
    );
    const earlier = /accept_seq < j\.accept_seq/;
    const arms = plan.split('\n').filter((line) => /Index (Only )?Scan using \S+ on outbox_jobs e/.test(line));
    t.equal(arms.length, 2, `two lookups: ${plan}`);
    t.match(
      plan,
      /outbox_jobs_order_waiting_seq on outbox_jobs e(_\d+)? [^\n]*\n\s+Index Cond: \(\(system = j\.system\) AND \(flow = j\.flow\) AND \(order_key = j\.order_key\) AND \(accept_seq < j\.accept_seq\)\)/,
      'by key: the record and its acceptance order in the search',
    );
    t.match(
      plan,
      /outbox_jobs_resource_waiting_seq on outbox_jobs e(_\d+)? [^\n]*\n\s+Index Cond: \(\(system = j\.system\) AND \(flow = j\.flow\) AND \(\(payload ->> 'id'::text\) = \(j\.payload ->> 'id'::text\)\) AND \(accept_seq < j\.accept_seq\)\)/,
      'by payload id: the record and its acceptance order in the search',
    );
    const filters = plan.split('\n').filter((line) => /^\s*Filter:/.test(line) && earlier.test(line));
    t.same(filters, [], 'no job of the record read only to be filtered by its acceptance order');
  },
);
