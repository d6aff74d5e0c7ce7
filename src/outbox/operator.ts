import type {
  AuditEntry,
  JobAttempt,
  JobListFilter,
  JobStatus,
  JournalStep,
  OutboxJob,
  RerunUpdate,
  Store,
  TransactionUpdate,
  TransactionUpdateCounts,
} from '../store/types.js';

/**
 * Operator tools behind `cli outbox list|show|retry|drop` and the admin routes. Each change is
 * audited with the operator's name. They work on the store directly, so they run from a CLI
 * process while the mediator keeps serving (on PostgreSQL, against any instance).
 */

export interface JobSummary {
  id: string;
  flow: string;
  system: string;
  idempotencyKey: string;
  status: JobStatus;
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  /**
   * When it last changed, ISO 8601 to the millisecond as the store keeps it (epoch ms, both
   * engines): the value a retry or drop takes back as its guard (`?updatedAt=`, `--updated-at`),
   * so an operator acts from the list without opening each job.
   */
  updatedAt: string;
  /** Why it waits, was refused or died: the error of its latest attempt. Never on a done job. */
  lastError?: string;
  /**
   * A done job's error from an attempt before the one that delivered it (a transient failure
   * retried): history, not a problem, so not given as `lastError`, which read as a failure.
   */
  earlierError?: string;
  /** The job that took over this rejected job's key. */
  supersededBy?: string;
}

/**
 * A delivered job keeps the last error of the attempts before (the store's last_error: the next
 * attempt after an operator's retry reads it to know the upstream may have the write already), but
 * it no longer says what is wrong with the job.
 */
function errorOf(job: OutboxJob): Pick<JobSummary, 'lastError' | 'earlierError'> {
  if (job.lastError === undefined) return {};
  return job.status === 'done' ? { earlierError: job.lastError } : { lastError: job.lastError };
}

export function summarizeJob(job: OutboxJob): JobSummary {
  return {
    id: job.id,
    flow: job.flow,
    system: job.system,
    idempotencyKey: job.idempotencyKey,
    status: job.status,
    attempts: job.attempts,
    nextAttemptAt: new Date(job.nextAttemptAt).toISOString(),
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    ...errorOf(job),
    ...(job.supersededBy ? { supersededBy: job.supersededBy } : {}),
  };
}

export async function listOutboxJobs(store: Store, filter: JobListFilter = {}): Promise<JobSummary[]> {
  return (await store.listJobs(filter)).map(summarizeJob);
}

/**
 * Whether a `system` filter names no system at all: neither one of `known` (the connectors) nor one
 * with a job stored (a connector unconfigured since keeps its jobs listable). A typo (`dhsi2`)
 * would otherwise list nothing, read as "nothing queued there".
 */
export async function unknownJobSystem(store: Store, system: string, known: readonly string[]): Promise<boolean> {
  if (known.includes(system)) return false;
  return (await store.listJobs({ system, limit: 1 })).length === 0;
}

/**
 * A stored record with its epoch-millisecond instants as ISO 8601 UTC strings: what every operator
 * surface shows (admin API, CLI, console), as the job list does, and the form FHIR uses.
 */
type Instants<T, K extends keyof T> = Omit<T, K> & { [P in K]: undefined extends T[P] ? string | undefined : string };

export type JobView = Instants<
  Omit<OutboxJob, 'transactionUpdate'>,
  'nextAttemptAt' | 'leaseUntil' | 'createdAt' | 'updatedAt'
> & { transactionUpdate?: Instants<TransactionUpdate, 'dueAt'> };

