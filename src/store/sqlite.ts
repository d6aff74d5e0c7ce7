import { linksOfWrites } from './links-of-writes.js';
import { othersFailingTogetherValues, SQLITE_OTHERS_FAILING_TOGETHER_SQL } from './others-failing.js';
import { sqliteLinksToUpstreamSql } from './upstream-links.js';
import {
  EVICT_TRANSACTION_REQUESTS_SQL,
  evictionValues,
  INSERT_TRANSACTION_REQUEST_SQL,
  TRANSACTION_REQUESTS_SQL,
  transactionRequestOf,
  transactionRequestValues,
} from './transaction-requests.js';
import {
  SQLITE_EARLIER_WAITING_SQL as EARLIER_WAITING_SQL,
  SQLITE_LATER_WRITE_EXISTS,
  SQLITE_RESOURCE_ID_VALUE,
  resourceIdOf,
  sqliteWaitingWriteSql,
} from './resource-order.js';
import {
  SETTLE_UPDATE_SQL,
  SQLITE_CLAIM_UPDATE_SQL,
  SQLITE_DUE_UPDATES_SQL,
  SETTLE_TRANSACTION_RERUNS_SQL,
  SETTLE_TRANSACTION_SQL,
  TRANSACTION_JOBS_SQL,
  UPDATE_COUNTS_SQL,
  settleTransactionValues,
  transactionJobRow,
  settleUpdateValues,
  RELEASE_FINAL_CALLS_SQL,
  releaseFinalCallsValues,
  updateCountsOf,
} from './transaction-updates.js';
import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import type { Identifier } from '../domain/index.js';
import { createIndexSql, dropIndexSql, SQLITE_MIGRATIONS, type Migration } from './migrations.js';
import { NEWEST_UNKNOWN_SQL, newestKnownVersion, refuseNewerSchema } from './newer-schema.js';
import { SQLITE_KEY_WAITING_JOB_SQL } from './legacy-order-keys.js';
import {
  auditFromRow,
  crosswalkFromRow,
  crosswalkValues,
  jobFromRow,
  json,
  linkFromRow,
  linkedUpstreamId,
  sqliteParams,
  UPSERT_CROSSWALK_SQL,
  stepFromRow,
  supersedeAudit,
  toJson,
  UPSERT_LINK_SQL,
  UPSERT_READ_LINK_SQL,
  GET_LINK_SQL,
  LINKED_FHIR_IDS_SQLITE,
  linkParams,
  newJobValues,
  jobInserted,
  PAYLOAD_VALUE,
} from './rows.js';
import {
  DROP_RERUNS_SQL,
  OWE_RERUN_UPDATE_SQL,
  RERUN_DEBT_STATE_SQL,
  SETTLE_RERUN_SQL,
  SQLITE_CLAIM_RERUN_SQL,
  SQLITE_DUE_RERUNS_SQL,
  SQLITE_RERUN_AS_JOB_SQL,
  RERUN_UPDATES_OF_JOB_SQL,
  rerunUpdateFromRow,
  rerunAsJobRow,
  insertedDebtOf,
  rerunDebtOf,
  settleRerunValues,
  sqlitePositional,
  type RerunDebt,
} from './rerun-updates.js';
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
import { JOB_COLUMNS } from './job-columns.js';
import {
  jobsByKeyValueArgs,
  jobsByKeyValueSql,
  keyOfMarkedValue,
  keysOfMarkedValueArgs,
  keysOfMarkedValueSql,
} from './key-values.js';
import { keyNumber, sqliteNumberedArgs, sqliteNumberedSql, type NumberedJobs } from './numbered-keys.js';
import {
  INSERT_TRANSACTION_ENTRY_SQL,
  ofThisRequest,
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
import { inOrder, mutexFor } from './keyed-mutex.js';
import { takeJobLock, watchLockFile } from './sqlite-job-lock.js';
import { heldLockCheck, withProcessLock } from './sqlite-process-lock.js';
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
import { acquireConnection, releaseConnection, type SqliteConnection } from './sqlite-connection.js';
import { checkSqliteWritable } from './sqlite-writable.js';
import {
  END_LEASES_OF_HOLDER_SQL,
  HOLDER_IN_FLIGHT_SQL,
  IN_FLIGHT_LEASE_OWNERS_SQL,
  LeaseHolderLocks,
  releaseEndedHolders,
  type ReleasedLeases,
} from './lease-holders.js';
import {
  INSERT_APPENDED_ATTEMPT_SQL,
  REPEAT_NEWEST_ATTEMPT_SQL,
  appendedAttemptValues,
  mayRepeat,
} from './repeated-attempts.js';
import { UPSERT_SEEN_SQL, type SeenRow } from './content-seen.js';
import { linksToWrite, STORED_LINK_SQL, type StoredLink } from './links-to-write.js';
import { pruneBatch, runPruneSync, SQLITE_PRUNE, type PruneBatch, type PruneResult } from './retention.js';
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

/** How long a start-up's migrations wait for a write lock another process holds. */
const MIGRATION_LOCK_WAIT_MS = 5_000;

/** How long /ready waits for a write lock held elsewhere before it names it (checkWritable). */
const WRITE_LOCK_PROBE_MS = 1_000;

/** Ids per sightings query (SQLite's default limit on bound parameters is 32,766). */
const SEEN_CHUNK = 500;

const INSERT_KEY_SQL =
  'INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING';
const INSERT_JOB_SQL = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
  next_attempt_at, lease_owner, lease_until, transaction_id, created_at, order_key, attempt_ends_at, updated_at, resource_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${SQLITE_RESOURCE_ID_VALUE})`;
/**
 * Takes a candidate only if it is still due when the write lock is ours: the candidates were read
 * before it, and another process (a second server started by mistake, refused at start since
 * sqlite-owner.ts) may have claimed one meanwhile; taking it again would send it twice.
 */
const CLAIM_SQL = `UPDATE outbox_jobs SET status = 'in-flight', lease_owner = ?, lease_until = ?, attempt_ends_at = ?, attempts = attempts + 1, updated_at = ?
  WHERE id = ? AND ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'in-flight' AND lease_until < ?)) RETURNING ${JOB_COLUMNS}`;
const LEASE_BEFORE_CLAIM_SQL = 'SELECT status, lease_owner FROM outbox_jobs WHERE id = ?';
const FINISH_SQL = `UPDATE outbox_jobs SET status = ?, result = ?, error = ?, last_error = COALESCE(?, last_error), lease_owner = NULL, lease_until = NULL, updated_at = ?
  WHERE id = ? AND status = 'in-flight' AND lease_owner = ?`;
/**
 * FINISH_SQL for an end that owes its OpenHIM transaction an update (v16): due at the 6th
 * parameter, the final attempt's calls (v46) at the 7th.
 */
const FINISH_OWING_SQL = `UPDATE outbox_jobs SET status = ?, result = ?, error = ?, last_error = COALESCE(?, last_error), lease_owner = NULL, lease_until = NULL, updated_at = ?,
  openhim_update = 'owed', openhim_update_due = ?, openhim_update_attempts = 0, openhim_update_error = NULL, openhim_final_calls = ?
  WHERE id = ? AND status = 'in-flight' AND lease_owner = ?`;
/** The links a finished write's job holds learn the upstream id in the same transaction (see linkedUpstreamId). */
const LINK_UPSTREAM_SQL =
  'UPDATE resource_links SET upstream_id = ?, updated_at = ? WHERE job_id = ? AND upstream_id IS NULL';
// a reason given is a failure: the first one since the budget began is kept (failing-since.ts);
// outage_failed_at: its latest, if its own system's serving nobody; a deferral (no reason) because
// its breaker is open (renew = 1) of a job so failing is as recent a sign of it, any other deferral
// (busy, behind a write) none (others-failing.ts, v65);
// our own database's failure (keep = 1) is no sign of the upstream: both left as they were
const RESCHEDULE_SQL = `UPDATE outbox_jobs SET status = 'pending', next_attempt_at = ?, last_error = COALESCE(?, last_error),
  attempts = attempts - ?, lease_owner = NULL, lease_until = NULL, updated_at = ?,
  failing_since = CASE WHEN ? = 1 OR ? IS NULL THEN failing_since ELSE COALESCE(failing_since, ?) END,
  outage_failed_at = CASE WHEN ? = 1 THEN outage_failed_at
    WHEN ? IS NULL THEN CASE WHEN ? = 1 AND outage_failed_at IS NOT NULL THEN ? ELSE outage_failed_at END
    WHEN ? = 1 THEN ? ELSE NULL END
  WHERE id = ? AND status = 'in-flight' AND lease_owner = ?`;
const JOB_BY_ID_SQL = `SELECT ${JOB_COLUMNS} FROM outbox_jobs WHERE id = ?`;
const GET_LINK_SQLITE = sqliteParams(GET_LINK_SQL);
const STORED_LINK_SQLITE = sqliteParams(STORED_LINK_SQL);
const SETTLE_UPDATE_SQLITE = sqliteParams(SETTLE_UPDATE_SQL);
const SETTLE_RERUN_SQLITE = sqliteParams(SETTLE_RERUN_SQL);
const RELEASE_FINAL_CALLS_SQLITE = sqlitePositional(RELEASE_FINAL_CALLS_SQL);
const OWE_RERUN_SQLITE = sqlitePositional(OWE_RERUN_UPDATE_SQL);
const RERUN_STATE_SQLITE = sqlitePositional(RERUN_DEBT_STATE_SQL);
// the hot statements' SQLite spelling, made once rather than by a regex on every call
const UPSERT_SEEN_SQLITE = sqliteParams(UPSERT_SEEN_SQL);
const UPSERT_LINK_SQLITE = sqliteParams(UPSERT_LINK_SQL);
const UPSERT_READ_LINK_SQLITE = sqliteParams(UPSERT_READ_LINK_SQL);
const REPEAT_NEWEST_ATTEMPT_SQLITE = sqlitePositional(REPEAT_NEWEST_ATTEMPT_SQL);
const INSERT_APPENDED_ATTEMPT_SQLITE = sqliteParams(INSERT_APPENDED_ATTEMPT_SQL);
/** A list of ids bound as one JSON array: one statement text whatever the batch's size. */
const INSERT_AUDIT_SQL = 'INSERT INTO audit (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)';

/**
 * A write made under a process lock (withLock's acrossProcesses) checks first, when it is made,
 * that the lock's file is still the one taken (sqlite-process-lock.ts); any other write as it is.
 */
function underHeldLocks<T>(fn: () => T): () => T {
  const check = heldLockCheck();
  return check
    ? () => {
        check();
        return fn();
      }
    : fn;
}

/**
 * The embedded engine: one better-sqlite3 connection per file in WAL mode (synchronous=NORMAL
 * plus our own fsync of the WAL after each commit, which is what FULL adds: wal-sync.ts), shared
 * by every store on that file in this process (sqlite-connection.ts). Writes are group
 * committed: each event-loop turn's writes share one transaction, each in its own savepoint, and
 * no call answers before that transaction is on disk (group-commit.ts). better-sqlite3 is
 * synchronous, so the operations never interleave. One process owns the file (scale-out needs
 * PostgreSQL), which is why claims need no row locks and the advisory lock is a no-op.
 */
export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  /** Writes of resource_links by this process (Store.linkWrites). */
  private linkWriteCount = 0;
  private readonly conn: SqliteConnection;
  private closed = false;
  private ahead?: LookupsAhead;
  private writesAheadOfDisk?: WritesAhead;
  /** The outboxes of this process taking leases here, each marked running (lease-holders.ts). */
  private readonly leaseHolders?: LeaseHolderLocks;

  constructor(private readonly file: string) {
    this.conn = acquireConnection(file);
    if (file !== ':memory:') this.leaseHolders = new LeaseHolderLocks(file);
  }

  private get db() {
    return this.conn.db;
  }

  private sql(sql: string) {
    return this.conn.statement(sql);
  }

  /** A call that changes data: in this turn's group commit, answered once it is on disk. */
  private write<T>(fn: () => T): Promise<T> {
    return this.conn.commits.write(underHeldLocks(fn));
  }

  /**
   * write(), for a call that changes data with one statement and cannot fail after it: no
   * savepoint of its own (GroupCommit.writeStatement).
   */
  private writeStatement<T>(fn: () => T): Promise<T> {
    return this.conn.commits.writeStatement(underHeldLocks(fn));
  }

  /** A call that only reads: answered at once, or after the open batch it may have seen commits. */
  private read<T>(fn: () => T): Promise<T> {
    return this.conn.commits.read(fn);
  }

  /** Group commits so far on this file's connection (shared by every store on it). */
  commitStats(): { commits: number; operations: number; syncs: number } {
    return { ...this.conn.commits.stats };
  }

  migrate(migrations: Migration[] = SQLITE_MIGRATIONS): void {
    // another store on this file may have a batch open: migrations run in a transaction of their own
    this.conn.commits.flush();
    // at start, before anything is served: a CLI command's write lock is waited for here
    this.db.pragma(`busy_timeout = ${MIGRATION_LOCK_WAIT_MS}`);
    try {
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      const knownUpTo = newestKnownVersion(migrations);
      const newer = this.db.prepare(NEWEST_UNKNOWN_SQL).get(knownUpTo) as { version: number; name: string } | undefined;
      refuseNewerSchema(newer, knownUpTo, `the SQLite database ${this.file}`);
      const applied = new Set(
        (this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)),
      );
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        this.db.transaction(() => {
          this.db.exec(m.sql);
          for (const index of m.indexes ?? []) this.db.exec(createIndexSql(index));
          for (const name of m.dropIndexes ?? []) this.db.exec(dropIndexSql(name));
          this.db
            .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
            .run(m.version, m.name, Date.now());
        })();
      }
    } finally {
      this.db.pragma('busy_timeout = 0'); // GroupCommit waits off the event loop from here on
    }
  }

  async migrationVersions(): Promise<number[]> {
    return this.read(() =>
      (this.sql('SELECT version FROM schema_migrations ORDER BY version').all() as Row[]).map((r) => Number(r.version)),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // a holder with an attempt still out keeps its lock till the process ends: until then its
    // lease is a live one, and a server starting meanwhile must not take the job over
    this.leaseHolders?.release((holder) => {
      try {
        return this.sql(HOLDER_IN_FLIGHT_SQL).get(holder.length + 1, `${holder}:`) === undefined;
      } catch {
        return false; // not known to be idle: the lock goes with the process
      }
    });
    releaseConnection(this.conn);
  }

  holdLeases(holder: string): void {
    this.leaseHolders?.hold(holder);
  }

  /** Every lease of an ended holder, its attempt over or not: the process that ran it is gone. */
  async releaseEndedLeases(now: number): Promise<ReleasedLeases[]> {
    const locks = this.leaseHolders;
    if (!locks) return [];
    const owners = await this.read(() =>
      (this.sql(IN_FLIGHT_LEASE_OWNERS_SQL).all() as Row[]).map((r) => String(r.lease_owner)),
    );
    // ended just before now: the claim takes a lease that ended before its own now
    return releaseEndedHolders(locks, owners, (prefix) =>
      this.writeStatement(() => this.sql(END_LEASES_OF_HOLDER_SQL).run(now - 1, prefix.length, prefix).changes),
    );
  }

  // crosswalk ---------------------------------------------------------------------------------

  async getCrosswalk(system: string, systemId: string): Promise<CrosswalkRow | undefined> {
    return this.read(() => {
      const r = this.sql('SELECT * FROM crosswalk WHERE system = ? AND system_id = ?').get(system, systemId) as
        Row | undefined;
      return r ? crosswalkFromRow(r) : undefined;
    });
  }

  async listCrosswalk(system: string): Promise<CrosswalkRow[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM crosswalk WHERE system = ? ORDER BY system_id').all(system) as Row[]).map(
        crosswalkFromRow,
      ),
    );
  }

  async listCrosswalkByRegistryId(registryId: string): Promise<CrosswalkRow[]> {
    return this.read(() => this.crosswalkOf(registryId));
  }

  async queryCrosswalk(system: string, q: CrosswalkQuery): Promise<CrosswalkPage> {
    const all = (sql: string, params: unknown[]) => this.read(() => this.sql(sql).all(...params) as Row[]);
    return queryCrosswalk('sqlite', system, q, all, crosswalkFromRow);
  }

  async countCrosswalkStates(system: string): Promise<CrosswalkStateCount[]> {
    return this.read(() => stateCountsOf(this.sql(sqliteParams(CROSSWALK_STATE_COUNTS_SQL)).all(system) as Row[]));
  }

  private crosswalkOf(registryId: string): CrosswalkRow[] {
    return (
      this.sql('SELECT * FROM crosswalk WHERE registry_id = ? ORDER BY system, system_id').all(registryId) as Row[]
    ).map(crosswalkFromRow);
  }

  async upsertCrosswalk(row: CrosswalkRow, audit?: AuditInput): Promise<{ written: boolean }> {
    return this.write(() => {
      const written = this.sql(sqliteParams(UPSERT_CROSSWALK_SQL)).run(...crosswalkValues(row)).changes > 0;
      if (written && audit) this.insertAudit(audit, Date.now());
      return { written };
    });
  }

  async upsertCrosswalkMany(
    rows: CrosswalkRow[],
    audit?: (written: number) => AuditInput,
  ): Promise<{ written: number }> {
    const stmt = this.sql(sqliteParams(UPSERT_CROSSWALK_SQL));
    return this.write(() => {
      const written = rows.reduce((n, row) => n + (stmt.run(...crosswalkValues(row)).changes > 0 ? 1 : 0), 0);
      if (audit) this.insertAudit(audit(written), Date.now());
      return { written };
    });
  }

  // outbox ------------------------------------------------------------------------------------

  async recordWrite(job: NewJob): Promise<RecordWriteResult> {
    return this.write(() => this.insertWrite(job));
  }

  async recordWrites(
    jobs: NewJob[],
    links: ResourceLink[],
    entries?: TransactionEntries,
  ): Promise<RecordWriteResult[]> {
    return this.insertWrites((fn) => this.write(fn), jobs, links, entries);
  }

  /** recordWrites, in a batch `within` runs (settled on disk, or at its COMMIT: writesAhead). */
  private insertWrites(
    within: <T>(fn: () => T) => Promise<T>,
    jobs: NewJob[],
    links: ResourceLink[],
    entries?: TransactionEntries,
  ): Promise<RecordWriteResult[]> {
    const map = ofThisRequest(entries);
    return within(() => {
      const results = jobs.map((job) => {
        const r = this.insertWrite(job);
        if (!r.created && r.job.payloadHash !== job.payloadHash)
          throw new PayloadConflict(job.idempotencyKey, r.job.id);
        return r;
      });
      this.insertLinks(linksOfWrites(links, jobs, results));
      if (map) this.insertTransactionEntries(map, results);
      return results;
    });
  }

  async recordTransactionEntries(entries: TransactionEntries): Promise<void> {
    const map = ofThisRequest(entries);
    if (map.entries.length) await this.write(() => this.insertTransactionEntries(map));
  }

  private insertTransactionEntries(entries: TransactionEntries, results?: RecordWriteResult[]): void {
    const insert = this.sql(sqliteParams(INSERT_TRANSACTION_ENTRY_SQL));
    for (const values of transactionEntryValues(entries, results)) insert.run(...values);
  }

  async releaseRequestEntries(transactionId: string, requestKey: string): Promise<number> {
    return this.writeStatement(
      () => this.sql(sqliteParams(RELEASE_REQUEST_ENTRIES_SQL)).run(transactionId, requestKey).changes,
    );
  }

  async entriesOfTransaction(transactionId: string): Promise<TransactionEntry[]> {
    return this.read(() =>
      (this.sql(sqliteParams(TRANSACTION_ENTRIES_SQL)).all(transactionId) as Row[]).map(transactionEntryOf),
    );
  }

  async recordTransactionRequest(request: TransactionRequest): Promise<number> {
    const values = transactionRequestValues(request);
    return this.write(() => {
      this.sql(sqliteParams(INSERT_TRANSACTION_REQUEST_SQL)).run(...values);
      const evicted = this.sql(sqliteParams(EVICT_TRANSACTION_REQUESTS_SQL)).all(...evictionValues(values)) as Row[];
      // a dropped request's entry map goes with its row: nothing reads it without the row
      const release = this.sql(sqliteParams(RELEASE_REQUEST_ENTRIES_SQL));
      for (const r of evicted) release.run(request.transactionId, String(r.request_key));
      return evicted.length;
    });
  }

  async requestsOfTransaction(transactionId: string): Promise<TransactionRequest[]> {
    return this.read(() =>
      (this.sql(sqliteParams(TRANSACTION_REQUESTS_SQL)).all(transactionId) as Row[]).map((r) =>
        transactionRequestOf(transactionId, r),
      ),
    );
  }

  /**
   * Claim the key and insert the job, or return the job that holds the key, or take the key over
   * from a rejected job (inside a transaction; SQLite runs one writer at a time, so no race).
   */
  private insertWrite(job: NewJob): RecordWriteResult {
    const claimed =
      this.sql(INSERT_KEY_SQL).run(job.flow, job.system, job.idempotencyKey, job.payloadHash, job.id, job.createdAt)
        .changes > 0;
    if (claimed) return { created: true, job: this.insertJob(job) };
    const key = this.sql('SELECT job_id FROM idempotency_keys WHERE flow = ? AND system = ? AND key = ?').get(
      job.flow,
      job.system,
      job.idempotencyKey,
    ) as Row;
    const holder = jobFromRow(this.sql(JOB_BY_ID_SQL).get(key.job_id) as Row);
    // the INSERT above took the write lock, so the holder read here cannot change before commit
    if (holder.status !== 'rejected' || !this.supersede(holder, job)) return { created: false, job: holder };
    return { created: true, job: this.insertJob(job), supersedes: holder.id };
  }

  /** A refused write does not keep its key: `job` takes it over; the refused job stays, marked and audited. */
  private supersede(old: OutboxJob, job: NewJob): boolean {
    const marked =
      this.sql(
        "UPDATE outbox_jobs SET superseded_by = ?, updated_at = ? WHERE id = ? AND status = 'rejected' AND superseded_by IS NULL",
      ).run(job.id, job.createdAt, old.id).changes > 0;
    if (!marked) return false;
    this.sql(
      'UPDATE idempotency_keys SET payload_hash = ?, job_id = ?, created_at = ? WHERE flow = ? AND system = ? AND key = ?',
    ).run(job.payloadHash, job.id, job.createdAt, job.flow, job.system, job.idempotencyKey);
    // the refused write never reached its upstream: no link may point there on its behalf
    this.linkWriteCount++;
    this.sql('UPDATE resource_links SET upstream_id = NULL WHERE job_id = ?').run(old.id);
    this.insertAudit(supersedeAudit(old, job), job.createdAt);
    return true;
  }

  private insertJob(job: NewJob): OutboxJob {
    const values = newJobValues(job);
    // updated_at starts as created_at. Not RETURNING *: the row is what was just bound, and
    // materialising it (every column, the payload text copied back) cost more than the INSERT's
    // own statement work on a create (issue 18)
    const resourceId = resourceIdOf(job.payload);
    // the payload's text is bound again only for json_extract to find an id that is no string
    this.sql(INSERT_JOB_SQL).run(
      ...values,
      job.createdAt,
      resourceId,
      resourceId === null ? values[PAYLOAD_VALUE] : null,
    );
    return jobInserted(job, values[PAYLOAD_VALUE] as string);
  }

  // resource links ----------------------------------------------------------------------------

  async putLinks(links: ResourceLink[]): Promise<void> {
    if (!links.length) return;
    const stored = this.sql(STORED_LINK_SQLITE);
    const changed = await this.read(() =>
      linksToWrite(links, (l) => stored.get(l.flow, l.fhirId, l.system) as StoredLink),
    );
    if (changed.length) await this.write(() => this.insertLinks(changed));
  }

  async getLink(flow: string, fhirId: string): Promise<ResourceLink | undefined> {
    return this.read(() => this.linkOf(flow, fhirId));
  }

  async linkedFhirIds(flow: string, fhirIds: string[]): Promise<Set<string>> {
    if (!fhirIds.length) return new Set();
    const rows = await this.read(
      () => this.sql(LINKED_FHIR_IDS_SQLITE).all(flow, JSON.stringify(fhirIds)) as { fhir_id: string }[],
    );
    return new Set(rows.map((r) => r.fhir_id));
  }

  private linkOf(flow: string, fhirId: string): ResourceLink | undefined {
    const r = this.sql(GET_LINK_SQLITE).get(flow, fhirId) as Row | undefined;
    return r ? linkFromRow(r) : undefined;
  }

  lookupsAhead(): LookupsAhead {
    const ahead = <T>(fn: () => T) => this.conn.commits.readAhead(fn);
    return (this.ahead ??= {
      getLink: async (flow, fhirId) => ahead(() => this.linkOf(flow, fhirId)),
      getJob: async (id) => ahead(() => this.jobOf(id)),
      listCrosswalkByRegistryId: async (registryId) => ahead(() => this.crosswalkOf(registryId)),
    });
  }

  durable(): Promise<void> {
    return this.conn.commits.durable();
  }

  writesAhead(): WritesAhead {
    const commits = this.conn.commits;
    const atCommit = <T>(fn: () => T) => commits.writeAhead(fn);
    // a sighting written ahead is answered at once: whoever answers from it awaits onDisk()
    // first, and one lost (its batch's COMMIT failed) only makes a later read stamp a later time
    const behind = <T>(fn: () => T, oneStatement: boolean) => commits.writeBehind(fn, !oneStatement);
    const readNow = <T>(fn: () => T) => new Promise<T>((resolve) => resolve(fn()));
    return (this.writesAheadOfDisk ??= {
      finishJob: (id, leaseOwner, outcome, now, attempt) =>
        this.endJob(atCommit, id, leaseOwner, outcome, now, attempt),
      firstSeen: (flow, versions, now) => this.recordSightings(behind, readNow, flow, versions, now),
      recordWrites: (jobs, links, entries) => this.insertWrites(atCommit, jobs, links, entries),
      onDisk: () => commits.onDisk(),
    });
  }

  linkWrites(): number {
    return this.linkWriteCount;
  }

  async linksToUpstream(flow: string, system: string, upstreamIds: string[]): Promise<ResourceLink[]> {
    if (!upstreamIds.length) return [];
    return this.read(() =>
      (this.sql(sqliteLinksToUpstreamSql(upstreamIds.length)).all(flow, system, ...upstreamIds) as Row[]).map(
        linkFromRow,
      ),
    );
  }

  /**
   * Store.firstSeen in one synchronous step: read the sightings, record the versions not seen
   * before (as recorded: nothing to read back). One writer, so nothing comes between; a change
   * costs one wait for the disk and no change none beyond what the read saw (it was a read, then a
   * write: two). One new version is one statement, without a savepoint (issue 18).
   */
  async firstSeen(flow: string, versions: SeenVersion[], now: number): Promise<Map<string, number>> {
    return this.recordSightings(
      (fn, oneStatement) => (oneStatement ? this.writeStatement(fn) : this.write(fn)),
      (fn) => this.read(fn),
      flow,
      versions,
      now,
    );
  }

  /** firstSeen, its write and its read settled as `write` and `read` settle (at the sync, or ahead of it). */
  private recordSightings(
    write: <T>(fn: () => T, oneStatement: boolean) => Promise<T>,
    read: <T>(fn: () => T) => Promise<T>,
    flow: string,
    versions: SeenVersion[],
    now: number,
  ): Promise<Map<string, number>> {
    const seen = this.sightings(
      flow,
      versions.map((v) => v.fhirId),
    );
    const fresh = versions.filter((v) => seen.get(v.fhirId)?.version !== v.version);
    const answer = () => new Map([...seen].map(([id, s]) => [id, s.seenAt]));
    if (!fresh.length) return read(answer);
    return write(() => {
      const stmt = this.sql(UPSERT_SEEN_SQLITE);
      // no read back: one writer, synchronous since the read above, so each fresh version was
      // stored as given, at `now` (the upsert's WHERE skips only a version it has just stored)
      for (const v of fresh) {
        stmt.run(flow, v.fhirId, v.version, now);
        seen.set(v.fhirId, { version: v.version, seenAt: now });
      }
      return answer();
    }, fresh.length === 1);
  }

  /** The kept sighting of each id, read now (in chunks: SQLite bounds the parameters of a statement). */
  private sightings(flow: string, ids: string[]): Map<string, { version: string; seenAt: number }> {
    const out = new Map<string, { version: string; seenAt: number }>();
    for (let i = 0; i < ids.length; i += SEEN_CHUNK) {
      const chunk = ids.slice(i, i + SEEN_CHUNK);
      const rows = this.sql(
        `SELECT fhir_id, version, seen_at FROM content_seen WHERE flow = ? AND fhir_id IN (${chunk.map(() => '?').join(', ')})`,
      ).all(flow, ...chunk) as SeenRow[];
      for (const r of rows) out.set(r.fhir_id, { version: r.version, seenAt: Number(r.seen_at) });
    }
    return out;
  }

  private insertLinks(links: ResourceLink[]): void {
    this.linkWriteCount++;
    const write = this.sql(UPSERT_LINK_SQLITE);
    const read = this.sql(UPSERT_READ_LINK_SQLITE);
    const now = Date.now();
    for (const l of links) (l.fromRead ? read : write).run(...linkParams(l, now));
  }

  async getJob(id: string): Promise<OutboxJob | undefined> {
    return this.read(() => this.jobOf(id));
  }

  private jobOf(id: string): OutboxJob | undefined {
    const r = this.sql(JOB_BY_ID_SQL).get(id) as Row | undefined;
    return r ? jobFromRow(r) : undefined;
  }

  async acceptedAfter(id: string, ids: string[]): Promise<string[] | undefined> {
    // the rowid: an insert makes it larger than every row's (resource-order.ts)
    return this.read(() => {
      const at = this.sql('SELECT rowid AS n FROM outbox_jobs WHERE id = ?').get(id) as Row | undefined;
      if (!at) return undefined;
      const later = this.sql(
        'SELECT id FROM outbox_jobs WHERE id IN (SELECT value FROM json_each(?)) AND rowid > ?',
      ).all(JSON.stringify(ids), at.n) as Row[];
      return later.map((r) => String(r.id));
    });
  }

  async findJobsByKey(idempotencyKey: string): Promise<OutboxJob[]> {
    return this.read(() =>
      (
        this.sql(`SELECT ${JOB_COLUMNS} FROM outbox_jobs WHERE idempotency_key = ? ORDER BY created_at, id`).all(
          idempotencyKey,
        ) as Row[]
      ).map(jobFromRow),
    );
  }

  async findJobsByKeyValue(kind: string, value: string): Promise<OutboxJob[]> {
    const sql = sqliteParams(jobsByKeyValueSql('sqlite', JOB_COLUMNS));
    return this.read(() => (this.sql(sql).all(...jobsByKeyValueArgs(kind, value)) as Row[]).map(jobFromRow));
  }

  async findKeysOfMarkedValue(kind: string, value: string, mark: string): Promise<string[]> {
    const sql = sqliteParams(keysOfMarkedValueSql('sqlite'));
    const args = keysOfMarkedValueArgs(kind, value, mark);
    return this.read(() => (this.sql(sql).all(...args) as Row[]).map((r) => keyOfMarkedValue(String(r.prefix), value)));
  }

  async findNumberedJobs(key: string, identifier?: Identifier): Promise<NumberedJobs | undefined> {
    return this.read(() => {
      const sql = sqliteNumberedSql(JOB_COLUMNS, !!identifier);
      const r = this.sql(sql).get(...sqliteNumberedArgs(key, identifier)) as Row | undefined;
      if (!r) return undefined;
      const highest = keyNumber(key, String(r.highest_key));
      return r.id == null ? { highest } : { newest: jobFromRow(r), highest };
    });
  }

  async listJobs(filter: JobListFilter = {}): Promise<OutboxJob[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    if (filter.system) {
      where.push('system = ?');
      args.push(filter.system);
    }
    if (filter.flow) {
      where.push('flow = ?');
      args.push(filter.flow);
    }
    const sql = `SELECT ${JOB_COLUMNS} FROM outbox_jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, id LIMIT ? OFFSET ?`;
    return this.read(() =>
      (this.sql(sql).all(...args, filter.limit ?? 100, filter.offset ?? 0) as Row[]).map(jobFromRow),
    );
  }

  /**
   * The due jobs of a system, oldest first: two index ranges on outbox_jobs_due (pending and due;
   * in flight with a lapsed lease), each limited, then merged. One OR over the statuses made
   * SQLite read every job row of the system, finished ones included (issue 18: 10.9 ms at 100k).
   * A job of a flow delivered in order (ClaimRequest.inOrder) waits while a job of the same flow
   * and system accepted before it for the same resource (payload id) is still waiting: a pending
   * one, and one in flight whose lease lapsed (a write recorded in flight by its request to be
   * queued behind an earlier one, the process dead before it gave the job back).
   * Parameters: system, ...flows, now, ...inOrder, limit (pending), then the same for in-flight,
   * then limit.
   */
  static claimCandidatesSql(flowCount: number, inOrderCount = 0): string {
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const flows = marks(flowCount);
    const behind = inOrderCount
      ? `AND (j.flow NOT IN (${marks(inOrderCount)}) OR NOT EXISTS (${EARLIER_WAITING_SQL}))`
      : '';
    return `SELECT id, next_attempt_at FROM (
        SELECT id, next_attempt_at FROM outbox_jobs j
        WHERE system = ? AND status = 'pending' AND flow IN (${flows}) AND next_attempt_at <= ? ${behind}
        ORDER BY next_attempt_at LIMIT ?)
      UNION ALL
      SELECT id, next_attempt_at FROM (
        SELECT id, next_attempt_at FROM outbox_jobs j
        WHERE system = ? AND status = 'in-flight' AND flow IN (${flows}) AND lease_until < ? ${behind}
        ORDER BY next_attempt_at LIMIT ?)
      ORDER BY next_attempt_at LIMIT ?`;
  }

  async claimJobs(req: ClaimRequest): Promise<OutboxJob[]> {
    if (req.limit <= 0 || req.flows.length === 0) return [];
    const inOrder = req.inOrder ?? [];
    const range = [req.system, ...req.flows, req.now, ...inOrder, req.limit];
    const candidates = this.sql(SqliteStore.claimCandidatesSql(req.flows.length, inOrder.length));
    const ids = (candidates.all(...range, ...range, req.limit) as Row[]).map((r) => String(r.id));
    // nothing due (the usual idle poll): no transaction, no fsync
    if (ids.length === 0) return this.read(() => []);
    // synchronous from the read above to here: nothing else can claim these rows in between
    const claim = this.sql(CLAIM_SQL);
    const attemptEnd = req.attemptTimeoutMs === undefined ? null : req.now + req.attemptTimeoutMs;
    const before = this.sql(LEASE_BEFORE_CLAIM_SQL);
    return this.write(() =>
      ids.flatMap((id) => {
        // read in the claim's own transaction: the lease it may take over (OutboxJob.leaseTakenFrom)
        const was = before.get(id) as Row | undefined;
        const row = claim.get(req.leaseOwner, req.now + req.leaseMs, attemptEnd, req.now, id, req.now, req.now) as
          Row | undefined;
        if (!row) return [];
        const job = jobFromRow(row);
        return [was?.status === 'in-flight' ? { ...job, leaseTakenFrom: String(was.lease_owner) } : job];
      }),
    );
  }

  async waitsBehind(id: string): Promise<boolean> {
    return this.read(
      () =>
        this.sql(`SELECT 1 FROM outbox_jobs j WHERE j.id = ? AND EXISTS (${EARLIER_WAITING_SQL})`).get(id) !==
        undefined,
    );
  }

  async waitingWriteOf(flow: string, system: string, resourceIds: string[]): Promise<boolean> {
    if (!resourceIds.length) return false;
    const sql = sqliteWaitingWriteSql(resourceIds.length);
    return this.read(() => this.sql(sql).get(system, flow, ...resourceIds) !== undefined);
  }

  async keyWaitingJob(id: string, orderKey: string): Promise<boolean> {
    return this.writeStatement(() => this.sql(sqliteParams(SQLITE_KEY_WAITING_JOB_SQL)).run(orderKey, id).changes > 0);
  }

  async finishJob(
    id: string,
    leaseOwner: string,
    outcome: JobOutcome,
    now: number,
    attempt?: JobAttempt,
  ): Promise<boolean> {
    return this.endJob((fn) => this.write(fn), id, leaseOwner, outcome, now, attempt);
  }

  /** finishJob, settled as `write` settles (at the sync, or at the COMMIT: writesAhead). */
  private endJob(
    write: <T>(fn: () => T) => Promise<T>,
    id: string,
    leaseOwner: string,
    outcome: JobOutcome,
    now: number,
    attempt?: JobAttempt,
  ): Promise<boolean> {
    const result = outcome.status === 'done' ? toJson(outcome.result) : null;
    const error = outcome.status === 'done' ? null : toJson(outcome.error);
    const lastError = outcome.status === 'done' ? null : outcome.error.issues.map((i) => i.diagnostics).join('; ');
    const upstreamId = outcome.status === 'done' ? linkedUpstreamId(outcome.result) : undefined;
    return write(() => {
      const due = outcome.transactionUpdateDue;
      const calls = outcome.openhimFinalCalls ?? null;
      const end =
        due === undefined
          ? this.sql(FINISH_SQL).run(outcome.status, result, error, lastError, now, id, leaseOwner)
          : this.sql(FINISH_OWING_SQL).run(outcome.status, result, error, lastError, now, due, calls, id, leaseOwner);
      const finished = end.changes > 0;
      if (finished && upstreamId !== undefined) {
        this.linkWriteCount++;
        this.sql(LINK_UPSTREAM_SQL).run(upstreamId, now, id);
      }
      // in the end's savepoint: a refused audit row undoes the end too
      if (finished && outcome.status !== 'done' && outcome.audit) this.insertAudit(outcome.audit, now);
      // in the budget it ran in (requeues): an attempt after an operator's retry is no repeat of one
      // before it (v63's key) and reads after that budget's other attempts of its milliseconds
      if (attempt) this.sql(INSERT_APPENDED_ATTEMPT_SQLITE).run(...appendedAttemptValues(attempt));
      return finished;
    });
  }

  async othersFailingTogether(system: string, jobId: string, failedSince: number): Promise<boolean> {
    const values = othersFailingTogetherValues(system, jobId, failedSince);
    return this.read(() => this.sql(SQLITE_OTHERS_FAILING_TOGETHER_SQL).get(...values) !== undefined);
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
    const keep = ownOutage === 'keep' ? 1 : 0;
    return this.writeStatement(
      () =>
        this.sql(RESCHEDULE_SQL).run(
          nextAttemptAt,
          lastError ?? null,
          uncount ? 1 : 0,
          now,
          keep,
          lastError ?? null,
          now,
          keep,
          lastError ?? null,
          ownOutage === 'renew' ? 1 : 0,
          now,
          ownOutage === true ? 1 : 0,
          now,
          id,
          leaseOwner,
        ).changes > 0,
    );
  }

  async claimTransactionUpdates(now: number, limit: number, claimUntil: number): Promise<OutboxJob[]> {
    if (limit <= 0) return [];
    const ids = (this.sql(SQLITE_DUE_UPDATES_SQL).all(now, limit) as Row[]).map((r) => String(r.id));
    // nothing owed (the usual poll): no transaction, no fsync
    if (ids.length === 0) return this.read(() => []);
    // synchronous from the read above to here: nothing else can claim these rows in between
    const claim = this.sql(SQLITE_CLAIM_UPDATE_SQL);
    return this.write(() => ids.map((id) => jobFromRow(claim.get(claimUntil, id) as Row)));
  }

  async settleTransactionUpdate(id: string, end: TransactionUpdateEnd): Promise<boolean> {
    const settle = this.sql(SETTLE_UPDATE_SQLITE);
    return this.write(() => this.released(end, { jobId: id }, settle.run(...settleUpdateValues(id, end)).changes));
  }

  /** After a settle (in its write): the final calls no debt needs any more let go; whether it settled. */
  private released(
    end: TransactionUpdateEnd,
    of: { jobId?: string; transactionId?: string },
    settled: number,
  ): boolean {
    if (settled > 0 && end.state !== 'owed')
      this.sql(RELEASE_FINAL_CALLS_SQLITE.sql).run(...RELEASE_FINAL_CALLS_SQLITE.bind(releaseFinalCallsValues(of)));
    return settled > 0;
  }

  async oweRerunUpdate(jobId: string, transactionId: string, now: number, bound: number): Promise<RerunDebt> {
    return this.write(() => {
      const args = [jobId, transactionId, now, bound];
      const inserted = insertedDebtOf(this.sql(OWE_RERUN_SQLITE.sql).get(...OWE_RERUN_SQLITE.bind(args)) as Row);
      if (inserted) return inserted;
      return rerunDebtOf(this.sql(RERUN_STATE_SQLITE.sql).get(...RERUN_STATE_SQLITE.bind(args)) as Row, transactionId);
    });
  }

  async claimRerunUpdates(now: number, limit: number, claimUntil: number): Promise<OutboxJob[]> {
    if (limit <= 0) return [];
    const due = this.sql(SQLITE_DUE_RERUNS_SQL).all(now, limit) as Row[];
    if (due.length === 0) return this.read(() => []);
    // synchronous from the read above to here: nothing else can claim these rows in between
    const claim = this.sql(SQLITE_CLAIM_RERUN_SQL);
    const asJob = this.sql(SQLITE_RERUN_AS_JOB_SQL);
    return this.write(() =>
      due.flatMap((r) => {
        claim.run(claimUntil, r.job_id, r.transaction_id);
        const row = asJob.get(r.job_id, r.transaction_id) as Row | undefined;
        return row ? [jobFromRow(rerunAsJobRow(row))] : []; // its job dropped meanwhile: nothing to send
      }),
    );
  }

  async settleRerunUpdate(jobId: string, transactionId: string, end: TransactionUpdateEnd): Promise<boolean> {
    const settle = this.sql(SETTLE_RERUN_SQLITE);
    return this.write(() =>
      this.released(end, { jobId }, settle.run(...settleRerunValues(jobId, transactionId, end)).changes),
    );
  }

  async jobsOfTransaction(transactionId: string): Promise<OutboxJob[]> {
    return this.read(() =>
      (this.sql(sqliteParams(TRANSACTION_JOBS_SQL)).all(transactionId, transactionId) as Row[]).map((r) =>
        jobFromRow(transactionJobRow(r)),
      ),
    );
  }

  async settleTransactionUpdates(transactionId: string, end: TransactionUpdateEnd, readUpTo: number): Promise<number> {
    const own = this.sql(sqliteParams(SETTLE_TRANSACTION_SQL));
    const reruns = this.sql(sqliteParams(SETTLE_TRANSACTION_RERUNS_SQL));
    const values = settleTransactionValues(transactionId, end, readUpTo);
    return this.write(() => {
      const n = own.run(...values).changes + reruns.run(...values).changes;
      this.released(end, { transactionId }, n);
      return n;
    });
  }

  async countTransactionUpdates(): Promise<TransactionUpdateCounts> {
    return this.read(() => updateCountsOf(this.sql(UPDATE_COUNTS_SQL).all() as Row[]));
  }

  async listRerunUpdates(jobId: string): Promise<RerunUpdate[]> {
    return this.read(() =>
      (this.sql(sqliteParams(RERUN_UPDATES_OF_JOB_SQL)).all(jobId) as Row[]).map(rerunUpdateFromRow),
    );
  }

  async requeueJob(
    id: string,
    audit: AuditInput,
    now: number,
    expectedStatus?: JobStatus,
    expectedUpdatedAt?: number,
  ): Promise<OutboxJob | undefined> {
    return this.write(() => {
      const r = this.sql(
        `UPDATE outbox_jobs SET status = 'pending', attempts = 0, next_attempt_at = ?, error = NULL, updated_at = ?,
           requeues = requeues + 1, -- a new budget: no timeline row counts on across it (operator-retries.ts)
           failing_since = NULL -- nor its failing age (failing-since.ts)
         WHERE id = ? AND status IN ('dead', 'rejected', 'pending') AND superseded_by IS NULL
           AND (? IS NULL OR status = ?)
           AND (? IS NULL OR updated_at = ?) -- unchanged since the operator saw it
           -- already due with a fresh attempt budget (retried a moment ago, or never tried): nothing to
           -- retry. Not one with a failing age: held uncharged, its budget is whole but its age is not
           AND NOT (status = 'pending' AND attempts = 0 AND next_attempt_at <= updated_at AND failing_since IS NULL)
           -- a given-up write of a resource written again since: delivered now, it would put the
           -- older version back over the later one (a pending one still goes first: claim order)
           AND NOT (status IN ('dead', 'rejected') AND ${SQLITE_LATER_WRITE_EXISTS})
           RETURNING ${JOB_COLUMNS}`,
      ).get(
        now,
        now,
        id,
        expectedStatus ?? null,
        expectedStatus ?? null,
        expectedUpdatedAt ?? null,
        expectedUpdatedAt ?? null,
      ) as Row | undefined;
      if (r) this.insertAudit(audit, now);
      return r ? jobFromRow(r) : undefined;
    });
  }

  async dropJob(
    id: string,
    audit: AuditInput,
    expectedStatus?: JobStatus,
    expectedUpdatedAt?: number,
  ): Promise<boolean> {
    return this.write(() => {
      const job = this.sql(
        `SELECT ${JOB_COLUMNS} FROM outbox_jobs WHERE id = ? AND status NOT IN ('in-flight', 'done') AND (? IS NULL OR status = ?)
           AND (? IS NULL OR updated_at = ?)`,
      ).get(
        id,
        expectedStatus ?? null,
        expectedStatus ?? null,
        expectedUpdatedAt ?? null,
        expectedUpdatedAt ?? null,
      ) as Row | undefined;
      if (!job) return false;
      this.sql('DELETE FROM step_journal WHERE job_id = ?').run(id);
      this.sql('DELETE FROM job_attempts WHERE job_id = ?').run(id);
      this.sql('DELETE FROM idempotency_keys WHERE job_id = ?').run(id);
      this.sql(sqliteParams(DROP_RERUNS_SQL)).run(id);
      this.sql('DELETE FROM outbox_jobs WHERE id = ?').run(id);
      this.insertAudit(audit, Date.now());
      return true;
    });
  }

  async checkWritable(): Promise<void> {
    await checkSqliteWritable(this.file);
    // a write lock another process has held for a second (a shell's open transaction, a long
    // backup) stops every write as surely as a full disk; a moment's (a CLI command's) does not
    await this.conn.commits.probeWriteLock(WRITE_LOCK_PROBE_MS);
  }

  async countJobsByStatus(): Promise<Record<JobStatus, number>> {
    return this.read(() => countsByStatusOf(this.sql(COUNT_BY_STATUS_SQL).all() as Row[]));
  }

  async countJobsBySystem(): Promise<JobCountBySystem[]> {
    return this.read(() =>
      (this.sql(COUNT_BY_SYSTEM_SQL).all() as Row[]).map((r) => ({
        system: String(r.system),
        status: String(r.status) as JobStatus,
        count: Number(r.n),
      })),
    );
  }

  async oldestWaitingCreatedAt(): Promise<number | undefined> {
    return this.read(() => {
      const r = this.sql(OLDEST_WAITING_SQL).get() as Row;
      return r.t === null ? undefined : Number(r.t);
    });
  }

  // journal -----------------------------------------------------------------------------------

  async listSteps(jobId: string): Promise<JournalStep[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM step_journal WHERE job_id = ? ORDER BY completed_at, step').all(jobId) as Row[]).map(
        stepFromRow,
      ),
    );
  }

  async putStep(jobId: string, step: string, result: unknown, now: number): Promise<unknown> {
    const text = toJson(result);
    // one statement that changes data (a read only when it inserted nothing); decoded afterwards
    const stored = await this.writeStatement(() => {
      // the row inserted holds `text`; only a step recorded before needs a look. Not RETURNING:
      // SQLite buffers returned rows in an ephemeral table, opened and dropped at each run (issue 18)
      const inserted =
        this.sql(
          'INSERT INTO step_journal (job_id, step, result, completed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        ).run(jobId, step, text, now).changes > 0;
      if (inserted) return text;
      return (this.sql('SELECT result FROM step_journal WHERE job_id = ? AND step = ?').get(jobId, step) as Row).result;
    });
    return json(stored) ?? null;
  }

  // audit -------------------------------------------------------------------------------------

  private insertAudit(entry: AuditInput, now: number): void {
    this.sql(INSERT_AUDIT_SQL).run(now, entry.actor, entry.action, entry.subject ?? null, toJson(entry.details ?? {}));
  }

  async appendAudit(entry: AuditInput, now = Date.now()): Promise<void> {
    return this.writeStatement(() => this.insertAudit(entry, now));
  }

  async listAudit(filter: { subject?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.read(() => {
      const rows = filter.subject
        ? this.sql('SELECT * FROM audit WHERE subject = ? ORDER BY id DESC LIMIT ?').all(
            filter.subject,
            filter.limit ?? 100,
          )
        : this.sql('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(filter.limit ?? 100);
      return (rows as Row[]).map(auditFromRow);
    });
  }

  // scheduled jobs: advisory lock, job runs --------------------------------------------------

  /** The lock file asked once (no wait) and given back at once (Store.advisoryLockHeld). */
  async advisoryLockHeld(name: string): Promise<boolean> {
    if (this.file === ':memory:' || this.file === '') return false;
    const release = await takeJobLock(this.file, name, 0);
    release?.();
    return release === undefined;
  }

  async withAdvisoryLock<T>(
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    // a CLI's `jobs run` beside the server runs jobs too: a lock file every process sees
    // (sqlite-job-lock.ts); once held, nothing can take it from under the run
    const inMemory = this.file === ':memory:' || this.file === '';
    const release = inMemory ? () => undefined : await takeJobLock(this.file, name);
    if (!release) return { ran: false };
    if (this.closed) {
      // closed during the wait for the lock (it lets the event loop turn): nothing may run on it
      release();
      throw new Error(`the store was closed while the lock ${name} was awaited: the job was not run`);
    }
    // its file removed or replaced under the run: another process can take "the lock" now
    const lost = new AbortController();
    const unwatch = inMemory ? () => undefined : watchLockFile(this.file, name, lost);
    try {
      return { ran: true, value: await fn(lost.signal) };
    } finally {
      unwatch();
      release();
    }
  }

  /**
   * A mutex shared by every store object on this file in the process is the lock; with
   * `acrossProcesses` (a CLI beside the server on one file), a lock file too (sqlite-process-lock.ts),
   * taken within what is left of `waitMs` once the mutex is held.
   */
  withLock<T>(
    name: string,
    fn: () => Promise<T>,
    opts: { waitMs?: number; acrossProcesses?: boolean } = {},
  ): Promise<T> {
    const inMemory = this.file === ':memory:' || this.file === '';
    if (!opts.acrossProcesses || inMemory) return mutexFor(this.db.name).run(name, fn, opts.waitMs);
    const started = Date.now();
    const waitMs = opts.waitMs ?? Number.POSITIVE_INFINITY;
    return mutexFor(this.db.name).run(
      name,
      () => withProcessLock(this.file, name, fn, waitMs - (Date.now() - started)),
      waitMs,
    );
  }

  withLocks<T>(names: string[], fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    return inOrder(mutexFor(this.db.name), names, fn, opts.waitMs);
  }

  async startJobRun(run: NewJobRun): Promise<JobRun | undefined> {
    // write(): one savepoint, so the tick given back and the run's start are kept both or neither
    return this.write(() => {
      if (run.takesTickOf !== undefined) this.sql(sqliteParams(GIVE_TICK_BACK_SQL)).run(run.takesTickOf);
      const r = this.sql(sqliteParams(INSERT_JOB_RUN_SQL)).get(...jobRunValues(run)) as Row | undefined;
      return r ? jobRunFromRow(r) : undefined;
    });
  }

  async finishJobRun(id: number, end: JobRunEnd): Promise<void> {
    await this.write(() => this.sql(sqliteParams(FINISH_JOB_RUN_SQL)).run(...finishJobRunValues(id, end)));
  }

  async abandonJobRuns(name: string, endedAt: number, detail: string): Promise<number> {
    return this.write(() => this.sql(sqliteParams(ABANDON_JOB_RUNS_SQL)).run(endedAt, detail, name).changes);
  }

  async listJobRuns(name: string, limit = 20): Promise<JobRun[]> {
    return this.read(() => (this.sql(sqliteParams(LIST_JOB_RUNS_SQL)).all(name, limit) as Row[]).map(jobRunFromRow));
  }

  async getCursor(name: string): Promise<string | undefined> {
    return this.read(() => {
      const r = this.sql(sqliteParams(GET_CURSOR_SQL)).get(name) as Row | undefined;
      return r ? String(r.value) : undefined;
    });
  }

  async setCursor(name: string, value: string, now = Date.now()): Promise<void> {
    await this.write(() => this.sql(sqliteParams(SET_CURSOR_SQL)).run(name, value, now));
  }

  async putRegistryRecords(records: RegistryRecordRow[]): Promise<string[]> {
    const stmt = this.sql(sqliteParams(PUT_REGISTRY_RECORD_SQL));
    return this.write(() =>
      records.flatMap((r) => {
        const kept = stmt.get(...registryRecordValues(r)) as Row | undefined;
        return kept ? [String(kept.registry_id)] : [];
      }),
    );
  }

  async putRegistryRecordOver(record: RegistryRecordRow, over: string): Promise<boolean> {
    const stmt = this.sql(sqliteParams(PUT_REGISTRY_RECORD_OVER_SQL));
    const [id, version, changedAt, json, seenAt] = registryRecordValues(record);
    // `?` in the order the parameters appear (sqliteParams)
    return this.write(() => stmt.get(version, changedAt, json, seenAt, id, over, changedAt) !== undefined);
  }

  async getRegistryRecord(registryId: string): Promise<RegistryRecordRow | undefined> {
    return this.read(() => {
      const r = this.sql(sqliteParams(GET_REGISTRY_RECORD_SQL)).get(registryId) as Row | undefined;
      return r ? registryRecordFromRow(r) : undefined;
    });
  }

  async listRegistryRecords(): Promise<RegistryRecordRow[]> {
    return this.read(() => (this.sql(LIST_REGISTRY_RECORDS_SQL).all() as Row[]).map(registryRecordFromRow));
  }

  async markRegistryRecordPlanned(registryId: string, version: string): Promise<void> {
    await this.write(() => this.sql(sqliteParams(MARK_REGISTRY_RECORD_PLANNED_SQL)).run(registryId, version));
  }

  async listUnplannedRegistryRecords(after: string, limit: number): Promise<RegistryRecordRow[]> {
    return this.read(() =>
      (this.sql(sqliteParams(LIST_UNPLANNED_REGISTRY_RECORDS_SQL)).all(after, limit) as Row[]).map(
        registryRecordFromRow,
      ),
    );
  }

  async putPropagation(p: Propagation, seen?: number | null): Promise<boolean> {
    if (seen === undefined)
      return this.write(() => this.sql(sqliteParams(PUT_PROPAGATION_SQL)).run(...propagationValues(p)).changes > 0);
    return this.write(
      () => this.sql(sqliteParams(PUT_PROPAGATION_IF_SQL)).run(...propagationIfValues(p, seen)).changes > 0,
    );
  }

  async settlePropagation(p: Propagation): Promise<boolean> {
    return this.write(
      () => this.sql(sqliteParams(SETTLE_PROPAGATION_SQL)).run(...settlePropagationValues(p)).changes > 0,
    );
  }

  async getPropagation(registryId: string, system: string): Promise<Propagation | undefined> {
    return this.read(() => {
      const r = this.sql(sqliteParams(GET_PROPAGATION_SQL)).get(registryId, system) as Row | undefined;
      return r ? propagationFromRow(r) : undefined;
    });
  }

  async listPropagations(filter: PropagationFilter = {}): Promise<Propagation[]> {
    const { sql, args } = listPropagationsSql(filter);
    return this.read(() => (this.sql(sqliteParams(sql)).all(...args) as Row[]).map(propagationFromRow));
  }

  async countPropagations(): Promise<Record<string, Partial<Record<PropagationState, number>>>> {
    return this.read(() =>
      propagationCounts(this.sql(COUNT_PROPAGATIONS_SQL).all() as Row[], this.sql(COUNT_GAVE_UP_SQL).all() as Row[]),
    );
  }

  async putConsoleSession(row: ConsoleSessionRow): Promise<void> {
    await this.write(() => this.sql(sqliteParams(UPSERT_CONSOLE_SESSION_SQL)).run(...consoleSessionValues(row)));
  }

  async swapConsoleSession(row: ConsoleSessionRow, was: Record<string, unknown>): Promise<boolean> {
    return this.write(
      () => this.sql(sqliteParams(SWAP_CONSOLE_SESSION_SQL)).run(...swapConsoleSessionValues(row, was)).changes === 1,
    );
  }

  async getConsoleSession(idDigest: string): Promise<ConsoleSessionRow | undefined> {
    return this.read(() => {
      const r = this.sql(sqliteParams(GET_CONSOLE_SESSION_SQL)).get(idDigest) as Row | undefined;
      return r ? consoleSessionFromRow(r) : undefined;
    });
  }

  async deleteConsoleSession(idDigest: string): Promise<void> {
    await this.write(() => this.sql(sqliteParams(DELETE_CONSOLE_SESSION_SQL)).run(idDigest));
  }

  async sweepConsoleSessions(before: number): Promise<number> {
    return this.write(() => this.sql(sqliteParams(SWEEP_CONSOLE_SESSIONS_SQL)).run(before).changes);
  }

  async appendJobAttempt(attempt: JobAttempt): Promise<void> {
    const values = appendedAttemptValues(attempt);
    if (!mayRepeat(attempt)) {
      await this.writeStatement(() => this.sql(INSERT_APPENDED_ATTEMPT_SQLITE).run(...values));
      return;
    }
    // a repeat of the job's newest attempt is counted in its row (repeated-attempts.ts)
    await this.write(() => {
      const repeat = this.sql(REPEAT_NEWEST_ATTEMPT_SQLITE.sql).run(...REPEAT_NEWEST_ATTEMPT_SQLITE.bind(values));
      if (repeat.changes === 0) this.sql(INSERT_APPENDED_ATTEMPT_SQLITE).run(...values);
    });
  }

  async listJobAttempts(jobId: string, limit = 200): Promise<JobAttempt[]> {
    return this.read(() =>
      (this.sql(sqliteParams(LIST_JOB_ATTEMPTS_SQL)).all(jobId, limit) as Row[]).map(jobAttemptFromRow),
    );
  }

  /** One batch in one write transaction, run synchronously (retention.ts, SQLITE_PRUNE). */
  async pruneFinished(batch: PruneBatch): Promise<PruneResult> {
    return this.write(() =>
      runPruneSync(pruneBatch(batch, SQLITE_PRUNE), ({ sql, args, want }) => {
        const positional = sqlitePositional(sql);
        const statement = this.sql(positional.sql);
        const values = positional.bind(args);
        return want === 'rows' ? (statement.all(...values) as Row[]) : statement.run(...values).changes;
      }),
    );
  }
}
