import type { RerunDebt } from './rerun-updates.js';
import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import type { JobCountBySystem } from './job-counts.js';
import type { CrosswalkPage, CrosswalkQuery, CrosswalkStateCount } from './crosswalk-query.js';
import type { WriteResult } from '../routing/ports.js';
import type { PruneBatch, PruneResult } from './retention.js';
import type { NumberedJobs } from './numbered-keys.js';
import type { Identifier } from '../domain/index.js';

/**
 * The one store interface. Everything that is state lives behind it: crosswalk, outbox jobs,
 * idempotency keys, step journal, audit trail and scheduled job runs. Two engines implement it
 * (SQLite embedded, PostgreSQL to scale out); both are async so callers never care which runs.
 *
 * Outbox methods that change a claimed job take the claim's lease token and do nothing when the
 * token no longer matches (the job was re-claimed after the lease expired): a slow, stale attempt
 * can never overwrite the outcome of a newer one.
 */

export type JobStatus = 'pending' | 'in-flight' | 'done' | 'rejected' | 'dead';
export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'in-flight', 'done', 'rejected', 'dead'];

/** A MediatorError flattened for storage; revived by src/outbox/errors.ts. */
export interface StoredError {
  name: string;
  status: number;
  issues: { severity?: string; code: string; diagnostics: string; expression?: string[] }[];
  system?: string;
  upstreamStatus?: number;
  transient?: boolean;
}

export interface OutboxJob {
  id: string;
  flow: string;
  system: string;
  idempotencyKey: string;
  payloadHash: string;
  payload: unknown;
  status: JobStatus;
  /** Attempts started so far (incremented when a job is claimed). */
  attempts: number;
  /** Epoch ms: when a pending job becomes due. */
  nextAttemptAt: number;
  leaseOwner?: string;
  /**
   * Set only on a job claimJobs returns: the owner of the lapsed lease this claim took over (an
   * instance or process that died, or stalled, mid-attempt); absent when it claimed a pending job.
   */
  leaseTakenFrom?: string;
  /** Epoch ms: when an in-flight job's lease runs out and another worker may take it. */
  leaseUntil?: number;
  result?: WriteResult;
  error?: StoredError;
  lastError?: string;
  /** OpenHIM transaction id of the request that created the job (a rerun has another one). */
  transactionId?: string;
  /**
   * A rejected job whose business key a later write took over (a refused write does not keep its
   * key): that write's job id. Kept for the audit trail; it can no longer be retried.
   */
  supersededBy?: string;
  /**
   * How many times an operator retried it (Store.requeueJob, migration v45), each a fresh attempt
   * budget; absent: never (or only before v45).
   */
  requeues?: number;
  /**
   * Epoch ms: when it began failing in its attempt budget, its first failure recorded
   * (rescheduleJob with a reason; migration v51, failing-since.ts); absent: no failure since it was
   * accepted or retried by an operator.
   */
  failingSince?: number;
  /** The OpenHIM transaction update this job owes or owed (migration v16); absent: none ever. */
  transactionUpdate?: TransactionUpdate;
  /**
   * The orchestrations (masked, cut) of the attempt that ended the job, written with the end that
   * owes its OpenHIM transaction an update (migration v46, openhim-final-calls.ts); absent: none
   * written (no update owed, or an end before v46).
   */
  openhimFinalCalls?: object[];
  createdAt: number;
  updatedAt: number;
}

/**
 * A settled job's debt to its OpenHIM transaction: the client was answered 202 (Processing), so
 * OpenHIM learns the final state only from the mediator's PUT /transactions/:id.
 */
export interface TransactionUpdate {
  state: 'owed' | 'sent' | 'refused' | 'abandoned';
  /** While owed: when a sweep may send it (epoch ms). */
  dueAt?: number;
  /** Sends answered so far. */
  attempts: number;
  /** Why the last send failed, or why it was given up (redacted). */
  lastError?: string;
}

/** How one send of an owed update ended (Store.settleTransactionUpdate). */
export type TransactionUpdateEnd =
  | { state: 'sent' }
  | { state: 'owed'; dueAt: number; error: string }
  | { state: 'refused' | 'abandoned'; error: string };

/** OpenHIM transaction updates not sent, the jobs' own and reruns' (Store.countTransactionUpdates). */
export interface TransactionUpdateCounts {
  owed: number;
  refused: number;
  abandoned: number;
  /** The end of the oldest settled job still owing an update (epoch ms); absent: none. */
  oldestOwedEndedAt?: number;
}

/** The update a job owes a rerun of its request (v17), for the admin view. */
export interface RerunUpdate extends TransactionUpdate {
  transactionId: string;
}

/** A job as first recorded: the stored job's fields less the ones only delivery sets. */
export interface NewJob extends Pick<
  OutboxJob,
  | 'id'
  | 'flow'
  | 'system'
  | 'idempotencyKey'
  | 'payloadHash'
  | 'payload'
  | 'attempts'
  | 'nextAttemptAt'
  | 'leaseOwner'
  | 'leaseUntil'
  | 'transactionId'
  | 'createdAt'
