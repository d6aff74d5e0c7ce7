import { linksOfWrites } from './links-of-writes.js';
import { othersFailingTogetherValues, PG_OTHERS_FAILING_TOGETHER_SQL } from './others-failing.js';
import { POSTGRES_PRUNE, pruneBatch, runPrune, type PruneBatch, type PruneResult } from './retention.js';
import {
  EVICT_TRANSACTION_REQUESTS_SQL,
  evictionValues,
  INSERT_TRANSACTION_REQUEST_SQL,
  TRANSACTION_REQUESTS_SQL,
  transactionRequestOf,
  transactionRequestValues,
} from './transaction-requests.js';
import {
  PG_CLAIM_UPDATES_SQL,
  PG_SETTLE_TRANSACTION_SQL,
  SETTLE_UPDATE_SQL,
  TRANSACTION_JOBS_SQL,
  UPDATE_COUNTS_SQL,
  settleTransactionValues,
  transactionJobRow,
  settleUpdateValues,
  RELEASE_FINAL_CALLS_SQL,
  releaseFinalCallsValues,
  updateCountsOf,
} from './transaction-updates.js';
import { PG_LINKS_TO_UPSTREAM_SQL } from './upstream-links.js';
import {
  PG_EARLIER_WAITING_SQL as EARLIER_WAITING_SQL,
  PG_LATER_WRITE_EXISTS,
  PG_WAITING_WRITE_SQL,
} from './resource-order.js';
import pg from 'pg';
import {
  DROP_RERUNS_SQL,
  RERUN_UPDATES_OF_JOB_SQL,
  rerunUpdateFromRow,
  OWE_RERUN_UPDATE_SQL,
  PG_CLAIM_RERUNS_SQL,
  RERUN_DEBT_STATE_SQL,
  SETTLE_RERUN_SQL,
  rerunAsJobRow,
  insertedDebtOf,
  rerunDebtOf,
  settleRerunValues,
  type RerunDebt,
} from './rerun-updates.js';
import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import type { Identifier } from '../domain/index.js';
import { POSTGRES_MIGRATIONS, type Migration } from './migrations.js';
import { migratePostgres } from './pg-migrations.js';
import { PG_KEY_WAITING_JOB_SQL } from './legacy-order-keys.js';
import { StoreClient } from './pg-connection.js';
import { JOB_COLUMNS, jobColumns } from './job-columns.js';
import {
  jobsByKeyValueArgs,
  jobsByKeyValueSql,
  keyOfMarkedValue,
  keysOfMarkedValueArgs,
  keysOfMarkedValueSql,
} from './key-values.js';
import { keyNumber, postgresNumberedArgs, postgresNumberedSql, type NumberedJobs } from './numbered-keys.js';
import { isDatabaseAway } from './database-away.js';
import {
  auditFromRow,
  crosswalkFromRow,
  crosswalkValues,
  jobFromRow,
  json,
  linkFromRow,
  linkedUpstreamId,
  UPSERT_CROSSWALK_SQL,
  stepFromRow,
  supersedeAudit,
  toJson,
  upsertLinkSql,
  GET_LINK_SQL,
  LINKED_FHIR_IDS_PG,
  linkParams,
  systemOfRecord,
  newJobValues,
  jobInserted,
  PAYLOAD_VALUE,
  LEASE_UNTIL_VALUE,
  ATTEMPT_ENDS_VALUE,
  NEXT_ATTEMPT_VALUE,
} from './rows.js';
import type {
  AuditEntry,
  AuditInput,
  ClaimRequest,
  JobListFilter,
  JobStatus,
  JournalStep,
  NewJob,
  OutboxJob,
  RecordWriteResult,
  ResourceLink,
  SeenVersion,
  Store,
  JobOutcome,
  TransactionUpdateEnd,
  TransactionUpdateCounts,
  TransactionEntries,
  TransactionEntry,
  TransactionRequest,
  RerunUpdate,
  JobRun,
  JobRunEnd,
  NewJobRun,
  Propagation,
  PropagationFilter,
  PropagationState,
  RegistryRecordRow,
  ConsoleSessionRow,
  JobAttempt,
  LookupsAhead,
  WritesAhead,
} from './types.js';
import {
  consoleSessionFromRow,
  consoleSessionValues,
  DELETE_CONSOLE_SESSION_SQL,
  GET_CONSOLE_SESSION_SQL,
  jobAttemptFromRow,
  LIST_JOB_ATTEMPTS_SQL,
  SWAP_CONSOLE_SESSION_SQL,
  SWEEP_CONSOLE_SESSIONS_SQL,
  swapConsoleSessionValues,
  UPSERT_CONSOLE_SESSION_SQL,
} from './console-sessions.js';
import {
  APPEND_JOB_ATTEMPT_POSTGRES_SQL,
  INSERT_APPENDED_ATTEMPT_SQL,
  appendedAttemptValues,
  mayRepeat,
} from './repeated-attempts.js';
import {
  ABANDON_JOB_RUNS_SQL,
  FINISH_JOB_RUN_SQL,
  INSERT_JOB_RUN_SQL,
  GIVE_TICK_BACK_SQL,
  LIST_JOB_RUNS_SQL,
  finishJobRunValues,
  jobRunFromRow,
  jobRunValues,
} from './job-runs.js';
import { PayloadConflict } from './types.js';
import {
  ofThisRequest,
  PG_INSERT_TRANSACTION_ENTRIES_SQL,
  TRANSACTION_ENTRIES_SQL,
  RELEASE_REQUEST_ENTRIES_SQL,
  transactionEntryOf,
  transactionEntryValues,
} from './transaction-entries.js';
import {
  COUNT_BY_STATUS_SQL,
  COUNT_BY_SYSTEM_SQL,
  OLDEST_WAITING_SQL,
  countsByStatusOf,
  type JobCountBySystem,
} from './job-counts.js';
import {
  CROSSWALK_STATE_COUNTS_SQL,
  queryCrosswalk,
  stateCountsOf,
  type CrosswalkPage,
  type CrosswalkQuery,
  type CrosswalkStateCount,
} from './crosswalk-query.js';
import { KeyedMutex, LockWaitTimeout, inOrder } from './keyed-mutex.js';
import { PgLeaseHolders } from './pg-lease-holders.js';
import type { ReleasedLeases } from './lease-holders.js';
import { SharedLockSession } from './pg-shared-locks.js';
import {
  HeldAdvisoryLock,
  LOCK_CHECK_MS,
  LOCK_RETAKE_WITHIN_MS,
  LOCK_SILENT_MS,
  lockHolders,
  takeLockUnlessHeld,
  type LockSession,
} from './pg-held-lock.js';
import {
  finishJobs,
  putSteps,
  recordNewWrites,
  type JobEnd,
  type NewWrite,
  type StepRecord,
} from './pg-write-batches.js';
import { TurnBatcher } from './turn-batcher.js';
import { firstSeen, UPSERT_SEEN_SQL, type SeenRow } from './content-seen.js';
import { linkKey, linksToWrite, PG_STORED_LINKS_SQL } from './links-to-write.js';
import {
  COUNT_GAVE_UP_SQL,
  COUNT_PROPAGATIONS_SQL,
  GET_CURSOR_SQL,
  GET_PROPAGATION_SQL,
  GET_REGISTRY_RECORD_SQL,
  LIST_REGISTRY_RECORDS_SQL,
  LIST_UNPLANNED_REGISTRY_RECORDS_SQL,
  MARK_REGISTRY_RECORD_PLANNED_SQL,
  listPropagationsSql,
  propagationCounts,
  propagationFromRow,
  propagationValues,
  PUT_PROPAGATION_SQL,
  PUT_PROPAGATION_IF_SQL,
  propagationIfValues,
  PUT_REGISTRY_RECORD_SQL,
  PUT_REGISTRY_RECORD_OVER_SQL,
  registryRecordFromRow,
  registryRecordValues,
  SET_CURSOR_SQL,
  SETTLE_PROPAGATION_SQL,
  settlePropagationValues,
} from './propagation-rows.js';

type Row = Record<string, unknown>;

/** Indexes of `jobs` sorted by their key (flow, system, idempotency key). */
function keyOrder(jobs: NewJob[]): number[] {
  const key = (j: NewJob) => `${j.flow}\u0000${j.system}\u0000${j.idempotencyKey}`;
  return jobs
    .map((_, i) => i)
    .sort((a, b) => (key(jobs[a]) < key(jobs[b]) ? -1 : key(jobs[a]) > key(jobs[b]) ? 1 : a - b));
}

type Queryable = pg.Pool | pg.PoolClient;

