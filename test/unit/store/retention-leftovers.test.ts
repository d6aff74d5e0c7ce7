/**
 * What retention (Store.pruneFinished) left after v27, on SQLite and (with TEST_DATABASE_URL)
 * PostgreSQL: entry maps (v24) of OpenHIM transactions with no job of their own age out by the
 * time v30 records (a row without one, from before v30 or from an older release still running
 * during an upgrade, from when a prune first sees it), paged like the jobs; an operator's
 * drop takes the job's attempts; and on PostgreSQL a very late resend answered from an old job
 * while that job is being pruned either keeps the job (the link came first) or becomes a new
 * write (the prune came first), never a link naming a deleted job.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import t, { type Test } from 'tap';
import type { WriteResult } from '../../../src/routing/ports.js';
import type { Store, StoredError } from '../../../src/store/index.js';
import type { PruneResult } from '../../../src/store/retention.js';
import { sqliteParams } from '../../../src/store/rows.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };
const ERROR: StoredError = { name: 'UpstreamError', status: 503, issues: [{ code: 'transient', diagnostics: 'down' }] };
const OLD = 5_000;
const CUTOFF = 10_000;
const OPERATOR = { actor: 'op', action: 'outbox.drop', subject: 'DEAD' };

/** One statement on the test's database beside the store: what an older release or a test's clock did. */
async function raw(databaseUrl: string, sql: string, args: unknown[] = []): Promise<void> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    try {
      db.prepare(sqliteParams(sql)).run(...args);
    } finally {
      db.close();
    }
    return;
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(sql, args);
  } finally {
    await c.end();
  }
}

const answered = (transactionId: string, entries: number[]) => ({
  transactionId,
  count: entries.length,
  entries: entries.map((entry) => ({ entry, answer: { status: '200 OK' } })),
});

/** A job accepted and ended at `at` (done, or dead-lettered), with one attempt. */
async function ended(store: Store, id: string, at: number, status: 'done' | 'dead', transactionId?: string) {
  await store.recordWrites(
    [newJob(id, { status: 'in-flight', attempts: 1, leaseOwner: 'A', leaseUntil: 99_000, transactionId })],
    [],
  );
  await store.finishJob(id, 'A', status === 'done' ? { status, result: RESULT } : { status, error: ERROR }, at, {
    jobId: id,
    startedAt: at - 10,
    endedAt: at,
    attempt: 1,
    outcome: status,
  });
}

async function pruneAll(store: Store, before: number, limit = 100): Promise<PruneResult[]> {
  const batches: PruneResult[] = [];
  let after: PruneResult['last'];
  let entriesAfter: PruneResult['entriesLast'];
  for (;;) {
    const r = await store.pruneFinished({
      before,
      limit,
      ...(after ? { after } : {}),
      ...(entriesAfter ? { entriesAfter } : {}),
    });
    batches.push(r);
    if (r.examined < limit && r.jobRuns < limit && r.entriesExamined < limit) return batches;
    after = r.last ?? after;
    entriesAfter = r.entriesLast ?? entriesAfter;
  }
}