> {
  /** 'in-flight' when the caller delivers at once under its own lease, else 'pending'. */
  status: 'pending' | 'in-flight';
  /** AcceptWriteRequest.orderKey: jobs of one system, flow and key (or payload id) are claimed in the order accepted. */
  orderKey?: string;
  /** With a lease: when its attempt is over by the holder's own attemptTimeoutMs (attempt-ends.ts, v61). */
  attemptEndsAt?: number;
}

export type RecordWriteResult =
  /** A new job; `supersedes` names the rejected job whose key it took over. */
  | { created: true; job: OutboxJob; supersedes?: string }
  /** The key exists: `job` is the job it points at (the first write). */
  | { created: false; job: OutboxJob };

/**
 * Which upstream object (or which outbox job, before delivery) a FHIR id stands for. Written with
 * the job for writes, and for every object a search returns, so a later read by FHIR id finds it.
 */
export interface SeenVersion {
  fhirId: string;
  version: string;
}

export interface ResourceLink {
  flow: string;
  fhirId: string;
  system: string;
  upstreamId?: string;
  jobId?: string;
  /**
   * recordWrites only: written only if that call created the job it names (linksOfWrites), in its
   * transaction. A write accepted as the one holding its key (acceptAsHeld) comes by ids that write
   * does not name: they are its own only when the held job ended just before and it took the key.
   */
  whenCreated?: boolean;
  /** false: a secondary target of a fanned-out write; reads go to the system of record (default true). */
  primary?: boolean;
  /**
   * true: linked by a read (a search, a read by id), which knows nothing of which system a write
   * went to first: a stored link keeps its system-of-record mark (`primary` counts only when new).
   */
  fromRead?: boolean;
}

/** One entry's answer as a transaction-response Bundle gives it (Bundle.entry.response), no resource. */
export interface EntryAnswer {
  status: string;
  location?: string;
  outcome?: unknown;
}

/**
 * How a request's entries are answered (v24, transaction-entries.ts): each entry either decided by
 * a write of the same recordWrites call (`job`: its index among that call's jobs; `answer`: what it
 * is answered once delivered) or answered without a write (`answer` as given).
 */
export interface TransactionEntries {
  transactionId: string;
  /** How many entries the request has. */
  count: number;
  entries: { entry: number; job?: number; answer: EntryAnswer }[];
  /** The request's key (v48); by default the request being handled's (platform/call-recording.ts). */
  requestKey?: string;
}

/** A recorded entry: `jobId` the write whose end decides it, if any; `requestKey` its request's (v48). */
export interface TransactionEntry {
  entry: number;
  count: number;
  jobId?: string;
  answer: EntryAnswer;
  requestKey?: string;
}

/**
 * One request answered under an OpenHIM transaction id that awaits our update (v47): the jobs its
 * writes were recorded as or answered from, the Content-Type it was answered with, and its Bundle's
 * entry count (none when it was no Bundle).
 */
export interface TransactionRequest {
  transactionId: string;
  jobIds: string[];
  contentType?: string;
  entries?: number;
  /** The key its Bundle entry answers were recorded under (v48); none when kept before v48. */
  requestKey?: string;
  /** Two requests under the id had exactly these writes (transaction-requests.ts SHARED_REQUEST_KEY). */
  shared?: boolean;
  /** Kept by v50 or later, apart from every other request (transaction-requests.ts openhim_request_rows). */
  apart?: boolean;
}

/** recordWrites found a key already used with another payload; nothing was recorded. */
export class PayloadConflict extends Error {
  override readonly name = 'PayloadConflict';
  constructor(
    readonly idempotencyKey: string,
    readonly jobId: string,
  ) {
    super(`idempotency key ${idempotencyKey} is already used by job ${jobId} with another payload`);
  }
}

export interface ClaimRequest {
  system: string;
  flows: string[];
  /**
   * Flows whose writes of one resource reach the system in the order they were accepted (a
   * facility write replaces the record): a pending job of one of them is not claimed while a job
   * of the same flow and system for the same record (its order key, NewJob.orderKey), accepted
   * before it (the database's insert order, not a clock), is still pending or in flight, whatever
   * their retry times.
   */
  inOrder?: string[];
  limit: number;
  leaseOwner: string;
  leaseMs: number;
  /**
   * The claiming outbox's attemptTimeoutMs: stored with the lease as its attempt's end
   * (attempt-ends.ts, v61), which a peer ending the leases of a free lock waits for.
   */
  attemptTimeoutMs?: number;
  now: number;
}

export interface JobListFilter {
  status?: JobStatus;
  system?: string;
  flow?: string;
  limit?: number;
  offset?: number;
}

/** A console sign-in session as kept in the store (migration v11); `data` is the console's own. */
export interface ConsoleSessionRow {
  /** sha256 of the cookie value: the table never holds a cookie that signs anybody in. */
  idDigest: string;
  user: string;
  data: Record<string, unknown>;
  createdAt: number;
  lastSeen: number;
}