/**
 * Every client a pool makes keeps an 'error' listener for its whole life. pg-pool listens only
 * while a client is idle, and its own pool.query listens once: a server's FATAL (57P01, "terminating
 * connection due to administrator command") followed by the socket's end, or an error after the
 * query's answer, reached a client nobody listened to and killed the process (CI, the PostgreSQL
 * connections-cut test, once in a run). The loss still shows: on the client's next query, and to
 * the pool, which drops the client.
 */
function hearEveryError(pool: pg.Pool): void {
  pool.on('connect', (client) => client.on('error', () => undefined));
}

/** A write's links can go in one INSERT … ON CONFLICT only if no (flow, FHIR id, system) repeats. */
function distinctLinks(links: ResourceLink[]): boolean {
  return new Set(links.map((l) => `${l.flow}\u0000${l.fhirId}\u0000${l.system}`)).size === links.length;
}

const STEP_RESULT_SQL = 'SELECT result FROM step_journal WHERE job_id = $1 AND step = $2';

/**
 * A new write in one statement: the key claimed ($1…$15 as newJobValues), the job inserted only
 * if the key was, and its links (arrays $16…$21, the link time $22) only if the job was. All
 * sub-statements see one snapshot and commit together. The link upsert is UPSERT_LINK_SQL's.
 */
const RECORD_NEW_WRITE_SQL = `WITH claimed AS (
    INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at)
    VALUES ($2, $3, $4, $5, $1, $13) ON CONFLICT DO NOTHING RETURNING job_id),
  job AS (
    INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
      next_attempt_at, lease_owner, lease_until, transaction_id, created_at, order_key, attempt_ends_at, updated_at)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $13 FROM claimed RETURNING id),
  linked AS (
    INSERT INTO resource_links (flow, fhir_id, system, upstream_id, job_id, updated_at, system_of_record)
    SELECT l.flow, l.fhir_id, l.system, l.upstream_id, l.job_id, $22, l.system_of_record
    FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::int[])
      AS l(flow, fhir_id, system, upstream_id, job_id, system_of_record)
    WHERE EXISTS (SELECT 1 FROM job)
    ON CONFLICT (flow, fhir_id, system) DO UPDATE SET system_of_record = EXCLUDED.system_of_record,
      upstream_id = COALESCE(EXCLUDED.upstream_id, resource_links.upstream_id),
      job_id = COALESCE(EXCLUDED.job_id, resource_links.job_id), updated_at = EXCLUDED.updated_at)
  SELECT id FROM job`;

/** A lone new write (RECORD_NEW_WRITE_SQL), prepared once per connection. */
function recordNewWriteQuery(w: NewWrite): pg.QueryConfig {
  const links = w.links;
  return {
    name: 'outbox-record-new-write',
    text: RECORD_NEW_WRITE_SQL,
    values: [
      ...w.values,
      links.map((l) => l.flow),
      links.map((l) => l.fhirId),
      links.map((l) => l.system),
      links.map((l) => l.upstreamId ?? null),
      links.map((l) => l.jobId ?? null),
      links.map((l) => systemOfRecord(l)),
      w.now,
    ],
  };
}

const JSON_TYPES = new Set<number>([pg.types.builtins.JSON, pg.types.builtins.JSONB]);

/**
 * json/jsonb columns come back as their JSON text, exactly like SQLite's TEXT columns, and
 * rows.ts decodes both engines alike. pg's default parser would decode them first, and a decoded
 * JSON string (a step result "INITIATED") is indistinguishable from JSON text to decode again.
 */
const JSON_COLUMNS_AS_TEXT: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    JSON_TYPES.has(oid)
      ? (text: string) => text
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** withLock's advisory key space (first key of the two-key form). */
const LOCK_SPACE = 0x4d454449; // 'MEDI'

/**
 * The scale-out engine: several mediator instances share one database. Claims use
 * `FOR UPDATE SKIP LOCKED` so two instances never take the same job, and a lease so a job held by
 * a dead instance comes back when the lease runs out. Scheduled jobs take advisory locks.
 */
/** How long a connection to PostgreSQL may take to open, or a free pooled client to come (pg: unbounded). */
export const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long a statement may wait for the server's answer (pg's query_timeout, client side). A
 * connection whose network went silent without a reset (a partition, a blackholed route) would
 * otherwise wait for TCP keep-alive to give up: 10 s, then the kernel's 9 probes 75 s apart, about
 * 11 minutes, each request and delivery attempt stuck meanwhile. Past this the statement fails as
 * the database away (database-away.ts) and its connection is destroyed, never pooled again: pg
 * stops waiting, but the statement was sent, and a late answer to it would be read as the next
 * one's. statement_timeout (server side) cannot help: the server's answer is what is lost.
 */
export const QUERY_TIMEOUT_MS = 30_000;

/**
 * A wait for an advisory lock of withLocks' key space: it may last up to its lock_timeout before
 * the server answers, so its query_timeout (read per query, pg's lib/client.js) is that and more.
 */
function lockWaitQuery(key: number, queryTimeoutMs: number): pg.QueryConfig {
  return {
    text: 'SELECT pg_advisory_lock($1, $2)',
    values: [LOCK_SPACE, key],
    query_timeout: queryTimeoutMs,
  } as pg.QueryConfig;
}

export interface ConnectionOptions {
  /** CONNECT_TIMEOUT_MS unless given (tests shorten it). */
  connectTimeoutMs?: number;
  /** QUERY_TIMEOUT_MS unless given (tests shorten it). */
  queryTimeoutMs?: number;
  /** How soon a scheduled run's silent lock session stops it (LOCK_SILENT_MS unless given). */
  lockSilentMs?: number;
}

/**
 * TCP keep-alive on every connection, probing after 10 s of silence: a pooled connection whose
 * server went away without a reset (a partition, a failover that moved the address) is found
 * dead and replaced, where the kernel's default waits two hours before its first probe.
 */
const socketOptions = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 };

/**
 * A clock difference to the server too small to correct leases for: a measurement is only as
 * precise as its round trip, and a lease outlives its attempt by seconds.
 */
const LEASE_SKEW_IGNORED_MS = 250;