const rowsOf = async (store: Store, transactionId: string) => (await store.entriesOfTransaction(transactionId)).length;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('entry maps no job or rerun row names go once recorded before the cutoff', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      t.ok((await store.migrationVersions()).includes(30), 'v30 applied');
      const now = Date.now();
      // a batch of only reads through OpenHIM: no job of its own
      await store.recordTransactionEntries(answered('tx-gets', [0, 1]));
      // recorded by a release before v30 (no recorded_at given): of unknown time
      for (const entry of [0, 1])
        await raw(
          databaseUrl,
          'INSERT INTO openhim_transaction_entries (transaction_id, entry, entries, job_id, answer) VALUES ($1, $2, 2, NULL, $3)',
          ['tx-legacy', entry, JSON.stringify({ status: '200 OK' })],
        );
      // a transaction whose dead-lettered job an operator may retry: its update is still to be built
      await ended(store, 'DEAD', OLD, 'dead', 'tx-dead');
      await store.recordTransactionEntries(answered('tx-dead', [0, 1]));
      // a rerun of a request still owed its update
      await store.recordWrites([newJob('RERUN', { status: 'in-flight', leaseOwner: 'A', leaseUntil: 99_000 })], []);
      t.equal(await store.oweRerunUpdate('RERUN', 'tx-rerun', OLD, 20), 'owed');
      await store.recordTransactionEntries(answered('tx-rerun', [0]));
      // a batch still being answered: its last entry recorded after the cutoff
      await store.recordTransactionEntries(answered('tx-answering', [0, 1]));
      await raw(
        databaseUrl,
        'UPDATE openhim_transaction_entries SET recorded_at = $1 WHERE transaction_id = $2 AND entry = 1',
        [now + 3_600_000, 'tx-answering'],
      );

      const first = await pruneAll(store, now - 3_600_000);
      t.same(
        [await rowsOf(store, 'tx-legacy'), await rowsOf(store, 'tx-gets')],
        [2, 2],
        'within the retention nothing goes: rows from before v30 are kept from when the prune first saw them',
      );
      t.equal(
        first.reduce((n, b) => n + b.entries, 0),
        0,
      );

      const second = await pruneAll(store, now + 60_000);
      t.same(
        {
          gets: await rowsOf(store, 'tx-gets'),
          dead: await rowsOf(store, 'tx-dead'),
          rerun: await rowsOf(store, 'tx-rerun'),
          answering: await rowsOf(store, 'tx-answering'),
        },
        { gets: 0, dead: 2, rerun: 1, answering: 2 },
        'past the retention the map of reads goes; those a job, a rerun or a later entry needs stay',
      );
      t.equal(await rowsOf(store, 'tx-legacy'), 0, 'and the rows from before v30, past it from when first seen');
      t.equal(
        second.reduce((n, b) => n + b.entries, 0),
        4,
      );
      t.ok(await store.getJob('DEAD'), 'the dead job stays');
    });

    t.test('rows an older release records during an upgrade (no time) are never pruned early', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      const entry = (tx: string, n: number, recordedAt?: number) =>
        raw(
          databaseUrl,
          recordedAt === undefined
            ? 'INSERT INTO openhim_transaction_entries (transaction_id, entry, entries, answer) VALUES ($1, $2, 2, $3)'
            : 'INSERT INTO openhim_transaction_entries (transaction_id, entry, entries, answer, recorded_at) VALUES ($1, $2, 2, $3, $4)',
          [tx, n, JSON.stringify({ status: '200 OK' }), ...(recordedAt === undefined ? [] : [recordedAt])],
        );
      const seen = Date.now();
      // batches of only reads answered by an instance of the older release: recorded_at 0
      await entry('tx-a', 0);
      await entry('tx-b', 0);
      // one this release began, its later entry answered by the older release
      await entry('tx-c', 0, OLD);
      await entry('tx-c', 1);
      const maps = async () => [await rowsOf(store, 'tx-a'), await rowsOf(store, 'tx-b'), await rowsOf(store, 'tx-c')];

      // a retention of a day: rows of unknown time are stamped (two, the limit), none pruned
      const first = await store.pruneFinished({ before: seen - 86_400_000, now: seen, limit: 2 });
      t.equal(first.entries, 0, 'nothing pruned as if recorded long ago');
      t.same(await maps(), [1, 1, 2], "tx-c's old entry stays: its other one, not yet stamped, may still be answered");

      // the day after (here: the cutoff just past the first sighting)
      const second = await store.pruneFinished({ before: seen + 1, now: seen + 2, limit: 10 });
      t.equal(second.entries, 2);
      t.same(await maps(), [0, 0, 2], 'the maps first seen before the cutoff go; the one first seen now stays');
      const third = await store.pruneFinished({ before: seen + 3, now: seen + 3, limit: 10 });
      t.equal(third.entries, 2);
      t.same(await maps(), [0, 0, 0], 'then it goes too');
    });

    t.test('entry map rows are paged: at most the limit a batch, the next after it', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      // three maps kept (their transactions' jobs wait), then one nothing names, in recording order
      for (const [i, tx] of ['tx-k1', 'tx-k2', 'tx-k3', 'tx-gone'].entries()) {
        if (tx !== 'tx-gone') await store.recordWrite(newJob(`K${i}`, { transactionId: tx }));
        await store.recordTransactionEntries(answered(tx, [0]));
        await raw(databaseUrl, 'UPDATE openhim_transaction_entries SET recorded_at = $1 WHERE transaction_id = $2', [
          100 * (i + 1),
          tx,
        ]);
      }
      const batches = await pruneAll(store, CUTOFF, 2);
      t.same(
        batches.map((b) => [b.entriesExamined, b.entries]),
        [
          [2, 0],
          [2, 1],
          [0, 0],
        ],
        'each kept row read once; the map nothing names found in the second batch',
      );
      t.same(batches[0].entriesLast, { recordedAt: 200, transactionId: 'tx-k2', entry: 0 });
      t.equal(await rowsOf(store, 'tx-gone'), 0);
      t.equal(await rowsOf(store, 'tx-k3'), 1);
    });

    t.test("an operator's drop takes the job's attempts with it", async (t) => {
      const { store } = await freshStore(engine, t);
      await ended(store, 'DEAD', OLD, 'dead');
      await ended(store, 'OTHER', OLD, 'dead');
      t.equal((await store.listJobAttempts('DEAD')).length, 1);
      t.equal(await store.dropJob('DEAD', OPERATOR, 'dead'), true);
      t.same(await store.listJobAttempts('DEAD'), [], 'no attempt of a job that is gone');
      t.equal((await store.listJobAttempts('OTHER')).length, 1, "another job's attempts stay");
    });
  });
}