/** One delivery attempt of an outbox job and how it ended (the job row keeps only the last error). */
export interface JobAttempt {
  jobId: string;
  startedAt: number;
  endedAt: number;
  /** The attempt number within the budget it ran in (an operator's retry starts a new budget). */
  attempt: number;
  outcome: 'done' | 'retry' | 'deferred' | 'rejected' | 'dead';
  detail?: string;
  /**
   * Read only, set when the row stands for more than one attempt: uncharged attempts that came
   * back the same way for the same reason, one after another (repeated-attempts.ts). Its start
   * and end are then the newest's, and `firstStartedAt` when the first began.
   */
  repeats?: number;
  firstStartedAt?: number;
  /**
   * Written only, by appendJobAttempt and with a job's end (finishJob): its job's `requeues` when it
   * was claimed, the budget it ran in. An attempt is counted only in a row of the same budget
   * (operator-retries.ts), and it is part of SQLite's key (v63, attempt-budget-key.ts); absent: 0.
   */
  requeues?: number;
}

/**
 * How a claimed job ends (Store.finishJob). `audit`, on a failure, is the audit entry the end
 * makes (a dead letter): written in the end's own transaction and only when the lease still held
 * the job, so no reader sees the end without it and a crash cannot keep one without the other.
 */
export type JobOutcome = (
  { status: 'done'; result: WriteResult } | { status: 'rejected' | 'dead'; error: StoredError; audit?: AuditInput }
) & {
  /**
   * Set when the job's client was answered before this end (202 through OpenHIM): its transaction
   * update is owed from this end on, due to a sweep at this time (epoch ms). Written in the end's
   * own statement, only when the lease still held the job.
   */
  transactionUpdateDue?: number;
  /**
   * With transactionUpdateDue only: the final attempt's orchestrations as JSON text (an array),
   * written in the same statement (v46), so the calls and the debt commit together.
   */
  openhimFinalCalls?: string;
};

export interface JournalStep {
  jobId: string;
  step: string;
  result: unknown;
  completedAt: number;
}

export interface AuditInput {
  actor: string;
  action: string;
  subject?: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends AuditInput {
  id: number;
  at: number;
  details: Record<string, unknown>;
}

/** One run of a scheduled job (src/jobs/): when, which tick, how it ended and what it counted. */
export interface JobRun {
  id: number;
  name: string;
  /** Epoch ms of the cron tick a scheduled run belongs to; absent for a run started by hand. */
  tickAt?: number;
  /** 'retry': a run of only the parts the run before it left failed (jobs/failed-retry.ts). */
  trigger: 'schedule' | 'manual' | 'retry';
  /** Which mediator instance ran it (host:pid). */
  instance?: string;
  startedAt: number;
  endedAt?: number;
  /** 'running' until it ends; a run whose instance died stays 'running'. */
  outcome: 'running' | 'ok' | 'failed' | 'skipped';
  /** The (redacted) error of a failed run, or why a run was skipped. */
  detail?: string;
  /** What the job reports it did (records read, rows written, …). */
  counts?: Record<string, number>;
}

export type NewJobRun = Pick<JobRun, 'name' | 'tickAt' | 'trigger' | 'instance' | 'startedAt'> & {
  /**
   * The id of a cut run whose tick this run takes (src/jobs/cut-run.ts): that run gives its tick
   * back in the same transaction as this one starts, so no failure or kill between the two leaves
   * the tick given back and not run (the next start would owe it no more).
   */
  takesTickOf?: number;
};
export type JobRunEnd = Pick<JobRun, 'endedAt' | 'outcome' | 'detail' | 'counts'> & {
  /**
   * The run no longer holds its tick (its tickAt is cleared): a run stopped by the database going
   * away, whose tick the scheduler tries again as it does a tick that could not start.
   */
  givesBackTick?: boolean;
};

/** The last version of a registry Location the mediator has seen (src/registry/). */
export interface RegistryRecordRow {
  registryId: string;
  version: string;
  /** Epoch ms of the registry's change time of this version (meta.lastUpdated). */
  changedAt: number;
  /** The registry record as the registry client decoded it. */
  record: unknown;
  seenAt: number;
}

/**
 * queued: an outbox job carries it to the system. held: a person must decide first (the crosswalk
 * row is in review or flagged), or the system cannot take it (see reason). done: the system has it.
 * failed: the system refused it (reason). skipped: nothing to do there (not routed to that system,
 * or a closed facility the system never had). superseded: a newer version took its place.
 */
export type PropagationState = 'queued' | 'held' | 'done' | 'failed' | 'skipped' | 'superseded';
export const PROPAGATION_STATES: readonly PropagationState[] = [
  'queued',
  'held',
  'done',
  'failed',
  'skipped',
  'superseded',
];

/** Where the latest change of one registry facility stands in one system. */
export interface Propagation {
  registryId: string;
  system: string;
  version: string;
  action: 'create' | 'update' | 'deactivate' | 'none';
  state: PropagationState;
  reason?: string;
  /** The system's record the change is applied to (known once linked or created). */
  systemId?: string;
  /** Changed fields the system cannot keep, each with why (never silently dropped). */
  unsupported?: Record<string, string>;
  updatedAt: number;
  /**
   * How many times the row was written (read back from the store; ignored when writing): a plan
   * passes the revision it planned from to putPropagation, which then writes only over that row.
   */
  revision?: number;
}

export interface PropagationFilter {
  state?: PropagationState;
  system?: string;
  registryId?: string;
  /** Rows whose report of what a system could not keep (unsupported) holds this text. */
  unsupportedHas?: string;
  /**
   * Rows of registry ids after this one (`''`: from the first), ordered by registry id: a keyset
   * page, which rows changing state or time meanwhile never shift (an offset page over the newest
   * first skips a row each time one before it leaves the listing).
   */
  registryIdAfter?: string;
  limit?: number;
  offset?: number;
}

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  readonly engine: Engine;
  close(): Promise<void>;
  /** Applied migration versions, oldest first. */
  migrationVersions(): Promise<number[]>;