/** Whether this session may write (PostgresStore.checkWritable). */
const READ_ONLY_SQL =
  "SELECT current_setting('transaction_read_only') AS read_only, pg_is_in_recovery() AS in_recovery";

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;

  /** Connections that wait for withLocks locks held elsewhere (created on first use). */
  private locks?: pg.Pool;
  /** Connections of scheduled runs' locks (jobLockPool; created on first use). */
  private jobLocks?: pg.Pool;
  /** The main pool's query_timeout, for the lock pool's statements too. */
  private readonly queryTimeoutMs: number;
  /** How long a connection may take to open, the lock pool's too. */
  private readonly connectTimeoutMs: number;
  /** How soon a scheduled run's silent lock session stops it (pg-held-lock.ts). */
  private readonly lockSilentMs: number;
  private readonly localLocks = new KeyedMutex();
  /**
   * How far this process's clock is ahead of the database server's (clockSkewMs, adopted at
   * start by openStore). Leases, retry times and first sightings are kept in the server's time:
   * an instance whose clock is ahead would otherwise see another's lease end that much early and
   * take over an attempt still writing (seen: a stock event posted twice with a clock 3 s ahead
   * and leaseMs 1 s above attemptTimeoutMs), retry another's job before the upstream's
   * Retry-After (seen: 1.3 s after a 503 asking for 4 s), and stamp a version a later lastUpdated
   * than the next version another instance saw after it (a client syncing by _lastUpdated would
   * skip that one).
   */
  private clockAheadMs = 0;
  /** The session holding withLocks locks nobody else holds, for every holder at once. */
  private readonly sharedLocks: SharedLockSession;
  /** The outboxes of this process taking leases here, each holding its lock (pg-lease-holders.ts). */
  private readonly leaseHolders: PgLeaseHolders;
  /** The scheduler's locks held now (withAdvisoryLock): dropped by close(), not waited for. */
  private readonly advisoryLocks = new Set<HeldAdvisoryLock>();
  /** The one close (close()): every call shares it. */
  private closing?: Promise<void>;

  /** The outbox's hot statements, batched per turn across concurrent writes (turn-batcher.ts). */
  /** Whether each new write was created (its key was free). */
  private readonly newWrites = new TurnBatcher<NewWrite, boolean>({
    one: async (w) => (await this.pool.query(recordNewWriteQuery(w))).rows.length > 0,
    many: async (ws) => {
      const created = await recordNewWrites(this.pool, ws);
      return ws.map((w) => created.has(w.job.id));
    },
  });
  private readonly jobEnds = new TurnBatcher<JobEnd, boolean>({
    one: async (e) => (await finishJobs(this.pool, [e]))[0],
    many: (es) => finishJobs(this.pool, es),
  });
  private readonly steps = new TurnBatcher<StepRecord, Row | undefined>({
    one: async (s) => (await putSteps(this.pool, [s]))[0],
    many: (ss) => putSteps(this.pool, ss),
  });

  constructor(
    private readonly connectionString: string,
    poolSize = 10,
    connection: ConnectionOptions = {},
  ) {
    this.queryTimeoutMs = connection.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
    this.connectTimeoutMs = connection.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.lockSilentMs = connection.lockSilentMs ?? LOCK_SILENT_MS;
    this.pool = new pg.Pool({
      connectionString,
      max: poolSize,
      types: JSON_COLUMNS_AS_TEXT,
      Client: StoreClient,
      ...socketOptions,
      // pg waits for a connection without end by default: a server that stopped answering (a
      // network partition, a host down without a reset) hung start-up with no word, and every
      // request until its own timeout. This error is "database away" (database-away.ts): a 503,
      // and a delivery retried uncharged. It also bounds a wait for a free client of the pool.
      connectionTimeoutMillis: this.connectTimeoutMs,
      query_timeout: this.queryTimeoutMs,
    });
    // An idle client that loses its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    hearEveryError(this.pool);
    // bounded as the pool's are: its statements never wait for a lock, so a timeout is a silent server
    const ownSession = () =>
      new StoreClient({
        connectionString,
        ...socketOptions,
        connectionTimeoutMillis: this.connectTimeoutMs,
        query_timeout: this.queryTimeoutMs,
      });
    this.sharedLocks = new SharedLockSession(ownSession, LOCK_SPACE);
    this.leaseHolders = new PgLeaseHolders(ownSession);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn(client);
      await client.query('COMMIT');
      client.release();
      return value;
    } catch (err) {
      // a connection lost or gone silent is destroyed (the server rolls back what it had), never
      // asked for a ROLLBACK it cannot answer nor given back to the pool
      if (isDatabaseAway(err)) {
        client.release(err instanceof Error ? err : true);
        throw err;
      }
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw err;
    }
  }

  private async rows(sql: string, args: unknown[] = [], q: Queryable = this.pool): Promise<Row[]> {
    return (await q.query(sql, args)).rows as Row[];
  }

  /** Brings the schema up to date without blocking other instances' writes (pg-migrations.ts). */
  async migrate(migrations: Migration[] = POSTGRES_MIGRATIONS): Promise<void> {
    await migratePostgres(this.pool, migrations);
  }

  /**
   * How far this process's clock is from the database's, in ms (positive: ours is ahead). Leases
   * and retry times are epoch ms written by one instance and compared by another, so instances
   * must agree on the time (see openStore).
   */
  async clockSkewMs(): Promise<number> {
    // the sample with the shortest round trip: its midpoint is the closest to the server's reading
    let best = { roundTrip: Infinity, skew: 0 };
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      const [r] = await this.rows('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now');
      const after = Date.now();
      if (after - before < best.roundTrip)
        best = { roundTrip: after - before, skew: Math.round((before + after) / 2 - Number(r.now)) };
    }
    return best.skew;
  }

  /**
   * Keep leases, retry times and sightings in the server's time from now on (see clockAheadMs). A
   * skew below LEASE_SKEW_IGNORED_MS is within what one round trip can measure: they stay in
   * this process's own time.
   */
  useServerClock(skewMs: number): void {
    this.clockAheadMs = Math.abs(skewMs) < LEASE_SKEW_IGNORED_MS ? 0 : skewMs;
  }

  /** A new job's values with its lease end, attempt end and due time, in this process's time, as stored (server time). */
  private inServerTime(values: unknown[]): unknown[] {
    if (!this.clockAheadMs) return values;
    const stored = [...values];
    for (const i of [LEASE_UNTIL_VALUE, NEXT_ATTEMPT_VALUE, ATTEMPT_ENDS_VALUE])
      if (typeof stored[i] === 'number') stored[i] = (stored[i] as number) - this.clockAheadMs;
    return stored;
  }

  /**
   * A job row read back, its lease end and due time in this process's time, as the outbox measures
   * them: every read of a job goes through here, so none hands the outbox server times.
   */
  private jobInOwnTime(row: Row): OutboxJob {
    const job = jobFromRow(row);
    if (!this.clockAheadMs) return job;
    return {
      ...job,
      nextAttemptAt: job.nextAttemptAt + this.clockAheadMs,
      leaseUntil: job.leaseUntil === undefined ? undefined : job.leaseUntil + this.clockAheadMs,
    };
  }

  async migrationVersions(): Promise<number[]> {
    return (await this.rows('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
  }

  /**
   * Ends the pools once: a second close(), during the first or after it, shares the first's end
   * (as SQLite's returns), where pg refuses ending a pool twice ("end on pool more than once"), so
   * a caller closing on two paths (a stop signal, the run's end) failed on this engine only.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    // the pools stop giving out connections first: a run the stop cut (still going in an upstream
    // call) cannot connect and write once its lock below is dropped; they end once all are back
    const ended = Promise.all([this.pool.end(), this.locks?.end(), this.jobLocks?.end()]);
    // handled here so a failed end is not an unhandled rejection while the closes below wait; the
    // finally still throws it
    ended.catch(() => undefined);
    try {
      // a job run still holding its lock would hold pool.end until its work ends
      for (const held of this.advisoryLocks) held.drop();
      await this.leaseHolders.close();
      await this.sharedLocks.close();
    } finally {
      await ended;
    }
  }

  // crosswalk ---------------------------------------------------------------------------------

  async getCrosswalk(system: string, systemId: string): Promise<CrosswalkRow | undefined> {
    const [r] = await this.rows('SELECT * FROM crosswalk WHERE system = $1 AND system_id = $2', [system, systemId]);
    return r ? crosswalkFromRow(r) : undefined;
  }

  async listCrosswalk(system: string): Promise<CrosswalkRow[]> {
    return (await this.rows('SELECT * FROM crosswalk WHERE system = $1 ORDER BY system_id', [system])).map(
      crosswalkFromRow,
    );
  }

  async listCrosswalkByRegistryId(registryId: string): Promise<CrosswalkRow[]> {
    return (
      await this.rows('SELECT * FROM crosswalk WHERE registry_id = $1 ORDER BY system, system_id', [registryId])
    ).map(crosswalkFromRow);
  }

  async queryCrosswalk(system: string, q: CrosswalkQuery): Promise<CrosswalkPage> {
    return queryCrosswalk('postgres', system, q, (sql, params) => this.rows(sql, params), crosswalkFromRow);
  }

  async countCrosswalkStates(system: string): Promise<CrosswalkStateCount[]> {
    return stateCountsOf(await this.rows(CROSSWALK_STATE_COUNTS_SQL, [system]));
  }

  async upsertCrosswalk(row: CrosswalkRow, audit?: AuditInput): Promise<{ written: boolean }> {
    return this.tx(async (c) => {
      const written = ((await c.query(UPSERT_CROSSWALK_SQL, crosswalkValues(row))).rowCount ?? 0) > 0;
      if (written && audit) await this.insertAudit(audit, Date.now(), c);
      return { written };
    });
  }

  async upsertCrosswalkMany(
    rows: CrosswalkRow[],
    audit?: (written: number) => AuditInput,
  ): Promise<{ written: number }> {
    return this.tx(async (c) => {
      let written = 0;
      for (const row of rows)
        written += ((await c.query(UPSERT_CROSSWALK_SQL, crosswalkValues(row))).rowCount ?? 0) > 0 ? 1 : 0;
      if (audit) await this.insertAudit(audit(written), Date.now(), c);
      return { written };
    });
  }

  // outbox ------------------------------------------------------------------------------------

  async recordWrite(job: NewJob): Promise<RecordWriteResult> {
    return (await this.recordNewWrite(job, [])) ?? this.tx((c) => this.insertWrite(job, c));
  }

  async recordWrites(
    jobs: NewJob[],
    links: ResourceLink[],
    entries?: TransactionEntries,
  ): Promise<RecordWriteResult[]> {
    // the usual case, a new key: one statement, one round trip (issue 18: 4 + one per link before)
    const map = ofThisRequest(entries);
    if (jobs.length === 1 && distinctLinks(links) && !map) {
      const created = await this.recordNewWrite(jobs[0], links);
      if (created) return [created];
    }
    return this.tx(async (c) => {
      const results: RecordWriteResult[] = new Array(jobs.length);
      // keys in one order for every transaction: two Bundles sharing keys in opposite orders would
      // otherwise wait on each other's key rows and one would fail with a deadlock
      for (const i of keyOrder(jobs)) {
        const job = jobs[i];
        const r = await this.insertWrite(job, c);
        if (!r.created && r.job.payloadHash !== job.payloadHash)
          throw new PayloadConflict(job.idempotencyKey, r.job.id);
        results[i] = r;
      }
      await this.insertLinks(linksOfWrites(links, jobs, results), c);
      if (map) await this.insertTransactionEntries(map, c, results);
      return results;
    });
  }

  async recordTransactionEntries(entries: TransactionEntries): Promise<void> {
    // one statement: a transaction of its own
    const map = ofThisRequest(entries);
    if (map.entries.length) await this.insertTransactionEntries(map, this.pool);
  }

  /** A Bundle's entries in one statement (unnest of each column), whatever their number. */
  private async insertTransactionEntries(
    entries: TransactionEntries,
    c: Queryable,
    results?: RecordWriteResult[],
  ): Promise<void> {
    const rows = transactionEntryValues(entries, results);
    await c.query(
      PG_INSERT_TRANSACTION_ENTRIES_SQL,
      [0, 1, 2, 3, 4, 5, 6].map((k) => rows.map((r) => r[k])),
    );
  }

  async releaseRequestEntries(transactionId: string, requestKey: string): Promise<number> {
    return (await this.pool.query(RELEASE_REQUEST_ENTRIES_SQL, [transactionId, requestKey])).rowCount ?? 0;
  }

  async entriesOfTransaction(transactionId: string): Promise<TransactionEntry[]> {
    return (await this.rows(TRANSACTION_ENTRIES_SQL, [transactionId])).map(transactionEntryOf);
  }

  async recordTransactionRequest(request: TransactionRequest): Promise<number> {
    const values = transactionRequestValues(request);
    // one transaction: a concurrent request's eviction sees this row only once it is kept, and
    // this one's sees its row only once its eviction ran, so no two drop each other's
    return this.tx(async (c) => {
      await c.query(INSERT_TRANSACTION_REQUEST_SQL, values);
      const evicted = (await c.query(EVICT_TRANSACTION_REQUESTS_SQL, evictionValues(values))).rows;
      // a dropped request's entry map goes with its row: nothing reads it without the row
      for (const r of evicted) await c.query(RELEASE_REQUEST_ENTRIES_SQL, [request.transactionId, r.request_key]);
      return evicted.length;
    });
  }

  async requestsOfTransaction(transactionId: string): Promise<TransactionRequest[]> {
    return (await this.rows(TRANSACTION_REQUESTS_SQL, [transactionId])).map((r) =>
      transactionRequestOf(transactionId, r),
    );
  }

  /**
   * A write under a key nobody holds, in one statement: claim the key, insert the job and its
   * links, all or nothing (one statement is one transaction). Undefined when the key is taken:
   * then nothing was written, and the transaction path decides (duplicate or takeover). A
   * concurrent writer of the same key makes the key INSERT wait for it, as in insertWrite.
   */
  private async recordNewWrite(job: NewJob, links: ResourceLink[]): Promise<RecordWriteResult | undefined> {
    const values = newJobValues(job);
    const created = await this.newWrites.submit({
      job,
      values: this.inServerTime(values),
      links,
      now: Date.now(),
    });
    // the job as stored, from what was bound (as on SQLite): the statement returns only its id
    return created ? { created: true, job: jobInserted(job, values[PAYLOAD_VALUE] as string) } : undefined;
  }

  /** Statements the outbox's hot path sent and the calls they carried (see TurnBatcher). */
  batchStats(): Record<'newWrites' | 'jobEnds' | 'steps', { statements: number; calls: number }> {
    return {
      newWrites: { ...this.newWrites.stats },
      jobEnds: { ...this.jobEnds.stats },
      steps: { ...this.steps.stats },
    };
  }

  /**
   * Claim the key and insert the job, or return the job that holds the key, or take the key over
   * from a rejected job (inside a transaction).
   */
  private async insertWrite(job: NewJob, c: pg.PoolClient): Promise<RecordWriteResult> {
    // Each round either returns or sees a takeover, or the key's job pruned or dropped, that
    // another transaction committed meanwhile.
    for (let round = 0; ; round += 1) {
      // A concurrent transaction inserting the same key makes this INSERT wait for it; once it
      // commits, ON CONFLICT skips and the SELECT below (a new snapshot) sees its job.
      const claimed =
        ((
          await c.query(
            'INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
            [job.flow, job.system, job.idempotencyKey, job.payloadHash, job.id, job.createdAt],
          )
        ).rowCount ?? 0) > 0;
      if (claimed) return { created: true, job: await this.insertJob(job, c) };
      // The holder is share-locked until this transaction ends: the links about to name it are
      // committed before a prune may delete it (its FOR UPDATE waits; PRUNE_JOBS_SQL then sees
      // them). A prune holding it first makes this wait, then skip the row it deleted: no row,
      // the key is gone with it, and the next round claims it for this write.
      const [row] = await this.rows(
        `SELECT ${jobColumns('j')} FROM idempotency_keys k JOIN outbox_jobs j ON j.id = k.job_id
         WHERE k.flow = $1 AND k.system = $2 AND k.key = $3 FOR KEY SHARE OF j`,
        [job.flow, job.system, job.idempotencyKey],
        c,
      );
      if (!row) {
        if (round < 5) continue;
        throw new Error(`idempotency key ${job.idempotencyKey}: its job went five times while this write was recorded`);
      }
      const holder = jobFromRow(row);
      if (holder.status !== 'rejected' || round >= 5) return { created: false, job: holder };
      if (await this.supersede(holder, job, c))
        return { created: true, job: await this.insertJob(job, c), supersedes: holder.id };
    }
  }

  /**
   * A refused write does not keep its key: `job` takes it over. The refused job's row is the
   * point of serialisation: marking it (only while it is still rejected and not superseded)
   * locks it, so a concurrent takeover or an operator's requeue of it waits, then finds the
   * condition false on the updated row (READ COMMITTED re-checks it) and gives way.
   */
  private async supersede(old: OutboxJob, job: NewJob, c: pg.PoolClient): Promise<boolean> {
    const marked =
      ((
        await c.query(
          "UPDATE outbox_jobs SET superseded_by = $1, updated_at = $2 WHERE id = $3 AND status = 'rejected' AND superseded_by IS NULL",
          [job.id, job.createdAt, old.id],
        )
      ).rowCount ?? 0) > 0;
    if (!marked) return false;
    await c.query(
      'UPDATE idempotency_keys SET payload_hash = $1, job_id = $2, created_at = $3 WHERE flow = $4 AND system = $5 AND key = $6',
      [job.payloadHash, job.id, job.createdAt, job.flow, job.system, job.idempotencyKey],
    );
    // the refused write never reached its upstream: no link may point there on its behalf
    await c.query('UPDATE resource_links SET upstream_id = NULL WHERE job_id = $1', [old.id]);
    await this.insertAudit(supersedeAudit(old, job), job.createdAt, c);
    return true;
  }

  private async insertJob(job: NewJob, c: pg.PoolClient): Promise<OutboxJob> {
    const [inserted] = await this.rows(
      `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
         next_attempt_at, lease_owner, lease_until, transaction_id, created_at, order_key, attempt_ends_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $13) RETURNING ${JOB_COLUMNS}`,
      this.inServerTime(newJobValues(job)),
      c,
    );
    return this.jobInOwnTime(inserted);
  }

  // resource links ----------------------------------------------------------------------------

  async putLinks(links: ResourceLink[]): Promise<void> {
    if (!links.length) return;
    const rows = await this.rows(PG_STORED_LINKS_SQL, [
      links.map((l) => l.flow),
      links.map((l) => l.fhirId),
      links.map((l) => l.system),
    ]);
    const stored = new Map(rows.map((r) => [linkKey(r.flow, r.fhir_id, r.system), r]));
    const changed = linksToWrite(links, (l) => stored.get(linkKey(l.flow, l.fhirId, l.system)));
    if (changed.length) await this.tx((c) => this.insertLinks(changed, c));
  }

  /** A committed PostgreSQL transaction is on disk (synchronous_commit): every read sees only that. */
  lookupsAhead(): LookupsAhead {
    return this;
  }

  async durable(): Promise<void> {}

  /** A COMMIT here returns once it is on disk (synchronous_commit): the calls themselves, and nothing to wait for after. */
  writesAhead(): WritesAhead {
    return {
      finishJob: (...args) => this.finishJob(...args),
      firstSeen: (...args) => this.firstSeen(...args),
      recordWrites: (...args) => this.recordWrites(...args),
      onDisk: async () => undefined,
    };
  }

  async getLink(flow: string, fhirId: string): Promise<ResourceLink | undefined> {
    const [r] = await this.rows(GET_LINK_SQL, [flow, fhirId]);
    return r ? linkFromRow(r) : undefined;
  }

  async linkedFhirIds(flow: string, fhirIds: string[]): Promise<Set<string>> {
    if (!fhirIds.length) return new Set();
    const rows = await this.rows(LINKED_FHIR_IDS_PG, [flow, fhirIds]);
    return new Set(rows.map((r) => r.fhir_id as string));
  }

  async linksToUpstream(flow: string, system: string, upstreamIds: string[]): Promise<ResourceLink[]> {
    if (!upstreamIds.length) return [];
    return (await this.rows(PG_LINKS_TO_UPSTREAM_SQL, [flow, system, upstreamIds])).map(linkFromRow);
  }

  async firstSeen(flow: string, versions: SeenVersion[], now: number): Promise<Map<string, number>> {
    return firstSeen(
      {
        select: async (f, ids) =>
          (await this.rows('SELECT fhir_id, version, seen_at FROM content_seen WHERE flow = $1 AND fhir_id = ANY($2)', [
            f,
            ids,
          ])) as unknown as SeenRow[],
        upsert: (f, fresh, at) =>
          this.tx(async (c) => {
            for (const v of fresh) await c.query(UPSERT_SEEN_SQL, [f, v.fhirId, v.version, at]);
          }),
      },
      flow,
      versions,
      // the server's time, as every instance stamps it (clockAheadMs)
      now - this.clockAheadMs,
    );
  }

  private async insertLinks(links: ResourceLink[], c: pg.PoolClient): Promise<void> {
    const now = Date.now();
    for (const l of links) await c.query(upsertLinkSql(l), linkParams(l, now));
  }

  async getJob(id: string): Promise<OutboxJob | undefined> {
    const [r] = await this.rows(`SELECT ${JOB_COLUMNS} FROM outbox_jobs WHERE id = $1`, [id]);
    // shown as this process measures time: the console's "next attempt in", a linked parent's wait
    return r ? this.jobInOwnTime(r) : undefined;
  }

  async acceptedAfter(id: string, ids: string[]): Promise<string[] | undefined> {
    // accept_seq: one sequence for all instances (resource-order.ts); created_at only without it
    const rows = await this.rows(
      `SELECT l.id FROM outbox_jobs j LEFT JOIN outbox_jobs l ON l.id = ANY($2::text[])
         AND CASE WHEN l.accept_seq IS NULL OR j.accept_seq IS NULL THEN l.created_at > j.created_at
                  ELSE l.accept_seq > j.accept_seq END
       WHERE j.id = $1`,
      [id, ids],
    );
    // no row: no job `id`; one with no id: none of `ids` later
    return rows.length ? rows.filter((r) => r.id != null).map((r) => String(r.id)) : undefined;
  }

  async findJobsByKey(idempotencyKey: string): Promise<OutboxJob[]> {
    return (
      await this.rows(`SELECT ${JOB_COLUMNS} FROM outbox_jobs WHERE idempotency_key = $1 ORDER BY created_at, id`, [
        idempotencyKey,
      ])
    ).map((r) => this.jobInOwnTime(r));
  }

  async findJobsByKeyValue(kind: string, value: string): Promise<OutboxJob[]> {
    const rows = await this.rows(jobsByKeyValueSql('postgres', JOB_COLUMNS), jobsByKeyValueArgs(kind, value));
    return rows.map((r) => this.jobInOwnTime(r));
  }

  async findKeysOfMarkedValue(kind: string, value: string, mark: string): Promise<string[]> {
    const rows = await this.rows(keysOfMarkedValueSql('postgres'), keysOfMarkedValueArgs(kind, value, mark));
    return rows.map((r) => keyOfMarkedValue(String(r.prefix), value));
  }

  async findNumberedJobs(key: string, identifier?: Identifier): Promise<NumberedJobs | undefined> {
    const [r] = await this.rows(postgresNumberedSql(JOB_COLUMNS, !!identifier), postgresNumberedArgs(key, identifier));
    if (!r) return undefined;
    const highest = keyNumber(key, String(r.highest_key));
    return r.id == null ? { highest } : { newest: this.jobInOwnTime(r), highest };
  }

  async listJobs(filter: JobListFilter = {}): Promise<OutboxJob[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(`${sql} = $${args.length}`);
    };
    if (filter.status) add('status', filter.status);
    if (filter.system) add('system', filter.system);
    if (filter.flow) add('flow', filter.flow);
    args.push(filter.limit ?? 100, filter.offset ?? 0);
    const sql = `SELECT ${JOB_COLUMNS} FROM outbox_jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY created_at, id LIMIT $${args.length - 1} OFFSET $${args.length}`;
    return (await this.rows(sql, args)).map((r) => this.jobInOwnTime(r));
  }

  async claimJobs(req: ClaimRequest): Promise<OutboxJob[]> {
    if (req.limit <= 0 || req.flows.length === 0) return [];
    // SKIP LOCKED: rows another instance is claiming right now are skipped, not waited for.
    // READ COMMITTED re-checks the WHERE on the locked row version, so a row claimed and
    // committed by another instance meanwhile no longer qualifies.
    // A job of a flow delivered in order waits for the waiting jobs of its resource accepted
    // before it (ClaimRequest.inOrder), pending or with a lapsed lease alike (a write recorded in
    // flight to be queued behind one, its process dead before it gave it back). Those are not
    // locked by this claim: one another instance holds in flight right now still counts as waiting.
    // `due` keeps each row's lease before the claim: one taken over is told (OutboxJob.leaseTakenFrom)
    const rows = await this.rows(
      `WITH due AS (
         SELECT id, status AS was_status, lease_owner AS was_owner FROM outbox_jobs j
         WHERE system = $4 AND flow = ANY($5)
           AND ((status = 'pending' AND next_attempt_at <= $8) OR (status = 'in-flight' AND lease_until < $8))
           AND (NOT (flow = ANY($7)) OR NOT EXISTS (${EARLIER_WAITING_SQL}))
         ORDER BY next_attempt_at LIMIT $6
         FOR UPDATE SKIP LOCKED)
       UPDATE outbox_jobs o SET status = 'in-flight', lease_owner = $1, lease_until = $2, attempt_ends_at = $9,
         attempts = o.attempts + 1, updated_at = $3
       FROM due WHERE o.id = due.id
       RETURNING ${jobColumns('o')}, due.was_status, due.was_owner`,
      [
        req.leaseOwner,
        req.now + req.leaseMs - this.clockAheadMs,
        req.now,
        req.system,
        req.flows,
        req.limit,
        req.inOrder ?? [],
        req.now - this.clockAheadMs,
        req.attemptTimeoutMs === undefined ? null : req.now + req.attemptTimeoutMs - this.clockAheadMs,
      ],
    );
    return rows.map((r) => {
      const job = this.jobInOwnTime(r);
      return r.was_status === 'in-flight' ? { ...job, leaseTakenFrom: String(r.was_owner) } : job;
    });
  }

  holdLeases(holder: string): void {
    this.leaseHolders.hold(holder);
  }

  async releaseEndedLeases(now: number, attemptsOverBefore = now): Promise<ReleasedLeases[]> {
    // in the server's time, as every instance claims (clockAheadMs)
    return this.leaseHolders.releaseEnded(this.pool, now - this.clockAheadMs, attemptsOverBefore - this.clockAheadMs);
  }

  async waitsBehind(id: string): Promise<boolean> {
    const rows = await this.rows(`SELECT 1 FROM outbox_jobs j WHERE j.id = $1 AND EXISTS (${EARLIER_WAITING_SQL})`, [
      id,
    ]);
    return rows.length > 0;
  }

  async waitingWriteOf(flow: string, system: string, resourceIds: string[]): Promise<boolean> {
    if (!resourceIds.length) return false;
    return (await this.rows(PG_WAITING_WRITE_SQL, [system, flow, resourceIds])).length > 0;
  }

  async keyWaitingJob(id: string, orderKey: string): Promise<boolean> {
    return ((await this.pool.query(PG_KEY_WAITING_JOB_SQL, [orderKey, id])).rowCount ?? 0) > 0;
  }

  async finishJob(
    id: string,
    leaseOwner: string,
    outcome: JobOutcome,
    now: number,
    attempt?: JobAttempt,
  ): Promise<boolean> {
    const result = outcome.status === 'done' ? toJson(outcome.result) : null;
    const error = outcome.status === 'done' ? null : toJson(outcome.error);
    const lastError = outcome.status === 'done' ? null : outcome.error.issues.map((i) => i.diagnostics).join('; ');
    const upstreamId = outcome.status === 'done' ? (linkedUpstreamId(outcome.result) ?? null) : null;
    // the job's end, its links' upstream id, its audit and the attempt in one statement (one
    // transaction, one commit), batched with the other jobs ending in this turn
    return this.jobEnds.submit({
      id,
      leaseOwner,
      status: outcome.status,
      result,
      error,
      lastError,
      upstreamId,
      now,
      attempt,
      audit: outcome.status === 'done' ? undefined : outcome.audit,
      updateDue: outcome.transactionUpdateDue,
      finalCalls: outcome.openhimFinalCalls,
    });
  }

  async claimTransactionUpdates(now: number, limit: number, claimUntil: number): Promise<OutboxJob[]> {
    if (limit <= 0) return [];
    return (await this.rows(PG_CLAIM_UPDATES_SQL, [now, limit, claimUntil])).map(jobFromRow);
  }

  async settleTransactionUpdate(id: string, end: TransactionUpdateEnd): Promise<boolean> {
    const r = await this.pool.query(SETTLE_UPDATE_SQL, settleUpdateValues(id, end));
    return this.released(end, { jobId: id }, r.rowCount ?? 0);
  }

  /**
   * After a settle of `settled` debts: the final calls no debt needs any more let go (a statement
   * of its own, see RELEASE_FINAL_CALLS_SQL; once per settled update, not per write).
   */
  private async released(
    end: TransactionUpdateEnd,
    of: { jobId?: string; transactionId?: string },
    settled: number,
  ): Promise<boolean> {
    if (settled > 0 && end.state !== 'owed')
      await this.pool.query(RELEASE_FINAL_CALLS_SQL, releaseFinalCallsValues(of));
    return settled > 0;
  }

  async oweRerunUpdate(jobId: string, transactionId: string, now: number, bound: number): Promise<RerunDebt> {
    const [row] = await this.rows(OWE_RERUN_UPDATE_SQL, [jobId, transactionId, now, bound]);
    const inserted = insertedDebtOf(row);
    if (inserted) return inserted;
    const [state] = await this.rows(RERUN_DEBT_STATE_SQL, [jobId, transactionId]);
    return rerunDebtOf(state, transactionId);
  }

  async claimRerunUpdates(now: number, limit: number, claimUntil: number): Promise<OutboxJob[]> {
    if (limit <= 0) return [];
    return (await this.rows(PG_CLAIM_RERUNS_SQL, [now, limit, claimUntil])).map((r) => jobFromRow(rerunAsJobRow(r)));
  }

  async settleRerunUpdate(jobId: string, transactionId: string, end: TransactionUpdateEnd): Promise<boolean> {
    const r = await this.pool.query(SETTLE_RERUN_SQL, settleRerunValues(jobId, transactionId, end));
    return this.released(end, { jobId }, r.rowCount ?? 0);
  }

  async jobsOfTransaction(transactionId: string): Promise<OutboxJob[]> {
    return (await this.rows(TRANSACTION_JOBS_SQL, [transactionId])).map((r) => jobFromRow(transactionJobRow(r)));
  }

  async settleTransactionUpdates(transactionId: string, end: TransactionUpdateEnd, readUpTo: number): Promise<number> {
    const [r] = await this.rows(PG_SETTLE_TRANSACTION_SQL, settleTransactionValues(transactionId, end, readUpTo));
    await this.released(end, { transactionId }, Number(r.n));
    return Number(r.n);
  }

  async countTransactionUpdates(): Promise<TransactionUpdateCounts> {
    return updateCountsOf(await this.rows(UPDATE_COUNTS_SQL, []));
  }

  async listRerunUpdates(jobId: string): Promise<RerunUpdate[]> {
    return (await this.rows(RERUN_UPDATES_OF_JOB_SQL, [jobId])).map(rerunUpdateFromRow);
  }

  async othersFailingTogether(system: string, jobId: string, failedSince: number): Promise<boolean> {
    const values = othersFailingTogetherValues(system, jobId, failedSince);
    return (await this.rows(PG_OTHERS_FAILING_TOGETHER_SQL, values)).length > 0;
  }

  async rescheduleJob(
    id: string,
    leaseOwner: string,
    nextAttemptAt: number,
    lastError: string | undefined,
    uncount: boolean,
    now: number,
    ownOutage: boolean | 'keep' | 'renew' = false,
  ): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE outbox_jobs SET status = 'pending', next_attempt_at = $1, last_error = COALESCE($2, last_error),
         attempts = attempts - $3, lease_owner = NULL, lease_until = NULL, updated_at = $4,
         -- a reason given is a failure: the first one since the budget began is kept (failing-since.ts);
         -- our own database's failure ($8) is no sign of the upstream: both marks left as they were
         failing_since = CASE WHEN $8 OR $2::text IS NULL THEN failing_since ELSE COALESCE(failing_since, $4) END,
         -- its latest failure, if its own system's serving nobody; a deferral (no reason) because its
         -- breaker is open ($9) of a job so failing is as recent a sign of it, any other deferral
         -- (busy, behind a write) none (others-failing.ts, v65)
         outage_failed_at = CASE WHEN $8 THEN outage_failed_at
           WHEN $2::text IS NULL THEN CASE WHEN $9 AND outage_failed_at IS NOT NULL THEN $4 ELSE outage_failed_at END
           WHEN $7 THEN $4 ELSE NULL END
       WHERE id = $5 AND status = 'in-flight' AND lease_owner = $6`,
      [
        nextAttemptAt - this.clockAheadMs,
        lastError ?? null,
        uncount ? 1 : 0,
        now,
        id,
        leaseOwner,
        ownOutage === true,
        ownOutage === 'keep',
        ownOutage === 'renew',
      ],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * "Already due with a fresh attempt budget" (Store.requeueJob) is judged in the server's time,
   * as of when this call holds the job's row lock, not when it was called: a requeue that wrote
   * while this one waited for the lock (its instant after this one's, two retries at once) then
   * made the job due before the check, so of two retries one acts (c9f0e8f), however long the wait.
   *
   * The row's updated_at (the last writer's own time, taken as this instance's) counts as "now"
   * too, but only up to LEASE_SKEW_IGNORED_MS past it: two instances whose clocks differ by less
   * than that keep their own time (useServerClock), so a retry by one a few ms behind the other's
   * must still find the other's retry done. It used to count in full, and an instance whose clock
   * is ahead by more than a job's uncharged wait (a facility looking again at its parent 2 s
   * later) wrote an updated_at that made that job, not due, look due to the others: an
   * operator's retry there was refused as "nothing to retry" (pg-retry-clock-skew.test.ts). Now
   * such a refusal is left only for a job due within that margin anyway.
   */
  async requeueJob(
    id: string,
    audit: AuditInput,
    now: number,
    expectedStatus?: JobStatus,
    expectedUpdatedAt?: number,
  ): Promise<OutboxJob | undefined> {
    const called = Date.now();
    return this.tx(async (c) => {
      // a concurrent requeue waits here for this one's commit, then sees what it wrote
      await c.query('SELECT 1 FROM outbox_jobs WHERE id = $1 FOR UPDATE', [id]);
      // the caller's now as of the lock, in the server's time, as every instance claims (clockAheadMs)
      const checkedAt = now + (Date.now() - called) - this.clockAheadMs;
      const [r] = await this.rows(
        `UPDATE outbox_jobs SET status = 'pending', attempts = 0, next_attempt_at = $4, error = NULL, updated_at = $1,
           requeues = requeues + 1, -- a new budget: no timeline row counts on across it (operator-retries.ts)
           failing_since = NULL -- nor its failing age (failing-since.ts)
         WHERE id = $2 AND status IN ('dead', 'rejected', 'pending') AND superseded_by IS NULL
           AND ($3::text IS NULL OR status = $3)
           AND ($8::bigint IS NULL OR updated_at = $8) -- unchanged since the operator saw it
           -- already due with a fresh attempt budget (retried a moment ago, or never tried): nothing to
           -- retry. $6 is now as of the row lock; the row's own time counts up to $7 past it (above).
           -- Not one with a failing age: held uncharged, its budget is whole but its age is not
           AND NOT (status = 'pending' AND attempts = 0 AND failing_since IS NULL
             AND next_attempt_at <= GREATEST($6::bigint, LEAST(updated_at - $5, $6::bigint + $7::bigint)))
           -- a given-up write of a resource written again since: delivered now, it would put the
           -- older version back over the later one (a pending one still goes first: claim order)
           AND NOT (status IN ('dead', 'rejected') AND ${PG_LATER_WRITE_EXISTS})
           RETURNING ${JOB_COLUMNS}`,
        // due now in the server's time, as every instance claims (clockAheadMs)
        [
          now,
          id,
          expectedStatus ?? null,
          now - this.clockAheadMs,
          this.clockAheadMs,
          checkedAt,
          LEASE_SKEW_IGNORED_MS,
          expectedUpdatedAt ?? null,
        ],
        c,
      );
      if (r) await this.insertAudit(audit, now, c);
      return r ? this.jobInOwnTime(r) : undefined;
    });
  }

  async dropJob(
    id: string,
    audit: AuditInput,
    expectedStatus?: JobStatus,
    expectedUpdatedAt?: number,
  ): Promise<boolean> {
    return this.tx(async (c) => {
      const [job] = await this.rows(
        `SELECT id FROM outbox_jobs WHERE id = $1 AND status NOT IN ('in-flight', 'done') AND ($2::text IS NULL OR status = $2)
           AND ($3::bigint IS NULL OR updated_at = $3) FOR UPDATE`,
        [id, expectedStatus ?? null, expectedUpdatedAt ?? null],
        c,
      );
      if (!job) return false;
      await c.query('DELETE FROM step_journal WHERE job_id = $1', [id]);
      await c.query('DELETE FROM job_attempts WHERE job_id = $1', [id]);
      await c.query('DELETE FROM idempotency_keys WHERE job_id = $1', [id]);
      await c.query(DROP_RERUNS_SQL, [id]);
      await c.query('DELETE FROM outbox_jobs WHERE id = $1', [id]);
      await this.insertAudit(audit, Date.now(), c);
      return true;
    });
  }

  /**
   * Whether a session here may write: a standby, or a primary demoted under the same address,
   * gives read-only sessions. The error carries 25006 (read_only_sql_transaction), as a write
   * there would, so it is taken for the database being away (database-away.ts).
   */
  async checkWritable(): Promise<void> {
    const [r] = await this.rows(READ_ONLY_SQL);
    if (r.read_only !== 'on' && r.in_recovery !== true) return;
    throw Object.assign(
      new Error(
        r.in_recovery === true
          ? 'the database is a read-only standby (in recovery): writes are refused until the address points at a primary'
          : 'the database is read-only (transaction_read_only is on): writes are refused',
      ),
      { code: '25006', severity: 'ERROR' },
    );
  }

  async countJobsByStatus(): Promise<Record<JobStatus, number>> {
    return countsByStatusOf(await this.rows(COUNT_BY_STATUS_SQL));
  }

  async countJobsBySystem(): Promise<JobCountBySystem[]> {
    return (await this.rows(COUNT_BY_SYSTEM_SQL)).map((r) => ({
      system: String(r.system),
      status: String(r.status) as JobStatus,
      count: Number(r.n),
    }));
  }

  async oldestWaitingCreatedAt(): Promise<number | undefined> {
    const [r] = await this.rows(OLDEST_WAITING_SQL);
    return r.t === null ? undefined : Number(r.t);
  }

  // journal -----------------------------------------------------------------------------------

  async listSteps(jobId: string): Promise<JournalStep[]> {
    return (await this.rows('SELECT * FROM step_journal WHERE job_id = $1 ORDER BY completed_at, step', [jobId])).map(
      stepFromRow,
    );
  }

  async putStep(jobId: string, step: string, result: unknown, now: number): Promise<unknown> {
    // one round trip, batched with the turn's other steps: the inserted result, or the one
    // recorded before this statement began
    const first = await this.steps.submit({ jobId, step, result: toJson(result), now });
    // a racing attempt committed its step after this statement's snapshot: read it with a new one
    const [r] = first ? [first] : await this.rows(STEP_RESULT_SQL, [jobId, step]);
    return json(r.result) ?? null;
  }

  // audit -------------------------------------------------------------------------------------

  private async insertAudit(entry: AuditInput, now: number, q: Queryable = this.pool): Promise<void> {
    await q.query('INSERT INTO audit (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)', [
      now,
      entry.actor,
      entry.action,
      entry.subject ?? null,
      toJson(entry.details ?? {}),
    ]);
  }

  async appendAudit(entry: AuditInput, now = Date.now()): Promise<void> {
    await this.insertAudit(entry, now);
  }

  async listAudit(filter: { subject?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const rows = filter.subject
      ? await this.rows('SELECT * FROM audit WHERE subject = $1 ORDER BY id DESC LIMIT $2', [
          filter.subject,
          filter.limit ?? 100,
        ])
      : await this.rows('SELECT * FROM audit ORDER BY id DESC LIMIT $1', [filter.limit ?? 100]);
    return rows.map(auditFromRow);
  }

  // scheduled jobs: advisory lock, job runs --------------------------------------------------

  /**
   * Session-level advisory lock on a dedicated connection, released (or dropped with the
   * connection) after `fn`; one found held is refused at once (takeLockUnlessHeld). The
   * session is watched while `fn` runs (pg-held-lock.ts): if it dies the lock is taken again on a
   * new one, and `fn`'s signal aborts only when another instance took it.
   */
  /** Its holders as pg_locks lists them: a look that takes nothing (Store.advisoryLockHeld). */
  async advisoryLockHeld(name: string): Promise<boolean> {
    return (await lockHolders(this.pool, name)).length > 0;
  }

  async withAdvisoryLock<T>(
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const sessions = this.jobLockPool();
    const client = await sessions.connect();
    let locked: boolean;
    let session: LockSession | undefined;
    try {
      ({ locked, session } = await takeLockUnlessHeld(client, name));
    } catch (err) {
      // its connection lost or silent: destroyed (the lock goes with it), not pooled (see tx)
      client.release(isDatabaseAway(err) ? (err instanceof Error ? err : true) : undefined);
      throw err;
    }
    if (!locked) {
      client.release();
      return { ran: false };
    }
    const held = new HeldAdvisoryLock(
      sessions,
      client,
      name,
      LOCK_CHECK_MS,
      LOCK_RETAKE_WITHIN_MS,
      session,
      this.lockSilentMs,
    );
    this.advisoryLocks.add(held);
    let value: T;
    try {
      value = await fn(held.signal);
    } finally {
      this.advisoryLocks.delete(held);
      await held.release();
    }
    return { ran: true, value };
  }

  /**
   * An advisory lock in its own key space (the two-key form never overlaps the one-key form the
   * scheduler and migrations use): withLocks of the one name, so an OpenLMIS ledger's or the
   * propagator's lock is taken on the shared session too, and a holder keeps no connection.
   */
  withLock<T>(
    name: string,
    fn: () => Promise<T>,
    opts: { waitMs?: number; acrossProcesses?: boolean } = {},
  ): Promise<T> {
    return this.withLocks([name], fn, opts);
  }

  /**
   * Advisory locks for several names: the local mutexes in sorted order (inOrder), so waiters in
   * this process queue here, not in PostgreSQL; then every advisory lock, on the session shared by
   * the holders of this process when none is held elsewhere (one statement: pg-shared-locks.ts),
   * else on one connection of the lock pool (waitOnLockConnection). Lock holders never starve the
   * store's queries (the holder itself needs them to journal its steps); a lock goes with its
   * session if the process dies.
   */
  async withLocks<T>(names: string[], fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    const started = Date.now();
    const waitMs = opts.waitMs ?? 60_000;
    const left = () => Math.ceil(Math.max(1, waitMs - (Date.now() - started)));
    return inOrder(
      this.localLocks,
      names,
      async () => {
        const release = await this.sharedLocks.tryAll(names);
        if (release)
          try {
            return await fn();
          } finally {
            await release();
          }
        return this.waitOnLockConnection(names, left, fn, waitMs);
      },
      waitMs,
    );
  }

  /**
   * Locks another instance holds: waited for on one connection of the lock pool, each key in
   * order, so names whose hashes collide are taken in one order too, and a Bundle of many entries
   * neither exhausts the lock pool nor waits on itself for a connection. lock_timeout bounds each
   * wait; the statement's answer gets the store's query timeout on top of it, so a connection gone
   * silent meanwhile fails as the database away and is destroyed, not waited on for TCP keep-alive.
   */
  private async waitOnLockConnection<T>(
    names: string[],
    left: () => number,
    fn: () => Promise<T>,
    waitMs: number,
  ): Promise<T> {
    const client = await this.lockPool().connect();
    // pg_advisory_unlock_all below drops whatever was taken, even when a later lock timed out
    let unlocked = true;
    let lost = false;
    try {
      try {
        const keys = await client.query<{ k: number }>(
          'SELECT DISTINCT hashtext(n) AS k FROM unnest($1::text[]) AS n ORDER BY 1',
          [names],
        );
        unlocked = false;
        for (const { k } of keys.rows) {
          const wait = left();
          await client.query(`SET lock_timeout = ${wait}`);
          await client.query(lockWaitQuery(k, wait + this.queryTimeoutMs));
        }
      } catch (err) {
        if ((err as { code?: string }).code === '55P03') throw new LockWaitTimeout(names.join(', '), waitMs);
        // silent or cut: nothing more can be asked of it, and its locks go when it is destroyed
        lost = isDatabaseAway(err);
        throw err;
      }
      return await fn();
    } finally {
      if (!unlocked && !lost)
        unlocked = await client.query('SELECT pg_advisory_unlock_all()').then(
          () => true,
          () => false,
        );
      // a failed unlock (connection lost) also drops the locks: the connection is destroyed
      client.release(unlocked ? undefined : true);
    }
  }

  /**
   * The sessions of scheduled runs' locks (withAdvisoryLock): the holder's, and those its watch
   * asks on after a cut (the lock taken again, who holds it). Taken from the store's pool, they
   * waited for a free client whenever requests and the outbox held all ten, and past
   * connectTimeoutMs that wait's "timeout exceeded when trying to connect" read as the database
   * away: a run cut for an outage that was a busy pool (and a tick refused as one). Bounded as
   * lockPool's: opening a connection and every statement, never the wait for a free client; a
   * handful of jobs each hold one session (two while taken again), far below its max.
   */
  private jobLockPool(): pg.Pool {
    this.jobLocks ??= this.ownPool();
    return this.jobLocks;
  }

  private lockPool(): pg.Pool {
    this.locks ??= this.ownPool();
    return this.locks;
  }

  /** A pool beside the store's, for sessions held while their holder works upstream. */
  private ownPool(): pg.Pool {
    // no connectionTimeoutMillis on the pool: it would also bound the wait for a free client,
    // which a holder keeps while it works upstream. Opening a connection is bounded as the main
    // pool's (the client's own timeout: a silent server), and so are statements (query_timeout;
    // the lock wait adds its own).
    const connectTimeoutMs = this.connectTimeoutMs;
    const pool = new pg.Pool({
      connectionString: this.connectionString,
      max: 10,
      Client: class LockClient extends StoreClient {
        constructor(config?: pg.ClientConfig) {
          super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
        }
      },
      ...socketOptions,
      query_timeout: this.queryTimeoutMs,
    });
    pool.on('error', () => undefined);
    hearEveryError(pool);
    return pool;
  }

  async startJobRun(run: NewJobRun): Promise<JobRun | undefined> {
    const { takesTickOf } = run;
    const [r] =
      takesTickOf === undefined
        ? await this.rows(INSERT_JOB_RUN_SQL, jobRunValues(run))
        : // the tick given back and the run's start are committed both or neither
          await this.tx(async (c) => {
            await c.query(GIVE_TICK_BACK_SQL, [takesTickOf]);
            return this.rows(INSERT_JOB_RUN_SQL, jobRunValues(run), c);
          });
    return r ? jobRunFromRow(r) : undefined;
  }

  async finishJobRun(id: number, end: JobRunEnd): Promise<void> {
    await this.pool.query(FINISH_JOB_RUN_SQL, finishJobRunValues(id, end));
  }

  async abandonJobRuns(name: string, endedAt: number, detail: string): Promise<number> {
    return (await this.pool.query(ABANDON_JOB_RUNS_SQL, [endedAt, detail, name])).rowCount ?? 0;
  }

  async listJobRuns(name: string, limit = 20): Promise<JobRun[]> {
    return (await this.rows(LIST_JOB_RUNS_SQL, [name, limit])).map(jobRunFromRow);
  }

  async getCursor(name: string): Promise<string | undefined> {
    const [r] = await this.rows(GET_CURSOR_SQL, [name]);
    return r ? String(r.value) : undefined;
  }

  async setCursor(name: string, value: string, now = Date.now()): Promise<void> {
    await this.pool.query(SET_CURSOR_SQL, [name, value, now]);
  }

  async putRegistryRecords(records: RegistryRecordRow[]): Promise<string[]> {
    if (records.length === 0) return [];
    return this.tx(async (client) => {
      const kept: string[] = [];
      for (const r of records) {
        const [row] = await this.rows(PUT_REGISTRY_RECORD_SQL, registryRecordValues(r), client);
        if (row) kept.push(String(row.registry_id));
      }
      return kept;
    });
  }

  async putRegistryRecordOver(record: RegistryRecordRow, over: string): Promise<boolean> {
    return (await this.rows(PUT_REGISTRY_RECORD_OVER_SQL, [...registryRecordValues(record), over])).length > 0;
  }

  async getRegistryRecord(registryId: string): Promise<RegistryRecordRow | undefined> {
    const [r] = await this.rows(GET_REGISTRY_RECORD_SQL, [registryId]);
    return r ? registryRecordFromRow(r) : undefined;
  }

  async listRegistryRecords(): Promise<RegistryRecordRow[]> {
    return (await this.rows(LIST_REGISTRY_RECORDS_SQL)).map(registryRecordFromRow);
  }

  async markRegistryRecordPlanned(registryId: string, version: string): Promise<void> {
    await this.pool.query(MARK_REGISTRY_RECORD_PLANNED_SQL, [registryId, version]);
  }

  async listUnplannedRegistryRecords(after: string, limit: number): Promise<RegistryRecordRow[]> {
    return (await this.rows(LIST_UNPLANNED_REGISTRY_RECORDS_SQL, [after, limit])).map(registryRecordFromRow);
  }

  async putPropagation(p: Propagation, seen?: number | null): Promise<boolean> {
    const { rowCount } =
      seen === undefined
        ? await this.pool.query(PUT_PROPAGATION_SQL, propagationValues(p))
        : await this.pool.query(PUT_PROPAGATION_IF_SQL, propagationIfValues(p, seen));
    return (rowCount ?? 0) > 0;
  }

  async settlePropagation(p: Propagation): Promise<boolean> {
    return ((await this.pool.query(SETTLE_PROPAGATION_SQL, settlePropagationValues(p))).rowCount ?? 0) > 0;
  }

  async getPropagation(registryId: string, system: string): Promise<Propagation | undefined> {
    const [r] = await this.rows(GET_PROPAGATION_SQL, [registryId, system]);
    return r ? propagationFromRow(r) : undefined;
  }

  async listPropagations(filter: PropagationFilter = {}): Promise<Propagation[]> {
    const { sql, args } = listPropagationsSql(filter);
    return (await this.rows(sql, args)).map(propagationFromRow);
  }

  async countPropagations(): Promise<Record<string, Partial<Record<PropagationState, number>>>> {
    const [rows, gaveUp] = await Promise.all([this.rows(COUNT_PROPAGATIONS_SQL), this.rows(COUNT_GAVE_UP_SQL)]);
    return propagationCounts(rows, gaveUp);
  }

  async putConsoleSession(row: ConsoleSessionRow): Promise<void> {
    await this.pool.query(UPSERT_CONSOLE_SESSION_SQL, consoleSessionValues(row));
  }

  async swapConsoleSession(row: ConsoleSessionRow, was: Record<string, unknown>): Promise<boolean> {
    return (await this.pool.query(SWAP_CONSOLE_SESSION_SQL, swapConsoleSessionValues(row, was))).rowCount === 1;
  }

  async getConsoleSession(idDigest: string): Promise<ConsoleSessionRow | undefined> {
    const [r] = await this.rows(GET_CONSOLE_SESSION_SQL, [idDigest]);
    return r ? consoleSessionFromRow(r) : undefined;
  }

  async deleteConsoleSession(idDigest: string): Promise<void> {
    await this.pool.query(DELETE_CONSOLE_SESSION_SQL, [idDigest]);
  }

  async sweepConsoleSessions(before: number): Promise<number> {
    return (await this.pool.query(SWEEP_CONSOLE_SESSIONS_SQL, [before])).rowCount ?? 0;
  }

  async appendJobAttempt(attempt: JobAttempt): Promise<void> {
    // a repeat of the job's newest attempt is counted in its row (repeated-attempts.ts)
    await this.pool.query(
      mayRepeat(attempt) ? APPEND_JOB_ATTEMPT_POSTGRES_SQL : INSERT_APPENDED_ATTEMPT_SQL,
      appendedAttemptValues(attempt),
    );
  }

  async listJobAttempts(jobId: string, limit = 200): Promise<JobAttempt[]> {
    return (await this.rows(LIST_JOB_ATTEMPTS_SQL, [jobId, limit])).map(jobAttemptFromRow);
  }

  /**
   * One batch in one transaction (retention.ts, POSTGRES_PRUNE), its deletes bounded by the batch,
   * so no transaction holds many rows or runs long.
   */
  async pruneFinished(batch: PruneBatch): Promise<PruneResult> {
    return this.tx((c) =>
      runPrune(pruneBatch(batch, POSTGRES_PRUNE), async ({ sql, args, want }) => {
        const r = await c.query(sql, args);
        return want === 'rows' ? (r.rows as Row[]) : (r.rowCount ?? 0);
      }),
    );
  }
}
