/**
 * The mediator's own database fails in the middle of a delivery attempt, after the upstream took
 * the write and before its step is recorded: PostgreSQL stopped (pg_ctl stop -m fast, a restart:
 * pg answers `connect ECONNREFUSED`) or failed over onto a read-only standby (25006), SQLite's
 * disk full (SQLITE_FULL). The upstream did nothing
 * wrong: its circuit breaker stays closed (another write to it goes through at once), and the job
 * is neither dead-lettered nor charged an attempt (budget 1 here), but retried; the retry looks
 * first and finds the write applied, so the upstream holds it once.
 */
import { execSync } from 'node:child_process';
import pg from 'pg';
import t from 'tap';
import type { Test } from 'tap';
import { faultyUpstreamHandlers } from '../../../sandbox/faulty-upstream/handlers.js';
import type { StepJournal } from '../../../src/routing/ports.js';
import { acquireConnection, releaseConnection } from '../../../src/store/sqlite-connection.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { outboxFixture, waitFor } from '../../support/outbox-fixture.js';
import { ownPgServer, PG_SKIP } from './pg-outage-rig.js';

/** Our database failing and coming back, where the test can trigger it. */
interface Outage {
  engine: EngineCase;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** the error the failing store call gave */
  expected: RegExp;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PostgreSQL server of the test's own, stopped and started (the shared one serves other tests). */
function postgresOutage(t: Test): Outage {
  const server = ownPgServer();
  t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
  let down = false;
  const up = async () => {
    if (down) execSync(server.up, { stdio: 'ignore' });
    down = false;
  };
  t.teardown(up);
  return {
    engine: { name: 'postgres', freshDatabase: async () => ({ databaseUrl: server.url, drop: async () => undefined }) },
    async begin() {
      execSync(server.down, { stdio: 'ignore' });
      down = true;
      await sleep(300); // the pool hears its idle connections end: the next query connects anew
    },
    end: up,
    expected: /ECONNREFUSED/,
  };
}

/**
 * A failover onto a server that is still a read-only standby (or a primary demoted under the same
 * address): the database takes connections, but every write fails with 25006 (cannot execute
 * INSERT in a read-only transaction). Made here by making new sessions read-only and cutting the
 * pool's connections, so it reconnects into such sessions.
 */
async function readOnlyOutage(t: Test): Promise<Outage> {
  const postgres = engineCases().find((e) => e.name === 'postgres')!;
  const db = await postgres.freshDatabase();
  t.teardown(db.drop);
  const admin = new pg.Client({ connectionString: db.databaseUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  t.teardown(() => admin.end().catch(() => undefined));
  const name = new URL(db.databaseUrl).pathname.slice(1);
  const readOnly = async (on: boolean) => {
    await admin.query(`ALTER DATABASE "${name}" SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
    // each cut session waited for (up to 10 s) until its backend has exited: a loaded server can take
    // longer than any fixed pause, and a session still open would answer the next query itself
    await admin.query(
      'SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await sleep(300); // the pool hears its connections end: the next query connects anew
  };
  return {
    engine: {
      name: 'postgres',
      freshDatabase: async () => ({ databaseUrl: db.databaseUrl, drop: async () => undefined }),
    },
    begin: () => readOnly(true),
    end: () => readOnly(false),
    expected: /25006.*read-only transaction/,
  };
}

/** A SQLite file that cannot grow (max_page_count at its size): the next large write is SQLITE_FULL. */
async function sqliteOutage(t: Test): Promise<Outage> {
  const sqlite = engineCases().find((e) => e.name === 'sqlite')!;
  const db = await sqlite.freshDatabase();
  t.teardown(db.drop);
  const file = db.databaseUrl.slice('sqlite:'.length);
  let restore: (() => void) | undefined;
  return {
    engine: {
      name: 'sqlite',
      freshDatabase: async () => ({ databaseUrl: db.databaseUrl, drop: async () => undefined }),
    },
    async begin() {
      // the store's own connection (one per file per process), as a full disk would stop it
      const conn = acquireConnection(file);
      const pages = Number(conn.db.pragma('page_count', { simple: true }));
      conn.db.pragma(`max_page_count = ${pages}`);
      restore = () => {
        conn.db.pragma('max_page_count = 1073741823');
        releaseConnection(conn);
      };
    },
    async end() {
      restore?.();
      restore = undefined;
    },
    expected: /SQLITE_FULL|database or disk is full/,
  };
}

const cases: { name: string; skip?: string | false; outage: (t: Test) => Promise<Outage> }[] = [
  { name: 'sqlite: disk full', outage: sqliteOutage },
  { name: 'postgres: server stopped', skip: PG_SKIP, outage: async (t) => postgresOutage(t) },
  { name: 'postgres: failed over onto a read-only standby', skip: PG_SKIP, outage: readOnlyOutage },
];

for (const c of cases) {
  t.test(c.name, { skip: c.skip, timeout: 120_000 }, async (t) => {
    const outage = await c.outage(t);
    const f = await outboxFixture(t, outage.engine, {
      options: {
        // stopping and starting a server takes seconds on a busy machine: the attempt outlasts it
        attemptTimeoutMs: 30_000,
        leaseMs: 60_000,
        deadlineMs: 60_000,
        backoff: { baseMs: 5, capMs: 20, maxAttempts: 1 },
        breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
      },
    });
    const h = faultyUpstreamHandlers(f.upstream.url, 'faulty');
    const attempts: number[] = [];
    const storeErrors: string[] = [];
    f.outbox.register('recorded', 'faulty', async (job, journal, ctx) => {
      attempts.push(ctx.attempt);
      if (attempts.length > 1) return h.write(job, journal, ctx);
      // the upstream takes the write; then our database fails as its step is recorded
      const failing: StepJournal = {
        idempotencyKey: journal.idempotencyKey,
        run: async (step, action) => {
          try {
            return await journal.run(step, async () => {
              const value = await action();
              await outage.begin();
              return { ...(value as object), note: 'x'.repeat(200_000) } as typeof value; // needs new pages
            });
          } catch (err) {
            storeErrors.push(`${(err as { code?: string }).code} ${String(err)}`);
            throw err;
          } finally {
            await outage.end();
          }
        },
      };
      return h.write(job, failing, ctx);
    });

    const first = await f.outbox.acceptWrite({
      flow: 'recorded',
      system: 'faulty',
      idempotencyKey: 'BLIP-1',
      payload: { data: 1 },
    });
    t.match(storeErrors, [outage.expected], 'the store call failed as the database does');
    t.equal(f.upstream.state.applied.get('BLIP-1')?.count, 1, 'the upstream took the write');
    t.match(first, { kind: 'queued', status: 'pending', reason: /mediator's database failed.*retried/ });
    t.notMatch(first.kind === 'queued' ? first.reason : '', outage.expected, "the driver's words stay out of it");
    t.match(
      await f.store.getJob(first.jobId),
      { status: 'pending', attempts: 0, lastError: /mediator's database failed/ },
      'kept for a retry, the attempt not charged (budget 1): not dead-lettered',
    );
    t.same(f.outbox.breakerGates(), { faulty: 'closed' }, "the upstream's breaker stays closed");

    const other = await f.outbox.acceptWrite({
      flow: 'write',
      system: 'faulty',
      idempotencyKey: 'OTHER-1',
      payload: { data: 2 },
    });
    t.equal(other.kind, 'done', 'another write to the upstream goes through at once');

    f.outbox.startWorker();
    t.ok(await waitFor(async () => (await f.store.getJob(first.jobId))?.status === 'done'), 'retried to done');
    t.same(attempts, [1, 2], 'the retry is told an attempt ran before, so it looks first');
    t.equal(f.upstream.state.applied.get('BLIP-1')?.count, 1, 'the upstream holds the write once');
  });
}