  // crosswalk
  getCrosswalk(system: string, systemId: string): Promise<CrosswalkRow | undefined>;
  listCrosswalk(system: string): Promise<CrosswalkRow[]>;
  listCrosswalkByRegistryId(registryId: string): Promise<CrosswalkRow[]>;
  /** The review queue filtered, counted and paged in SQL (crosswalk-query.ts). */
  queryCrosswalk(system: string, q: CrosswalkQuery): Promise<CrosswalkPage>;
  /** A system's rows counted by state and by whether the matcher decided them (review progress). */
  countCrosswalkStates(system: string): Promise<CrosswalkStateCount[]>;
  /**
   * Insert or replace a row, except that an automatic row (decidedBy 'auto') never replaces a
   * human decision. Returns whether the row was written. `audit`, when given, is written in the
   * same transaction (review decisions).
   */
  upsertCrosswalk(row: CrosswalkRow, audit?: AuditInput): Promise<{ written: boolean }>;
  /** Many rows in one transaction (a reconciliation run), same rule per row; returns how many were written. */
  /**
   * `audit`, when given, is built from the count written and recorded in the same transaction:
   * a run's audit entry (its counts, and the snapshot the next run compares with) is on disk
   * exactly when its rows are.
   */
  upsertCrosswalkMany(rows: CrosswalkRow[], audit?: (written: number) => AuditInput): Promise<{ written: number }>;