/** Backends of this database waiting for a lock, polled until `n` or `settled` says stop. */
async function untilWaiting(databaseUrl: string, n: number, settled: () => boolean): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const { rows } = await c.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (rows[0].n >= n || settled()) return rows[0].n;
      await new Promise((r) => setTimeout(r, 20));
    }
    return -1;
  } finally {
    await c.end();
  }
}

/** A promise and whether it has settled. */
function watched<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  const q = p.finally(() => {
    done = true;
  });
  return { p: q, settled: () => done };
}

const postgres = engineCases().find((e) => e.name === 'postgres')!;
t.test('PostgreSQL: a late resend and the prune of its job, in both orders', { skip: postgres.skip }, async (t) => {
  const LINK = { flow: 'order', fhirId: 'order-1', system: 'openlmis', jobId: 'RESEND' };
  const resend = () => newJob('RESEND', { idempotencyKey: 'key-OLD' });

  /**
   * A store holding OLD, done long ago, and another connection that has begun a transaction and
   * run `hold` (taking a row lock the first of the two will wait on), rolled back by `release`.
   */
  async function gated(t: Test, hold: string) {
    const { store, databaseUrl } = await freshStore(postgres, t);
    await ended(store, 'OLD', OLD, 'done');
    const gate = new pg.Client({ connectionString: databaseUrl });
    await gate.connect();
    t.teardown(() => gate.end());
    await gate.query('BEGIN');
    await gate.query(hold);
    return { store, databaseUrl, release: () => gate.query('ROLLBACK') };
  }

  t.test('the resend links the job first: the prune keeps it', async (t) => {
    // another connection holds the link row the resend is about to write: the resend waits
    // there, its hold on the job taken
    const { store, databaseUrl, release } = await gated(
      t,
      "INSERT INTO resource_links (flow, fhir_id, system, updated_at, system_of_record) VALUES ('order', 'order-1', 'openlmis', 1, 1)",
    );
    const writing = watched(store.recordWrites([resend()], [LINK]));
    t.equal(await untilWaiting(databaseUrl, 1, writing.settled), 1, 'the resend waits on the link row');
    const pruning = watched(store.pruneFinished({ before: CUTOFF, limit: 10 }));
    await untilWaiting(databaseUrl, 2, pruning.settled);
    await release();
    const [written] = await writing.p;
    const pruned = await pruning.p;
    t.match(written, { created: false, job: { id: 'OLD' } }, 'answered from the old job');
    t.equal((await store.getLink('order', 'order-1'))?.jobId, 'OLD');
    t.ok(await store.getJob('OLD'), 'the job its link names is kept');
    t.match(pruned, { jobs: 0, keys: 0, attempts: 1 }, 'only its history went');
  });

  t.test('the prune holds the job first: the resend becomes a new write', async (t) => {
    // another connection holds the job's key row: the prune, the job locked and deleted, waits there
    const { store, databaseUrl, release } = await gated(
      t,
      "SELECT 1 FROM idempotency_keys WHERE key = 'key-OLD' FOR UPDATE",
    );
    const pruning = watched(store.pruneFinished({ before: CUTOFF, limit: 10 }));
    t.equal(await untilWaiting(databaseUrl, 1, pruning.settled), 1, 'the prune waits on the key row');
    const writing = watched(store.recordWrites([resend()], [LINK]));
    await untilWaiting(databaseUrl, 2, writing.settled);
    await release();
    const pruned = await pruning.p;
    const [written] = await writing.p;
    t.match(pruned, { jobs: 1, keys: 1 }, 'the old job went');
    t.equal(await store.getJob('OLD'), undefined);
    t.match(written, { created: true, job: { id: 'RESEND' } }, 'the resend is a new write');
    t.equal((await store.getLink('order', 'order-1'))?.jobId, 'RESEND', 'its link names a job that exists');
  });
});
