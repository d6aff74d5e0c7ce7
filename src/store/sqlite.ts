import Database from 'better-sqlite3';
import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import type { WriteResult } from '../routing/ports.js';
import { SQLITE_MIGRATIONS, type Migration } from './migrations.js';
import {
  auditFromRow,
  crosswalkFromRow,
  crosswalkValues,
  emptyCounts,
  jobFromRow,
  json,
  jobIdFor,
  linkFromRow,
  sqliteParams,
  UPSERT_CROSSWALK_SQL,
  stepFromRow,
  supersedeAudit,
  toJson,
  UPSERT_LINK_SQL,
  GET_LINK_SQL,
  systemOfRecord,
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
  StoredError,
  JobRun,
  JobRunEnd,
  NewJobRun,
  Propagation,
  PropagationFilter,
  PropagationState,
  RegistryRecordRow,
  ConsoleSessionRow,
  JobAttempt,
} from './types.js';
import {
  ABANDON_JOB_RUNS_SQL,
  FINISH_JOB_RUN_SQL,
  INSERT_JOB_RUN_SQL,
  LIST_JOB_RUNS_SQL,
  finishJobRunValues,
  jobRunFromRow,
  jobRunValues,
} from './job-runs.js';
import { PayloadConflict } from './types.js';
import { mutexFor } from './keyed-mutex.js';
import {
  consoleSessionFromRow,
  consoleSessionValues,
  DELETE_CONSOLE_SESSION_SQL,
  GET_CONSOLE_SESSION_SQL,
  INSERT_JOB_ATTEMPT_SQL,
  jobAttemptFromRow,
  jobAttemptValues,
  LIST_JOB_ATTEMPTS_SQL,
  SWEEP_CONSOLE_SESSIONS_SQL,
  UPSERT_CONSOLE_SESSION_SQL,
} from './console-sessions.js';
import { firstSeen, UPSERT_SEEN_SQL, type SeenRow } from './content-seen.js';
import {
  COUNT_PROPAGATIONS_SQL,
  GET_CURSOR_SQL,
  GET_PROPAGATION_SQL,
  GET_REGISTRY_RECORD_SQL,
  LIST_REGISTRY_RECORDS_SQL,
  listPropagationsSql,
  propagationCounts,
  propagationFromRow,
  propagationValues,
  PUT_PROPAGATION_SQL,
  PUT_REGISTRY_RECORD_SQL,
  registryRecordFromRow,
  registryRecordValues,
  SET_CURSOR_SQL,
  SETTLE_PROPAGATION_SQL,
  settlePropagationValues,
} from './propagation-rows.js';

type Row = Record<string, unknown>;

/**
 * The embedded engine: one better-sqlite3 connection in WAL mode. better-sqlite3 is synchronous,
 * so every transaction below runs without interleaving; the async signatures only match the
 * interface. One process owns the file (scale-out needs PostgreSQL), which is why claims need no
 * row locks and the advisory lock is a no-op.
 */