  // outbox + idempotency
  /**
   * In one transaction: claim the idempotency key and insert the job, or return the job holding
   * the key. A key held by a rejected job is taken over: the new job is inserted (whatever its
   * payload), the rejected one is marked supersededBy and audited, and its links lose their
   * upstream id. Concurrent writes under one key still make one job.
   */
  recordWrite(job: NewJob): Promise<RecordWriteResult>;
  /**
   * Several writes in one transaction (a FHIR transaction Bundle), with their resource links:
   * all are recorded or none. A key already used with the same payload yields the job holding it
   * (created: false); with another payload the whole call throws PayloadConflict. A key held by a
   * rejected job is free (see recordWrite). `entries`: how the request's entries map to these
   * jobs, for its OpenHIM transaction update (v24), recorded in the same transaction.
   */
  recordWrites(jobs: NewJob[], links: ResourceLink[], entries?: TransactionEntries): Promise<RecordWriteResult[]>;
  getJob(id: string): Promise<OutboxJob | undefined>;
  /** Jobs created under a business idempotency key (one per flow/system it fanned out to). */
  findJobsByKey(idempotencyKey: string): Promise<OutboxJob[]>;
  /**
   * Jobs whose key is `kind|<any system>|value` (v49): a search by an identifier without a system
   * finds what was written under that value in any system (key-values.ts).
   */
  findJobsByKeyValue(kind: string, value: string): Promise<OutboxJob[]>;
  /**
   * The keys `kind|<system>|value` under which a job is recorded with `mark` after the value
   * (`mark`, `mark:n`, …; a delivery's drafts), in every system, sorted (v66, key-values.ts).
   */
  findKeysOfMarkedValue(kind: string, value: string, mark: string): Promise<string[]>;
  /**
   * Which of jobs `ids` the database took after job `id`, in its own order, not by created_at
   * (each accepting instance's clock): SQLite's rowid, PostgreSQL's accept_seq (v25; a job done
   * before v25 has none, and is compared by created_at); undefined when job `id` is not in the
   * store (routing/delivery-overtaken.ts).
   */
  acceptedAfter?(id: string, ids: string[]): Promise<string[] | undefined>;
  /**
   * Of the jobs under `key` and `key:<n>` (writes numbered under one key: a delivery's drafts),
   * the newest and the highest number in use (`key` alone: 1); undefined: none (numbered-keys.ts).
   * With `identifier`: the newest of the jobs whose payload has that identifier (none: absent),
   * as other identifiers' keys can fall under `key`; their numbers are still in use.
   */
  findNumberedJobs(key: string, identifier?: Identifier): Promise<NumberedJobs | undefined>;
  listJobs(filter?: JobListFilter): Promise<OutboxJob[]>;
  /** Take due pending jobs and in-flight jobs whose lease expired; attempts += 1. */
  claimJobs(req: ClaimRequest): Promise<OutboxJob[]>;
  /**
   * Marks `holder` (an outbox's instance id; its lease owners are `${holder}:…`) running for as
   * long as this process runs, by a lock that goes when the process ends however it ends: on SQLite
   * a file lock the operating system drops (lease-holders.ts), on PostgreSQL a session advisory
   * lock, taken in the background and again after its session ends (pg-lease-holders.ts). Throws
   * when the lock cannot be made; the holder's leases then only run out. Absent on `:memory:`.
   */
  holdLeases?(holder: string): void;
  /**
   * Ends now the leases of the jobs in flight whose holder's lock is free (its process ended
   * without ending them: killed, a power cut), so the next claim takes them over rather than
   * when the lease runs out. A running holder (the server itself, a CLI beside it) keeps its
   * leases, and so does one not known to have ended (never marked). On PostgreSQL a free lock may
   * also be a live holder taking it again after a restart of the database, so only leases whose
   * attempt is over by its timeout end there: those with a lease_until before `attemptsOverBefore`
   * (epoch ms, this process's time; none without it). The holders released, with their jobs.
   */
  releaseEndedLeases?(now: number, attemptsOverBefore?: number): Promise<{ holder: string; jobs: number }[]>;
  /**
   * Whether a job of the same flow, system and record (order key), accepted before this one,
   * is still pending or in flight: the test ClaimRequest.inOrder applies, for a write of such a
   * flow about to be delivered inside its request.
   */
  waitsBehind(id: string): Promise<boolean>;
  /**
   * Whether a job of this flow and system under one of these order keys (NewJob.orderKey) is still
   * pending or in flight: a client's write a registry change of the record must not overtake.
   */
  waitingWriteOf(flow: string, system: string, orderKeys: string[]): Promise<boolean>;
  /**
   * Gives a waiting job (pending or in flight) still keyed as v25 left it (by its payload id, or
   * not at all) `orderKey`, the key its write has today (legacy-order-keys.ts). Whether it did.
   */
  keyWaitingJob(id: string, orderKey: string): Promise<boolean>;
  /**
   * Terminal success or rejection; false when the lease token no longer holds the job. `attempt`
   * (the attempt that ended so, for the job's timeline) is recorded in the same transaction and
   * statement, whether or not the lease still held: it ran either way. The outcome's `audit` is
   * recorded in that transaction too, but only when the job was finished (a lost lease audits
   * nothing: the job did not end so).
   */
  finishJob(id: string, leaseOwner: string, outcome: JobOutcome, now: number, attempt?: JobAttempt): Promise<boolean>;
  /**
   * Whether a job of `system` other than `jobId`, not ended, failed at or after `failedSince` and
   * began failing after the system's latest delivery (others-failing.ts): writes failing together
   * since the last success, as every instance sees them.
   */
  othersFailingTogether(system: string, jobId: string, failedSince: number): Promise<boolean>;
  /**
   * Back to pending, due at `nextAttemptAt`; `uncount` undoes the claim's attempt (never started).
   * `ownOutage`: the failure (`lastError`) was the job's own system serving nobody, recorded for
   * othersFailingTogether (v65); another failure clears it. A reschedule without one (a deferral)
   * leaves it as it was, unless `'renew'`: deferred because the job's system is failing (its
   * breaker open), a sign as recent as a failure, so a mark already set is renewed. A deferral for
   * another cause (behind an earlier write, busy, a slot race) renewed it too, and held a poisoned
   * write as "failing together" longer than its last real failure warranted. `'keep'`: the failure
   * was our own database's, not the upstream's: the mark and failing_since stay as they were
   * (neither set, cleared nor renewed).
   */
  rescheduleJob(
    id: string,
    leaseOwner: string,
    nextAttemptAt: number,
    lastError: string | undefined,
    uncount: boolean,
    now: number,
    ownOutage?: boolean | 'keep' | 'renew',
  ): Promise<boolean>;
  /**
   * Operator: a dead or rejected (or pending) job becomes pending and due now, attempts reset;
   * never a superseded one, nor a pending one already due with no attempt since (its last requeue,
   * or its accept): that is what the retry would make of it, so a second retry of a pending job
   * changes and audits nothing; nor a dead or rejected one whose record (its order key, or its
   * payload id: resource-order.ts laterWrite) a later job of its flow and system writes: delivered
   * now it would put the older version back over that
   * one (a pending one still goes first: claims keep a resource's order, ClaimRequest.inOrder).
   * With `expectedStatus`, only while the job is still in that status
   * (what the operator saw), checked in the same statement: of two retries at once, one requeues.
   * With `expectedUpdatedAt` (epoch ms, the job's updatedAt as the operator saw it), only while the
   * job has not changed since at all: a status alone does not tell a dead job from the same job
   * retried and dead again.
   */
  requeueJob(
    id: string,
    audit: AuditInput,
    now: number,
    expectedStatus?: JobStatus,
    expectedUpdatedAt?: number,
  ): Promise<OutboxJob | undefined>;
  /**
   * Operator: delete a job that is neither in flight nor done, with its journal and idempotency
   * key (a done job's key is what makes a resend of that write a no-op). With `expectedStatus`,
   * only while the job is still in that status (what the operator saw); with `expectedUpdatedAt`,
   * only while it has not changed since (not retried and dead again). False when not dropped.
   */
  dropJob(id: string, audit: AuditInput, expectedStatus?: JobStatus, expectedUpdatedAt?: number): Promise<boolean>;
  countJobsByStatus(): Promise<Record<JobStatus, number>>;
  /**
   * Fails as a write would when the database takes reads but no writes (a PostgreSQL standby or
   * failover not finished, a full disk under SQLite), changing nothing: /ready asks, since a read
   * alone says "ok" while every write is answered 503.
   */
  checkWritable?(): Promise<void>;
  /** Jobs per system and status but done (an index-only pass on the v29 partial index): the console's table. */
  countJobsBySystem(): Promise<JobCountBySystem[]>;
  /** createdAt of the oldest job still waiting (pending or in-flight). */
  oldestWaitingCreatedAt(): Promise<number | undefined>;

