/**
 * Migration v50 (transaction-requests.ts): each request under an OpenHIM transaction id is kept
 * apart, also when another had exactly its writes, in a table of its own; v47's is left as it is.
 * From a v49 database with rows the previous release wrote (one shared by two requests, one of
 * before v48 with no key, one with its key and its map) and their writes in flight: each reads
 * back as it was kept, and each update, sent through the real updater to the OpenHIM sandbox whose
 * copies name the writes but no request (as that release's envelopes did), is what that release
 * sent. An instance of that release still running after v50 (a rolling upgrade) keeps its rows
 * with its own SQL and reads them alone; a forger's request recorded here with the same writes
 * gets its own row and shapes nothing of those updates.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import { routedTransaction } from '../../../sandbox/openhim/index.js';
import { AWAITS_UPDATE_OF_PROPERTY, AWAITS_UPDATE_PROPERTY, writeTag } from '../../../src/openhim/transaction-id.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import {
  entryStatusesOf,
  openhimSandbox,
  pollUntil,
  reporterFor,
  TEST_URN,
  txId,
  type SentUpdate,
} from '../../support/transaction-update-rig.js';

const NOW = 1_700_000_000_000;
const R4 = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';
const R5 = 'application/fhir+json; fhirVersion=5.0; charset=utf-8';
/** Transactions and their one write each: a shared row, a row of before v48, a keyed row. */
const SHARED = { tx: txId('v50-shared'), job: '0190c0de-0001-7000-8000-aaaaaaaa050a' };
const UNKEYED = { tx: txId('v50-unkeyed'), job: '0190c0de-0001-7000-8000-aaaaaaaa050b' };
const KEYED = { tx: txId('v50-keyed'), job: '0190c0de-0001-7000-8000-aaaaaaaa050c' };
/** A keyed row and its map no forger joins after the upgrade. */
const ALONE = { tx: txId('v50-alone'), job: '0190c0de-0001-7000-8000-aaaaaaaa050d' };
/** A transaction an instance of the previous release answers after v50 ran. */
const LATE = { tx: txId('v50-late'), job: '0190c0de-0001-7000-8000-aaaaaaaa050e' };
const ALL = [SHARED, UNKEYED, KEYED, ALONE, LATE];

const jobRow = ({ tx, job }: { tx: string; job: string }) =>
  `('${job}', 'order', 'openlmis', 'order|${job}', 'h', '{}', 'in-flight', 0, 0, 0, '${tx}', 'w', ${NOW + 60_000}, 1)`;

const V49 = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, next_attempt_at,
  created_at, updated_at, transaction_id, lease_owner, lease_until, attempts) VALUES ${ALL.map(jobRow).join(', ')};
INSERT INTO openhim_transaction_requests (transaction_id, writes, content_type, entries, recorded_at, request_key) VALUES
  ('${SHARED.tx}', '${SHARED.job}', '${R4}', 2, ${NOW}, '*'),
  ('${UNKEYED.tx}', '${UNKEYED.job}', '${R4}', NULL, ${NOW}, NULL),
  ('${KEYED.tx}', '${KEYED.job}', '${R5}', 2, ${NOW}, 'k-routed'),
  ('${ALONE.tx}', '${ALONE.job}', '${R5}', 2, ${NOW}, 'k-alone');