export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before we acknowledge a write (NORMAL can lose the last commits
    // on power loss, which would break "durable before acknowledged").
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
  }

  migrate(migrations: Migration[] = SQLITE_MIGRATIONS): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)),
    );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, Date.now());
      })();
    }
  }

  async migrationVersions(): Promise<number[]> {
    return (this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Row[]).map((r) =>
      Number(r.version),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // crosswalk ---------------------------------------------------------------------------------

  async getCrosswalk(system: string, systemId: string): Promise<CrosswalkRow | undefined> {
    const r = this.db.prepare('SELECT * FROM crosswalk WHERE system = ? AND system_id = ?').get(system, systemId) as
      Row | undefined;
    return r ? crosswalkFromRow(r) : undefined;
  }

  async listCrosswalk(system: string): Promise<CrosswalkRow[]> {
    return (this.db.prepare('SELECT * FROM crosswalk WHERE system = ? ORDER BY system_id').all(system) as Row[]).map(
      crosswalkFromRow,
    );
  }

  async listCrosswalkByRegistryId(registryId: string): Promise<CrosswalkRow[]> {
    return (
      this.db
        .prepare('SELECT * FROM crosswalk WHERE registry_id = ? ORDER BY system, system_id')
        .all(registryId) as Row[]
    ).map(crosswalkFromRow);
  }

  async upsertCrosswalk(row: CrosswalkRow, audit?: AuditInput): Promise<{ written: boolean }> {
    return this.db.transaction(() => {
      const written = this.db.prepare(sqliteParams(UPSERT_CROSSWALK_SQL)).run(...crosswalkValues(row)).changes > 0;
      if (written && audit) this.insertAudit(audit, Date.now());
      return { written };
    })();
  }

  async upsertCrosswalkMany(rows: CrosswalkRow[]): Promise<{ written: number }> {
    const stmt = this.db.prepare(sqliteParams(UPSERT_CROSSWALK_SQL));
    return this.db.transaction(() => ({
      written: rows.reduce((n, row) => n + (stmt.run(...crosswalkValues(row)).changes > 0 ? 1 : 0), 0),
    }))();
  }

  // outbox ------------------------------------------------------------------------------------

  async recordWrite(job: NewJob): Promise<RecordWriteResult> {
    return this.db.transaction(() => this.insertWrite(job))();
  }

  async recordWrites(jobs: NewJob[], links: ResourceLink[]): Promise<RecordWriteResult[]> {
    return this.db.transaction(() => {
      const results = jobs.map((job) => {
        const r = this.insertWrite(job);
        if (!r.created && r.job.payloadHash !== job.payloadHash)
          throw new PayloadConflict(job.idempotencyKey, r.job.id);
        return r;
      });
      this.insertLinks(links.map((l) => ({ ...l, jobId: l.jobId && jobIdFor(l.jobId, jobs, results) })));
      return results;
    })();
  }

  /**
   * Claim the key and insert the job, or return the job that holds the key, or take the key over
   * from a rejected job (inside a transaction; SQLite runs one writer at a time, so no race).
   */
  private insertWrite(job: NewJob): RecordWriteResult {
    const claimed =
      this.db
        .prepare(
          'INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(job.flow, job.system, job.idempotencyKey, job.payloadHash, job.id, job.createdAt).changes > 0;
    if (claimed) return { created: true, job: this.insertJob(job) };
    const key = this.db
      .prepare('SELECT job_id FROM idempotency_keys WHERE flow = ? AND system = ? AND key = ?')
      .get(job.flow, job.system, job.idempotencyKey) as Row;
    const holder = jobFromRow(this.db.prepare('SELECT * FROM outbox_jobs WHERE id = ?').get(key.job_id) as Row);
    // the INSERT above took the write lock, so the holder read here cannot change before commit
    if (holder.status !== 'rejected' || !this.supersede(holder, job)) return { created: false, job: holder };
    return { created: true, job: this.insertJob(job), supersedes: holder.id };
  }

  /** A refused write does not keep its key: `job` takes it over; the refused job stays, marked and audited. */
  private supersede(old: OutboxJob, job: NewJob): boolean {
    const marked =
      this.db
        .prepare(
          "UPDATE outbox_jobs SET superseded_by = ?, updated_at = ? WHERE id = ? AND status = 'rejected' AND superseded_by IS NULL",
        )
        .run(job.id, job.createdAt, old.id).changes > 0;
    if (!marked) return false;
    this.db
      .prepare(
        'UPDATE idempotency_keys SET payload_hash = ?, job_id = ?, created_at = ? WHERE flow = ? AND system = ? AND key = ?',
      )
      .run(job.payloadHash, job.id, job.createdAt, job.flow, job.system, job.idempotencyKey);
    // the refused write never reached its upstream: no link may point there on its behalf
    this.db.prepare('UPDATE resource_links SET upstream_id = NULL WHERE job_id = ?').run(old.id);
    this.insertAudit(supersedeAudit(old, job), job.createdAt);
    return true;
  }

  private insertJob(job: NewJob): OutboxJob {
    this.db
      .prepare(
        `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
         next_attempt_at, lease_owner, lease_until, transaction_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        job.id,
        job.flow,
        job.system,
        job.idempotencyKey,
        job.payloadHash,
        toJson(job.payload ?? null),
        job.status,
        job.attempts,
        job.nextAttemptAt,
        job.leaseOwner ?? null,
        job.leaseUntil ?? null,
        job.transactionId ?? null,
        job.createdAt,
        job.createdAt,
      );
    return jobFromRow(this.db.prepare('SELECT * FROM outbox_jobs WHERE id = ?').get(job.id) as Row);
  }

  // resource links ----------------------------------------------------------------------------

  async putLinks(links: ResourceLink[]): Promise<void> {
    if (links.length) this.db.transaction(() => this.insertLinks(links))();
  }

  async getLink(flow: string, fhirId: string): Promise<ResourceLink | undefined> {
    const r = this.db.prepare(sqliteParams(GET_LINK_SQL)).get(flow, fhirId) as Row | undefined;
    return r ? linkFromRow(r) : undefined;
  }

  async firstSeen(flow: string, versions: SeenVersion[], now: number): Promise<Map<string, number>> {
    return firstSeen(
      {
        select: async (f, ids) =>
          this.db
            .prepare(
              `SELECT fhir_id, version, seen_at FROM content_seen WHERE flow = ? AND fhir_id IN (${ids.map(() => '?').join(', ')})`,
            )
            .all(f, ...ids) as SeenRow[],
        upsert: async (f, fresh, at) => {
          const stmt = this.db.prepare(sqliteParams(UPSERT_SEEN_SQL));
          this.db.transaction(() => {
            for (const v of fresh) stmt.run(f, v.fhirId, v.version, at);
          })();
        },
      },
      flow,
      versions,
      now,
    );
  }

  private insertLinks(links: ResourceLink[]): void {
    const stmt = this.db.prepare(sqliteParams(UPSERT_LINK_SQL));
    const now = Date.now();
    for (const l of links)
      stmt.run(l.flow, l.fhirId, l.system, l.upstreamId ?? null, l.jobId ?? null, now, systemOfRecord(l));
  }

  async getJob(id: string): Promise<OutboxJob | undefined> {
    const r = this.db.prepare('SELECT * FROM outbox_jobs WHERE id = ?').get(id) as Row | undefined;
    return r ? jobFromRow(r) : undefined;
  }

  async findJobsByKey(idempotencyKey: string): Promise<OutboxJob[]> {
    return (
      this.db
        .prepare('SELECT * FROM outbox_jobs WHERE idempotency_key = ? ORDER BY created_at, id')
        .all(idempotencyKey) as Row[]
    ).map(jobFromRow);
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
    const sql = `SELECT * FROM outbox_jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, id LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 100, filter.offset ?? 0) as Row[]).map(jobFromRow);
  }

  /**
   * The due jobs of a system, oldest first: two index ranges on outbox_jobs_due (pending and due;
   * in flight with a lapsed lease), each limited, then merged. One OR over the statuses made
   * SQLite read every job row of the system, finished ones included (issue 18: 10.9 ms at 100k).
   * Parameters: system, ...flows, now, limit (pending), then the same for in-flight, then limit.
   */
  static claimCandidatesSql(flowCount: number): string {
    const flows = Array.from({ length: flowCount }, () => '?').join(', ');
    return `SELECT id, next_attempt_at FROM (
        SELECT id, next_attempt_at FROM outbox_jobs
        WHERE system = ? AND status = 'pending' AND flow IN (${flows}) AND next_attempt_at <= ?
        ORDER BY next_attempt_at LIMIT ?)
      UNION ALL
      SELECT id, next_attempt_at FROM (
        SELECT id, next_attempt_at FROM outbox_jobs
        WHERE system = ? AND status = 'in-flight' AND flow IN (${flows}) AND lease_until < ?
        ORDER BY next_attempt_at LIMIT ?)
      ORDER BY next_attempt_at LIMIT ?`;
  }

  async claimJobs(req: ClaimRequest): Promise<OutboxJob[]> {
    if (req.limit <= 0 || req.flows.length === 0) return [];
    return this.db.transaction(() => {
      const range = [req.system, ...req.flows, req.now, req.limit];
      const ids = (
        this.db.prepare(SqliteStore.claimCandidatesSql(req.flows.length)).all(...range, ...range, req.limit) as Row[]
      ).map((r) => String(r.id));
      const claim = this.db.prepare(
        `UPDATE outbox_jobs SET status = 'in-flight', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id = ? RETURNING *`,
      );
      return ids.map((id) => jobFromRow(claim.get(req.leaseOwner, req.now + req.leaseMs, req.now, id) as Row));
    })();
  }

  async finishJob(
    id: string,
    leaseOwner: string,
    outcome: { status: 'done'; result: WriteResult } | { status: 'rejected' | 'dead'; error: StoredError },
    now: number,
  ): Promise<boolean> {
    const result = outcome.status === 'done' ? toJson(outcome.result) : null;
    const error = outcome.status === 'done' ? null : toJson(outcome.error);
    const lastError = outcome.status === 'done' ? null : outcome.error.issues.map((i) => i.diagnostics).join('; ');
    return (
      this.db
        .prepare(
          `UPDATE outbox_jobs SET status = ?, result = ?, error = ?, last_error = COALESCE(?, last_error), lease_owner = NULL, lease_until = NULL, updated_at = ?
       WHERE id = ? AND status = 'in-flight' AND lease_owner = ?`,
        )
        .run(outcome.status, result, error, lastError, now, id, leaseOwner).changes > 0
    );
  }

  async rescheduleJob(
    id: string,
    leaseOwner: string,
    nextAttemptAt: number,
    lastError: string | undefined,
    uncount: boolean,
    now: number,
  ): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE outbox_jobs SET status = 'pending', next_attempt_at = ?, last_error = COALESCE(?, last_error),
         attempts = attempts - ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
       WHERE id = ? AND status = 'in-flight' AND lease_owner = ?`,
        )
        .run(nextAttemptAt, lastError ?? null, uncount ? 1 : 0, now, id, leaseOwner).changes > 0
    );
  }

  async requeueJob(id: string, audit: AuditInput, now: number): Promise<OutboxJob | undefined> {
    return this.db.transaction(() => {
      const r = this.db
        .prepare(
          `UPDATE outbox_jobs SET status = 'pending', attempts = 0, next_attempt_at = ?, error = NULL, updated_at = ?
         WHERE id = ? AND status IN ('dead', 'rejected', 'pending') AND superseded_by IS NULL RETURNING *`,
        )
        .get(now, now, id) as Row | undefined;
      if (r) this.insertAudit(audit, now);
      return r ? jobFromRow(r) : undefined;
    })();
  }

  async dropJob(id: string, audit: AuditInput): Promise<boolean> {
    return this.db.transaction(() => {
      const job = this.db.prepare("SELECT * FROM outbox_jobs WHERE id = ? AND status <> 'in-flight'").get(id) as
        Row | undefined;
      if (!job) return false;
      this.db.prepare('DELETE FROM step_journal WHERE job_id = ?').run(id);
      this.db.prepare('DELETE FROM idempotency_keys WHERE job_id = ?').run(id);
      this.db.prepare('DELETE FROM outbox_jobs WHERE id = ?').run(id);
      this.insertAudit(audit, Date.now());
      return true;
    })();
  }

  async countJobsByStatus(): Promise<Record<JobStatus, number>> {
    const counts = emptyCounts();
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM outbox_jobs GROUP BY status').all() as Row[]) {
      counts[String(r.status) as JobStatus] = Number(r.n);
    }
    return counts;
  }

  async oldestWaitingCreatedAt(): Promise<number | undefined> {
    const r = this.db
      .prepare("SELECT MIN(created_at) AS t FROM outbox_jobs WHERE status IN ('pending', 'in-flight')")
      .get() as Row;
    return r.t === null ? undefined : Number(r.t);
  }

  // journal -----------------------------------------------------------------------------------

  async listSteps(jobId: string): Promise<JournalStep[]> {
    return (
      this.db.prepare('SELECT * FROM step_journal WHERE job_id = ? ORDER BY completed_at, step').all(jobId) as Row[]
    ).map(stepFromRow);
  }

  async putStep(jobId: string, step: string, result: unknown, now: number): Promise<unknown> {
    return this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO step_journal (job_id, step, result, completed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(jobId, step, toJson(result), now);
      const r = this.db
        .prepare('SELECT result FROM step_journal WHERE job_id = ? AND step = ?')
        .get(jobId, step) as Row;
      return json(r.result) ?? null;
    })();
  }

  // audit -------------------------------------------------------------------------------------

  private insertAudit(entry: AuditInput, now: number): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)')
      .run(now, entry.actor, entry.action, entry.subject ?? null, toJson(entry.details ?? {}));
  }

  async appendAudit(entry: AuditInput, now = Date.now()): Promise<void> {
    this.insertAudit(entry, now);
  }

  async listAudit(filter: { subject?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const rows = filter.subject
      ? this.db
          .prepare('SELECT * FROM audit WHERE subject = ? ORDER BY id DESC LIMIT ?')
          .all(filter.subject, filter.limit ?? 100)
      : this.db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(filter.limit ?? 100);
    return (rows as Row[]).map(auditFromRow);
  }

  // scheduled jobs: advisory lock, job runs --------------------------------------------------

  async withAdvisoryLock<T>(_name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    return { ran: true, value: await fn() };
  }

  /** One process owns the file: a mutex shared by every store object on this file in the process is the lock. */
  withLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    return mutexFor(this.db.name).run(name, fn, opts.waitMs);
  }

  async startJobRun(run: NewJobRun): Promise<JobRun | undefined> {
    const r = this.db.prepare(sqliteParams(INSERT_JOB_RUN_SQL)).get(...jobRunValues(run)) as Row | undefined;
    return r ? jobRunFromRow(r) : undefined;
  }

  async finishJobRun(id: number, end: JobRunEnd): Promise<void> {
    this.db.prepare(sqliteParams(FINISH_JOB_RUN_SQL)).run(...finishJobRunValues(id, end));
  }

  async abandonJobRuns(name: string, endedAt: number, detail: string): Promise<number> {
    return this.db.prepare(sqliteParams(ABANDON_JOB_RUNS_SQL)).run(endedAt, detail, name).changes;
  }

  async listJobRuns(name: string, limit = 20): Promise<JobRun[]> {
    return (this.db.prepare(sqliteParams(LIST_JOB_RUNS_SQL)).all(name, limit) as Row[]).map(jobRunFromRow);
  }

  async getCursor(name: string): Promise<string | undefined> {
    const r = this.db.prepare(sqliteParams(GET_CURSOR_SQL)).get(name) as Row | undefined;
    return r ? String(r.value) : undefined;
  }

  async setCursor(name: string, value: string, now = Date.now()): Promise<void> {
    this.db.prepare(sqliteParams(SET_CURSOR_SQL)).run(name, value, now);
  }

  async putRegistryRecords(records: RegistryRecordRow[]): Promise<string[]> {
    const stmt = this.db.prepare(sqliteParams(PUT_REGISTRY_RECORD_SQL));
    return this.db.transaction(() =>
      records.flatMap((r) => {
        const kept = stmt.get(...registryRecordValues(r)) as Row | undefined;
        return kept ? [String(kept.registry_id)] : [];
      }),
    )();
  }

  async getRegistryRecord(registryId: string): Promise<RegistryRecordRow | undefined> {
    const r = this.db.prepare(sqliteParams(GET_REGISTRY_RECORD_SQL)).get(registryId) as Row | undefined;
    return r ? registryRecordFromRow(r) : undefined;
  }

  async listRegistryRecords(): Promise<RegistryRecordRow[]> {
    return (this.db.prepare(LIST_REGISTRY_RECORDS_SQL).all() as Row[]).map(registryRecordFromRow);
  }

  async putPropagation(p: Propagation): Promise<void> {
    this.db.prepare(sqliteParams(PUT_PROPAGATION_SQL)).run(...propagationValues(p));
  }

  async settlePropagation(p: Propagation): Promise<boolean> {
    return this.db.prepare(sqliteParams(SETTLE_PROPAGATION_SQL)).run(...settlePropagationValues(p)).changes > 0;
  }

  async getPropagation(registryId: string, system: string): Promise<Propagation | undefined> {
    const r = this.db.prepare(sqliteParams(GET_PROPAGATION_SQL)).get(registryId, system) as Row | undefined;
    return r ? propagationFromRow(r) : undefined;
  }

  async listPropagations(filter: PropagationFilter = {}): Promise<Propagation[]> {
    const { sql, args } = listPropagationsSql(filter);
    return (this.db.prepare(sqliteParams(sql)).all(...args) as Row[]).map(propagationFromRow);
  }

  async countPropagations(): Promise<Record<string, Partial<Record<PropagationState, number>>>> {
    return propagationCounts(this.db.prepare(COUNT_PROPAGATIONS_SQL).all() as Row[]);
  }

  async putConsoleSession(row: ConsoleSessionRow): Promise<void> {
    this.db.prepare(sqliteParams(UPSERT_CONSOLE_SESSION_SQL)).run(...consoleSessionValues(row));
  }

  async getConsoleSession(idDigest: string): Promise<ConsoleSessionRow | undefined> {
    const r = this.db.prepare(sqliteParams(GET_CONSOLE_SESSION_SQL)).get(idDigest) as Row | undefined;
    return r ? consoleSessionFromRow(r) : undefined;
  }

  async deleteConsoleSession(idDigest: string): Promise<void> {
    this.db.prepare(sqliteParams(DELETE_CONSOLE_SESSION_SQL)).run(idDigest);
  }

  async sweepConsoleSessions(before: number): Promise<number> {
    return this.db.prepare(sqliteParams(SWEEP_CONSOLE_SESSIONS_SQL)).run(before).changes;
  }

  async appendJobAttempt(attempt: JobAttempt): Promise<void> {
    this.db.prepare(sqliteParams(INSERT_JOB_ATTEMPT_SQL)).run(...jobAttemptValues(attempt));
  }

  async listJobAttempts(jobId: string, limit = 200): Promise<JobAttempt[]> {
    return (this.db.prepare(sqliteParams(LIST_JOB_ATTEMPTS_SQL)).all(jobId, limit) as Row[]).map(jobAttemptFromRow);
  }
}