  // resource links
  /**
   * Upsert; a link keeps its known upstream id and job id when the new one lacks them. Links
   * stored already as they would be written are left out: nothing written when none changed.
   */
  putLinks(links: ResourceLink[]): Promise<void>;
  getLink(flow: string, fhirId: string): Promise<ResourceLink | undefined>;
  /** Which of these FHIR ids have a link in the flow (any system): one look-up, for a read naming many. */
  linkedFhirIds(flow: string, fhirIds: string[]): Promise<Set<string>>;
  /** Links of writes to these upstream objects of one system (with a job), newest first. */
  linksToUpstream(flow: string, system: string, upstreamIds: string[]): Promise<ResourceLink[]>;
  /**
   * SQLite only: a count that moves whenever this process writes resource_links (inserted or
   * upserted links, an upstream id set or cleared), bumped inside the synchronous write itself,
   * before its COMMIT. A reader that took the count before its read may reuse that answer while
   * the count is unchanged (routing/written-links.ts); a rolled-back write only makes a needless
   * miss. Absent on PostgreSQL, where several instances write links and readers always ask.
   */
  linkWrites?(): number;

  /**
   * getLink, getJob and listCrosswalkByRegistryId for a write's own lookups before it is
   * recorded: answered without waiting for the disk to sync what they saw (SQLite: rows of
   * batches committed but not yet synced), because the write they feed answers nobody before
   * its own sync, which covers them (GroupCommit.readAhead). An answer made from them without
   * that write (a refusal) first awaits durable(). Engines whose reads see only rows on disk
   * (PostgreSQL) return the store itself.
   */
  lookupsAhead(): LookupsAhead;
  /** Resolves once everything committed so far is on disk. */
  durable(): Promise<void>;
  /**
   * The writes a delivered create makes after its upstream write (the job's end, the read-back's
   * first sighting), settled at their COMMIT rather than at the sync after it, so that what the
   * caller does next (the read-back) overlaps that sync. Whoever answers anyone from them first
   * awaits `onDisk()`, called once they settled. The first sighting may settle even before its
   * COMMIT (SQLite: GroupCommit.writeBehind): a sighting lost to a failed COMMIT or a crash only
   * makes a later read stamp a later time. Engines whose commit is the sync (PostgreSQL)
   * return their own calls and an onDisk that resolves at once.
   */
  writesAhead(): WritesAhead;

  // content seen
  /**
   * When each resource's current version was first seen (epoch ms by FHIR id): a version not seen
   * before, or changed, is recorded as seen `now`. Reads only, when nothing changed.
   */
  firstSeen(flow: string, versions: SeenVersion[], now: number): Promise<Map<string, number>>;

  // step journal
  listSteps(jobId: string): Promise<JournalStep[]>;
  /** First writer wins: returns the stored result, which is `result` unless a step was already recorded. */
  putStep(jobId: string, step: string, result: unknown, now: number): Promise<unknown>;

  // audit
  appendAudit(entry: AuditInput, now?: number): Promise<void>;
  listAudit(filter?: { subject?: string; limit?: number }): Promise<AuditEntry[]>;

