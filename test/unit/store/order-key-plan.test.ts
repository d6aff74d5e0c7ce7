/**
 * The per-record delivery order (v25) is looked up in indexes, not by reading every waiting job:
 * SQLite's plans of the claim and waitsBehind search outbox_jobs_order_waiting for the record's
 * key and v22's outbox_jobs_resource_waiting for its payload id, each with the acceptance order
 * (rowid) in the search; waitingWriteOf searches the first. PostgreSQL's plans read the same
 * indexes. Plans, not timings.
 */
import t from 'tap';
import pg from 'pg';
import { SqliteStore } from '../../../src/store/sqlite.js';
import {
  PG_EARLIER_WAITING_SQL,
  PG_WAITING_WRITE_SQL,
  SQLITE_EARLIER_WAITING_SQL,
  sqliteWaitingWriteSql,
} from '../../../src/store/resource-order.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { sqlitePlanner } from '../../support/query-plan.js';

/** The earlier jobs of the record, by key and by payload id: the rowid (acceptance order) is in each entry. */
const BY_KEY = /USING INDEX outbox_jobs_order_waiting \(system=\? AND flow=\? AND order_key=\? AND rowid<\?\)/;
const BY_ID = /USING INDEX outbox_jobs_resource_id_waiting \(system=\? AND flow=\? AND resource_id=\? AND rowid<\?\)/;

t.test('SQLite: the order lookups search the order-key index', async (t) => {
  const plan = await sqlitePlanner(t);
  const range = ['openlmis', 'facility', 1, 'facility', 20];
  const claim = plan(SqliteStore.claimCandidatesSql(1, 1), ...range, ...range, 20);
  const lookups = claim.filter((d) => d.startsWith('SEARCH e '));
  t.equal(lookups.length, 4, `two lookups in each of the two ranges: ${claim.join('\n')}`);
  for (const d of lookups) t.ok(BY_KEY.test(d) || BY_ID.test(d), `the claim: ${d}`);
  t.ok(lookups.some((d) => BY_KEY.test(d)) && lookups.some((d) => BY_ID.test(d)), 'by key and by payload id');
  const behind = plan(`SELECT 1 FROM outbox_jobs j WHERE j.id = ? AND EXISTS (${SQLITE_EARLIER_WAITING_SQL})`, 'x');
  t.ok(behind.some((d) => BY_KEY.test(d)) && behind.some((d) => BY_ID.test(d)), `waitsBehind: ${behind.join('\n')}`);
  const waiting = plan(sqliteWaitingWriteSql(2), 'dhis2', 'facility', 'uid|a', 'b');
  t.ok(
    waiting.some((d) => /USING INDEX outbox_jobs_order_waiting \(system=\? AND flow=\? AND order_key=\?\)/.test(d)),
    `waitingWriteOf: ${waiting.join('\n')}`,
  );
});

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
t.test('PostgreSQL: the order lookups can be read from the order-key index', { skip: pgCase.skip }, async (t) => {
  const { databaseUrl } = await freshStore(pgCase, t);
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  t.teardown(() => c.end());
  await c.query('SET enable_seqscan = off');
  // on an empty table the planner may read the payload arm from v29's console index (every
  // unfinished job of the system, filtered); what is checked here is that an index by payload id
  // can serve it, so v29's is taken out of the choice
  await c.query('DROP INDEX outbox_jobs_unfinished_by_system');
  const explain = async (sql: string, args: unknown[]) =>
    (await c.query(`EXPLAIN ${sql}`, args)).rows.map((r) => r['QUERY PLAN']).join('\n');
  const behind = await explain(`SELECT 1 FROM outbox_jobs j WHERE j.id = $1 AND EXISTS (${PG_EARLIER_WAITING_SQL})`, [
    'x',
  ]);
  t.match(behind, /outbox_jobs_order_waiting/, 'waitsBehind by key');
  t.match(behind, /outbox_jobs_resource_waiting/, 'waitsBehind by payload id');
  t.match(await explain(PG_WAITING_WRITE_SQL, ['dhis2', 'facility', ['uid|a', 'b']]), /outbox_jobs_order_waiting/);
});