export interface JobDetail {
  job: JobView;
  steps: Instants<JournalStep, 'completedAt'>[];
  audit: Instants<AuditEntry, 'at'>[];
  /**
   * Its newest 200 delivery attempts, oldest first (the job row keeps only the count and the last
   * error); uncharged attempts repeating one another are one entry with `repeats` and `firstStartedAt`.
   */
  attempts: Instants<JobAttempt, 'startedAt' | 'endedAt' | 'firstStartedAt'>[];
  /** OpenHIM updates owed or owed once to reruns of its request (the job's own: job.transactionUpdate). */
  rerunUpdates: Instants<RerunUpdate, 'dueAt'>[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOf = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A job as the operator surfaces give it: its instants ISO 8601 (the detail, a retry's answer). */
export function jobView(job: OutboxJob): JobView {
  const { transactionUpdate: update, ...rest } = job;
  return {
    ...rest,
    nextAttemptAt: iso(job.nextAttemptAt),
    leaseUntil: isoOf(job.leaseUntil),
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    ...(update ? { transactionUpdate: { ...update, dueAt: isoOf(update.dueAt) } } : {}),
  };
}

/**
 * The OpenHIM transaction updates not sent, as `/admin/outbox/counts` answers them: the oldest
 * owed one's end ISO 8601 like every admin instant, null when nothing is owed (the store, and
 * /metrics from it, keep epoch milliseconds).
 */
export interface TransactionUpdatesView extends Omit<TransactionUpdateCounts, 'oldestOwedEndedAt'> {
  oldestOwedEndedAt: string | null;
}

export function transactionUpdatesView(counts: TransactionUpdateCounts): TransactionUpdatesView {
  const { oldestOwedEndedAt: oldest, ...rest } = counts;
  return { ...rest, oldestOwedEndedAt: oldest === undefined ? null : iso(oldest) };
}

export async function showOutboxJob(store: Store, id: string): Promise<JobDetail | undefined> {
  const job = await store.getJob(id);
  if (!job) return undefined;
  const [steps, audit, attempts, rerunUpdates] = await Promise.all([
    store.listSteps(id),
    store.listAudit({ subject: id, limit: 50 }),
    store.listJobAttempts(id),
    store.listRerunUpdates(id),
  ]);
  return {
    job: jobView(job),
    steps: steps.map((s) => ({ ...s, completedAt: iso(s.completedAt) })),
    audit: audit.map((a) => ({ ...a, at: iso(a.at) })),
    attempts: attempts.map(({ firstStartedAt, ...a }) => ({
      ...a,
      startedAt: iso(a.startedAt),
      endedAt: iso(a.endedAt),
      ...(firstStartedAt !== undefined ? { firstStartedAt: iso(firstStartedAt) } : {}),
    })),
    rerunUpdates: rerunUpdates.map((u) => ({ ...u, dueAt: isoOf(u.dueAt) })),
  };
}

export type OperatorResult =
  | { ok: true; job?: OutboxJob }
  | { ok: false; reason: 'not-found' }
  /**
   * Not in a status the action applies to, or (`expected`) no longer in the status the caller
   * saw; `movedBy` says what last changed it (an operator's audited action, or a delivery attempt).
   */
  | { ok: false; reason: 'wrong-status'; status: JobStatus; expected?: JobStatus; movedBy?: string }
  /**
   * In the status the caller saw but changed since (`seenUpdatedAt`, epoch ms, is not its
   * `updatedAt` now): a dead job retried and dead again is not the one an operator chose to drop.
   */
  | { ok: false; reason: 'changed'; status: JobStatus; seenUpdatedAt: number; updatedAt: number; movedBy: string }
  /** A rejected job whose key a later write took over: that write (`by`) answers for the key now. */
  | { ok: false; reason: 'superseded'; status: JobStatus; by: string }
  /**
   * A retry of a job already due with a fresh attempt budget (a retry a moment before, or a job
   * never tried): nothing to retry; `movedBy` says what made it so.
   */
  | { ok: false; reason: 'already-due'; status: 'pending'; movedBy: string }
  /**
   * A retry of a given-up (dead or rejected) write of a record written again since (a later job of
   * the same flow and system for the same upstream object, by order key or payload id): delivered
   * now it would put the older version back.
   */
  | { ok: false; reason: 'overtaken'; status: JobStatus };

/**
 * What last moved a job: the newest audited operator action on it when that is what set its
 * current state (same instant as its update), else its newest delivery attempt, else the worker.
 */
export async function lastMoveOf(store: Store, job: OutboxJob): Promise<string> {
  const [entry] = await store.listAudit({ subject: job.id, limit: 1 });
  if (entry && entry.at >= job.updatedAt) return `${entry.action} by ${entry.actor} at ${iso(entry.at)}`;
  if (job.status === 'in-flight') return `the outbox worker, which took it for delivery at ${iso(job.updatedAt)}`;
  const attempt = (await store.listJobAttempts(job.id)).at(-1);
  if (attempt && attempt.endedAt >= (entry?.at ?? 0))
    return `delivery attempt ${attempt.attempt} (${attempt.outcome}) at ${iso(attempt.endedAt)}`;
  return entry ? `${entry.action} by ${entry.actor} at ${iso(entry.at)}` : `the outbox worker at ${iso(job.updatedAt)}`;
}

/** Why an action did not apply, as it is now: gone, taken over, or in another status (and what moved it). */
async function refusal(
  store: Store,
  id: string,
  expected: JobStatus | undefined,
  action: 'retry' | 'drop',
  seenUpdatedAt?: number,
): Promise<OperatorResult> {
  const now = await store.getJob(id);
  if (!now) return { ok: false, reason: 'not-found' };
  if (action === 'retry' && now.supersededBy)
    return { ok: false, reason: 'superseded', status: now.status, by: now.supersededBy };
  if (expected && now.status !== expected)
    return { ok: false, reason: 'wrong-status', status: now.status, expected, movedBy: await lastMoveOf(store, now) };
  if (seenUpdatedAt !== undefined && now.updatedAt !== seenUpdatedAt)
    return {
      ok: false,
      reason: 'changed',
      status: now.status,
      seenUpdatedAt,
      updatedAt: now.updatedAt,
      movedBy: await lastMoveOf(store, now),
    };
  if (action === 'retry' && freshPending(now))
    return { ok: false, reason: 'already-due', status: 'pending', movedBy: await lastMoveOf(store, now) };
  // the one other job the store's requeue leaves alone (Store.requeueJob)
  if (action === 'retry' && (now.status === 'dead' || now.status === 'rejected'))
    return { ok: false, reason: 'overtaken', status: now.status };
  // in a status the action applies to, yet refused: it was not when the store wrote (in flight,
  // put back or ended since), so what moved it is said, not that the action does not apply
  if (appliesTo(action, now.status))
    return { ok: false, reason: 'wrong-status', status: now.status, movedBy: await lastMoveOf(store, now) };
  return { ok: false, reason: 'wrong-status', status: now.status };
}

/**
 * Whether `action` applies to a job in `status` as refusal() reads it, past the store's other
 * reasons to refuse (superseded, overtaken, already due): a retry to a pending job (a dead or
 * rejected one refused is overtaken), a drop to any job neither in flight nor done (Store.dropJob).
 */
function appliesTo(action: 'retry' | 'drop', status: JobStatus): boolean {
  return action === 'retry' ? status === 'pending' : status !== 'in-flight' && status !== 'done';
}

/** A retry of a job already due with a fresh budget: the admin API's and the CLI's words for it. */
export function alreadyDueText(id: string, movedBy: string): string {
  return `job ${id} is already pending and due now with a fresh attempt budget, after ${movedBy}; nothing to retry`;
}

/** A job in the status the caller saw but changed since: the admin API's and the CLI's words for it. */
export function changedSinceText(id: string, r: Extract<OperatorResult, { reason: 'changed' }>): string {
  const [seen, now] = [new Date(r.seenUpdatedAt).toISOString(), new Date(r.updatedAt).toISOString()];
  return `job ${id} is ${r.status} but changed since it was shown (updated ${seen}): it was updated ${now}, after ${r.movedBy}; nothing was done`;
}

/**
 * A retry or drop refused by a job it applies to now: it was not when the store wrote (in flight
 * then). The admin API's and the CLI's words for it.
 */
export function movedUnder(id: string, status: string, movedBy: string, action: 'retry' | 'drop'): string {
  return `job ${id} is ${status} now, after ${movedBy}, but was not when the ${action} was made (in flight, or changed under it); nothing was done: ${action} again if it is still wanted`;
}

/**
 * Pending, never attempted since its last requeue, due, and not failing: what a retry would make of
 * it already (the store's check, Store.requeueJob). One with a failing age (held uncharged) has a
 * whole budget but not a fresh one: a retry resets its age, so there is something to retry.
 */
function freshPending(job: OutboxJob): boolean {
  return (
    job.status === 'pending' &&
    job.attempts === 0 &&
    job.nextAttemptAt <= job.updatedAt &&
    job.failingSince === undefined
  );
}

/**
 * Replay a dead (or rejected, or waiting) job now with a fresh attempt budget; never a superseded
 * one. `expectedStatus` is the status the operator saw: the store requeues only while the job is
 * still in it, in the same statement, so a retry sent twice (or by two operators) requeues once.
 * A status alone does not tell two retries of a pending job apart: the store also leaves alone a
 * job already due with a fresh budget, so the second retry of one is refused (already-due) with
 * what made it so, and audits nothing.
 */
export async function retryOutboxJob(
  store: Store,
  id: string,
  actor: string,
  expectedStatus?: JobStatus,
  expectedUpdatedAt?: number,
): Promise<OperatorResult> {
  const before = await store.getJob(id);
  if (!before) return { ok: false, reason: 'not-found' };
  if (before.supersededBy) return { ok: false, reason: 'superseded', status: before.status, by: before.supersededBy };
  const job = await store.requeueJob(
    id,
    { actor, action: 'outbox.retry', subject: id, details: { from: before.status, attempts: before.attempts } },
    Date.now(),
    expectedStatus,
    expectedUpdatedAt,
  );
  if (job) return { ok: true, job };
  // superseded meanwhile (a new write took the key while we looked), or its status changed
  return refusal(store, id, expectedStatus, 'retry', expectedUpdatedAt);
}

/**
 * Delete a job that is neither in flight nor done, with its journal and idempotency key: the same
 * business identifier can then be sent again as a new write. `expectedStatus` is the status the
 * operator saw: a job that changed since (a colleague retried it, it was delivered) is left alone;
 * `expectedUpdatedAt` its updatedAt as seen: one retried and dead again since is left alone too.
 */
export async function dropOutboxJob(
  store: Store,
  id: string,
  actor: string,
  expectedStatus?: JobStatus,
  expectedUpdatedAt?: number,
): Promise<OperatorResult> {
  const before = await store.getJob(id);
  if (!before) return { ok: false, reason: 'not-found' };
  const dropped = await store.dropJob(
    id,
    {
      actor,
      action: 'outbox.drop',
      subject: id,
      details: {
        flow: before.flow,
        system: before.system,
        idempotencyKey: before.idempotencyKey,
        status: before.status,
        attempts: before.attempts,
      },
    },
    expectedStatus,
    expectedUpdatedAt,
  );
  if (dropped) return { ok: true };
  // its status as it is now (it may have changed under the look above), else gone meanwhile
  return refusal(store, id, expectedStatus, 'drop', expectedUpdatedAt);
}