  // scheduled jobs
  /**
   * Run `fn` only while holding a cluster-wide lock named `name` (PostgreSQL advisory lock; on
   * SQLite a lock file beside the database, which a CLI's `jobs run` beside the server sees too:
   * sqlite-job-lock.ts). Returns ran=false if another instance or process holds it. `fn`'s
   * signal aborts if the lock is lost while it runs (its PostgreSQL session died and another
   * instance took the lock, or the store closed under it): `fn` must stop writing then.
   */
  withAdvisoryLock<T>(
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }>;
  /**
   * Whether withAdvisoryLock's lock `name` is held now by any instance or process, asked without
   * taking it where taking is what must not happen: PostgreSQL lists its holders (pg_locks), so a
   * look in a restart's gap (the holder's session gone, before its instance takes it again) cannot
   * win it from under a live run. SQLite asks its lock file once and gives it back at once: a lock
   * there is lost only with its process or its file (removed or replaced under the run, which its
   * holder hears within a second: watchLockFile), so a free one means nobody runs the job. Callers
   * still look twice (scheduler.ts).
   */
  advisoryLockHeld(name: string): Promise<boolean>;
  /**
   * Run `fn` holding the exclusive lock `name`, shared by every instance on this database, waiting
   * for it up to `waitMs` (then LockWaitTimeout, and `fn` never runs). PostgreSQL: a session
   * advisory lock on a connection held for the duration (a crashed instance's lock goes with its
   * connection). SQLite: an in-process mutex per database file, enough where only the server
   * writes (scale-out needs PostgreSQL); with `acrossProcesses`, a lock file beside the database
   * too, for what a CLI command writes beside a running server (the review lock: a `reconcile
   * --store` run meets a console decision). Serialises upstream writes that cannot be told apart
   * afterwards (OpenLMIS requisition initiates for one facility/program/period).
   */
  withLock<T>(name: string, fn: () => Promise<T>, opts?: { waitMs?: number; acrossProcesses?: boolean }): Promise<T>;
  /**
   * withLock for several names at once, all held while `fn` runs (a FHIR transaction Bundle's
   * conditional entries, checked and written as one). Taken in one stable order, so two callers
   * naming overlapping sets never each hold a lock the other waits for; interlocks with withLock
   * of any one of the names. PostgreSQL: one connection holds them all (a Bundle of many entries
   * does not take one connection per name). `waitMs` bounds the whole wait.
   */
  withLocks<T>(names: string[], fn: () => Promise<T>, opts?: { waitMs?: number }): Promise<T>;
  /**
   * Record the start of a run. A scheduled run (with `tickAt`) is recorded once per job and tick:
   * if the tick is already recorded, nothing is written and the result is undefined (the tick
   * ran, or is running, elsewhere). With `takesTickOf`, that run gives its tick back first, in
   * the same transaction: both or neither.
   */
  startJobRun(run: NewJobRun): Promise<JobRun | undefined>;
  finishJobRun(id: number, end: JobRunEnd): Promise<void>;
  /**
   * Close the job's runs still marked running as failed with `detail`; returns how many. Called
   * by the holder of the job's lock, who knows no such run is really going on any more.
   */
  abandonJobRuns(name: string, endedAt: number, detail: string): Promise<number>;
  /** A job's runs, newest first. */
  listJobRuns(name: string, limit?: number): Promise<JobRun[]>;

  /** A named high-water mark (registry pull, bridges); undefined before the first is stored. */
  getCursor(name: string): Promise<string | undefined>;
  setCursor(name: string, value: string, now?: number): Promise<void>;
  /**
   * Keep registry records that are new versions (a different version, not older than the kept
   * one); returns the ids of those kept, so a repeated pull yields nothing to propagate.
   */
  putRegistryRecords(records: RegistryRecordRow[]): Promise<string[]>;
  /** Keep `record` only over the kept version `over` (still kept, not newer): whether it was. */
  putRegistryRecordOver(record: RegistryRecordRow, over: string): Promise<boolean>;
  getRegistryRecord(registryId: string): Promise<RegistryRecordRow | undefined>;
  listRegistryRecords(): Promise<RegistryRecordRow[]>;
  /** The version's plan written for every system: its unplanned mark cleared (that version only). */
  markRegistryRecordPlanned(registryId: string, version: string): Promise<void>;
  /** Versions kept and not planned yet (a kill between the two), `limit` after registry id `after`. */
  listUnplannedRegistryRecords(after: string, limit: number): Promise<RegistryRecordRow[]>;
  /**
   * Plan `p.version` for its system, unless the registry record kept now is another version (a
   * newer one, kept and planned by another intake meanwhile: PUT_PROPAGATION_SQL); false then.
   * With `seen` (the revision of the row the plan read, null when it read none), written only if
   * the row still has that revision (compare-and-set: PUT_PROPAGATION_IF_SQL); false otherwise.
   */
  putPropagation(p: Propagation, seen?: number | null): Promise<boolean>;
  /**
   * Record how delivering `p.version` ended (state, reason, systemId, unsupported) only if that
   * version is still the latest for its facility and system; false when a newer one replaced it.
   */
  settlePropagation(p: Propagation): Promise<boolean>;
  getPropagation(registryId: string, system: string): Promise<Propagation | undefined>;
  listPropagations(filter?: PropagationFilter): Promise<Propagation[]>;
  /** Counts by system and state. */
  countPropagations(): Promise<Record<string, Partial<Record<PropagationState, number>>>>;