INSERT INTO openhim_transaction_entries (transaction_id, request_key, entry, entries, job_id, answer, recorded_at) VALUES
  ('${KEYED.tx}', 'k-routed', 0, 2, '${KEYED.job}', '{"status":"201 Created"}', ${NOW}),
  ('${KEYED.tx}', 'k-routed', 1, 2, NULL, '{"status":"200 OK"}', ${NOW}),
  ('${ALONE.tx}', 'k-alone', 0, 2, '${ALONE.job}', '{"status":"201 Created"}', ${NOW}),
  ('${ALONE.tx}', 'k-alone', 1, 2, NULL, '{"status":"200 OK"}', ${NOW});`;

/** The previous release's SQL (v49, transaction-requests.ts before v50), as its instances run it. */
const V49_INSERT = `INSERT INTO openhim_transaction_requests AS kept
  (transaction_id, writes, content_type, entries, recorded_at, request_key) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (transaction_id, writes) DO UPDATE SET request_key = '*',
    content_type = CASE WHEN kept.content_type = excluded.content_type THEN kept.content_type END,
    entries = CASE WHEN kept.entries = excluded.entries THEN kept.entries END
  WHERE kept.request_key IS DISTINCT FROM excluded.request_key`;
const V49_READ = `SELECT writes, content_type, entries, request_key FROM openhim_transaction_requests
  WHERE transaction_id = $1 ORDER BY recorded_at, writes`;

/** Runs `sql` with `values` on the database at `url` as another process would; its rows. */
async function runOnDatabase(engine: EngineCase, url: string, sql: string, values: unknown[]): Promise<unknown[]> {
  if (engine.name === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      const statement = db.prepare(sql.replace(/\$\d+/g, '?'));
      return statement.reader ? statement.all(...values) : (statement.run(...values), []);
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, values)).rows;
  } finally {
    await c.end();
  }
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await storeMigratedFrom(t, engine, 50, V49);
    const run = (sql: string, values: unknown[]) => runOnDatabase(engine, databaseUrl, sql, values);
    t.ok((await store.migrationVersions()).includes(50), 'v50 applied');
    t.same(
      await store.requestsOfTransaction(SHARED.tx),
      [{ transactionId: SHARED.tx, jobIds: [SHARED.job], contentType: R4, entries: 2, shared: true }],
      'the shared row still reads as shared',
    );
    t.same(
      await store.requestsOfTransaction(UNKEYED.tx),
      [{ transactionId: UNKEYED.tx, jobIds: [UNKEYED.job], contentType: R4 }],
      'the row of before v48: no key',
    );
    const keyed = { transactionId: KEYED.tx, jobIds: [KEYED.job], contentType: R5, entries: 2, requestKey: 'k-routed' };
    t.same(await store.requestsOfTransaction(KEYED.tx), [keyed], 'the keyed row with its key');

    // before: '' (an instance of the previous release read it as a key)
    t.same(
      await run('SELECT request_key FROM openhim_transaction_requests WHERE transaction_id = $1', [UNKEYED.tx]),
      [{ request_key: null }],
      'the row of before v48 left as it was',
    );

    // an instance of the previous release answers LATE after v50 (before: its insert failed, the
    // ON CONFLICT target gone), its map kept as that release kept it
    const lateMap = `INSERT INTO openhim_transaction_entries (transaction_id, request_key, entry, entries, job_id, answer,
      recorded_at) VALUES ($1, 'k-late', 0, 2, $2, '{"status":"201 Created"}', $3), ($4, 'k-late', 1, 2, NULL, '{"status":"200 OK"}', $5)`;
    await run(lateMap, [LATE.tx, LATE.job, NOW, LATE.tx, NOW]);
    await run(V49_INSERT, [LATE.tx, LATE.job, R5, 2, NOW + 1, 'k-late']);

    // a forger repeats the write of KEYED and of LATE under their ids, answered here: its own rows
    const keyedForged = { ...keyed, requestKey: 'k-forged', entries: 3, contentType: R4, apart: true };
    const reads = [0, 1, 2].map((entry) => ({ entry, answer: { status: '200 OK' } }));
    for (const { tx, job } of [KEYED, LATE]) {
      await store.recordTransactionEntries({ transactionId: tx, count: 3, entries: reads, requestKey: 'k-forged' });
      await store.recordTransactionRequest({ ...keyedForged, transactionId: tx, jobIds: [job] });
    }
    t.same(await store.requestsOfTransaction(KEYED.tx), [keyed, keyedForged], 'kept apart from the routed row');
    // before: both rows in one table, the previous release's sweep taking the first with the writes
    t.same(
      await run(V49_READ, [LATE.tx]),
      [{ writes: LATE.job, content_type: R5, entries: 2, request_key: 'k-late' }],
      'the previous release reads its own row alone',
    );

    const openhim = await openhimSandbox(t);
    for (const { tx, job } of ALL) {
      // core's copy as the previous release's envelope left it: the writes named, no request
      const properties = { [AWAITS_UPDATE_PROPERTY]: TEST_URN, [AWAITS_UPDATE_OF_PROPERTY]: writeTag(job) };
      const envelope = { status: 'Processing' as const, response: { status: 202 }, properties };
      openhim.state.transactions.set(tx, routedTransaction(tx, { method: 'POST', path: '/fhir' }, envelope));
      const end = { status: 'done' as const, result: { system: 'openlmis', ids: {} }, transactionUpdateDue: NOW };
      await store.finishJob(job, 'w', end, NOW);
    }
    const reporter = reporterFor(t, store, openhim.url);
    const updateOf = (tx: string) =>
      pollUntil(`the update of ${tx}`, async () => {
        await reporter.sweepOnce();
        return (openhim.state.transactionUpdates.get(tx) as SentUpdate[] | undefined)?.[0];
      });
    const shared = await updateOf(SHARED.tx);
    t.same(entryStatusesOf(shared), ['201 Created'], "shared: a Bundle of its write's answer, as that release sent");
    const unkeyed = await updateOf(UNKEYED.tx);
    t.equal(unkeyed.response?.status, 201, "no key: its write's own answer");
    t.equal(entryStatusesOf(unkeyed), undefined, 'no Bundle');
    const alone = await updateOf(ALONE.tx);
    t.same(entryStatusesOf(alone), ['201 Created', '200 OK'], 'keyed: the Bundle of its own map');
    t.match(
      (alone.response as { headers?: Record<string, string> }).headers,
      { 'Content-Type': /fhirVersion=5\.0/ },
      'in its release',
    );
    // the routed row of then, and its map: the forger's row and map kept here shape nothing
    // (before: read as one shared row with the forger's, its Bundle lost: the bare 201)
    for (const { tx } of [KEYED, LATE]) {
      const update = await updateOf(tx);
      t.same(entryStatusesOf(update), ['201 Created', '200 OK'], `${tx}: the Bundle of the routed request's map`);
      t.match(
        (update.response as { headers?: Record<string, string> }).headers,
        { 'Content-Type': /fhirVersion=5\.0/ },
        'in its release',
      );
    }
  });
}