  /** Console sessions (v11): insert or replace the row of `idDigest`. */
  putConsoleSession(row: ConsoleSessionRow): Promise<void>;
  /**
   * Write `row`'s data and lastSeen only while the stored data is still `was` (as the caller read
   * it); false when another request of the session wrote it meanwhile, or the session ended.
   */
  swapConsoleSession(row: ConsoleSessionRow, was: Record<string, unknown>): Promise<boolean>;
  getConsoleSession(idDigest: string): Promise<ConsoleSessionRow | undefined>;
  deleteConsoleSession(idDigest: string): Promise<void>;
  /** Delete sessions last seen before `before`; returns how many. */
  sweepConsoleSessions(before: number): Promise<number>;
  /**
   * Settled jobs whose OpenHIM transaction update is owed and due at `now`, oldest debt first, at
   * most `limit`; each is claimed (due again at `claimUntil`) so no other sweep sends it meanwhile.
   */
  claimTransactionUpdates(now: number, limit: number, claimUntil: number): Promise<OutboxJob[]>;
  /** Record how a send of the job's owed update ended; false when it was no longer owed. */
  settleTransactionUpdate(id: string, end: TransactionUpdateEnd): Promise<boolean>;
  /**
   * A request other than the job's own (an OpenHIM rerun, a client's resend) answered 202 from job
   * `jobId`: its transaction is owed the job's final state (v17, rerun-updates.ts), recorded only
   * while the job is not settled and the job owes fewer than `bound` others. 'settled': the job
   * settled first; the request is answered with that instead, and the job is recorded (still
   * under the bound) as one its transaction was answered from, owing nothing (jobsOfTransaction
   * lists it: a Bundle's update counts an entry that was settled already).
   */
  oweRerunUpdate(jobId: string, transactionId: string, now: number, bound: number): Promise<RerunDebt>;
  /**
   * As claimTransactionUpdates, for rerun debts: each comes as its settled job with the rerun's
   * transaction id and debt in transactionId and transactionUpdate.
   */
  claimRerunUpdates(now: number, limit: number, claimUntil: number): Promise<OutboxJob[]>;
  /** Record how a send of a rerun's owed update ended; false when it was no longer owed. */
  settleRerunUpdate(jobId: string, transactionId: string, end: TransactionUpdateEnd): Promise<boolean>;
  /** Entries of a request answered without a write, recorded alone (a batch's after its last write). */
  recordTransactionEntries(entries: TransactionEntries): Promise<void>;
  /**
   * Drops request `requestKey`'s entry map under `transactionId`: its answer owes no update, so
   * nothing reads it (transaction-entries.ts RELEASE_REQUEST_ENTRIES_SQL); how many rows went.
   */
  releaseRequestEntries(transactionId: string, requestKey: string): Promise<number>;
  /** How a Bundle's entries were answered through OpenHIM transaction `transactionId` (v24), in order. */
  entriesOfTransaction(transactionId: string): Promise<TransactionEntry[]>;
  /**
   * Records a request answered under an OpenHIM transaction id awaiting our update (v50: apart from
   * any other, by its key); a replay keeps the first. Its row is always kept: past
   * REQUESTS_PER_WRITES rows with its writes, the newest other is dropped; returns how many were.
   */
  recordTransactionRequest(request: TransactionRequest): Promise<number>;
  /** The requests recorded under OpenHIM transaction `transactionId` (v47), oldest first. */
  requestsOfTransaction(transactionId: string): Promise<TransactionRequest[]>;
  /** Every job of one OpenHIM transaction (v18), in the order they were accepted. */
  jobsOfTransaction(transactionId: string): Promise<OutboxJob[]>;
  /**
   * Record how a send of a whole transaction's update ended, on each of its jobs' debts still owed
   * whose job ended at or before `readUpTo` (the update was built from those ends); returns how many.
   */
  settleTransactionUpdates(transactionId: string, end: TransactionUpdateEnd, readUpTo: number): Promise<number>;
  /** Updates owed, refused and abandoned (jobs' own and reruns'), for /metrics and the console. */
  countTransactionUpdates(): Promise<TransactionUpdateCounts>;
  /** The updates job `jobId` owes or owed to reruns of its request (v17). */
  listRerunUpdates(jobId: string): Promise<RerunUpdate[]>;
  /** Record one delivery attempt of a job (v11). */
  appendJobAttempt(attempt: JobAttempt): Promise<void>;
  /** A job's attempts, oldest first. */
  listJobAttempts(jobId: string, limit?: number): Promise<JobAttempt[]>;
  /**
   * Retention (retention.ts): one batch, in one transaction. Examines the next `limit` jobs that
   * finished (done or refused) before `before`, after `after`, and deletes those no longer needed
   * with every row kept for them (attempts, journal, idempotency key, OpenHIM rerun rows, and their
   * transaction's entry map once no job of it is left); never a waiting or dead-lettered job, one
   * owing an OpenHIM update or whose transaction's update may still be built, nor one a resource
   * link names (of a done one, only its attempts and journal go). Also deletes up to `limit` scheduled job runs started before `before` (each job's
   * latest kept). `last`: where the next batch starts; fewer examined than `limit`: done.
   */
  pruneFinished(batch: PruneBatch): Promise<PruneResult>;
}

/**
 * Store.writesAhead: writes settled at their COMMIT, and the wait for the sync after it. Also the
 * accept (recordWrites), whose delivery's first reads overlap its sync (outbox/accept-on-disk.ts).
 */
export interface WritesAhead extends Pick<Store, 'finishJob' | 'firstSeen' | 'recordWrites'> {
  /** Resolves once every write committed so far is on disk (not a batch still open). */
  onDisk(): Promise<void>;
}

/** The lookups Store.lookupsAhead answers without waiting for a sync. */
export type LookupsAhead = Pick<Store, 'getLink' | 'getJob' | 'listCrosswalkByRegistryId'>;
