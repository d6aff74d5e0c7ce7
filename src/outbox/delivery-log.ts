import type { OutboxJob } from '../store/types.js';
import type { OutboxLogger } from './types.js';

/** How many jobs' current run of uncharged deferrals is remembered (the oldest is forgotten first). */
const REMEMBERED_RUNS = 10_000;

type JobFields = Pick<OutboxJob, 'id' | 'flow' | 'system' | 'attempts'>;

/**
 * The operator's word on a delivery that did not end: what the log says when a write is retried,
 * deferred or refused after its client was answered. A charged retry is said every time (a job has
 * at most maxAttempts of them). An uncharged deferral can repeat thousands of times (a facility
 * looking for its parent every 2-60 s for as long as the parent waits, a write queued behind an
 * open breaker at every probe), so, as job_attempts folds such repeats into one row
 * (store/repeated-attempts.ts) and the outage log says an outage once (store-outage-log.ts), only
 * the first of a run (same job, same reason) is said at info; its repeats go to debug. A different
 * reason, a charged attempt or the job's end starts a new run.
 */
export class DeliveryLog {
  /** Each job's reason for its current run of uncharged deferrals, in the order they began. */
  private readonly runs = new Map<string, string>();

  constructor(private readonly logger: OutboxLogger) {}

  /** A transient failure charged an attempt: the job is due again at `dueAt`. */
  retrying(job: JobFields, reason: string, dueAt: number): void {
    this.runs.delete(job.id);
    this.logger.warn(
      { ...fieldsOf(job), reason, charged: true, nextAttemptAt: new Date(dueAt).toISOString() },
      'outbox: delivery failed transiently; retrying',
    );
  }

  /** The job goes back uncharged (a parent waited for, a system that said when, our database away). */
  deferred(job: JobFields, reason: string, dueAt: number): void {
    const fields = { ...fieldsOf(job), reason, charged: false, nextAttemptAt: new Date(dueAt).toISOString() };
    if (this.runs.get(job.id) === reason) {
      this.logger.debug?.(fields, 'outbox: delivery deferred again');
      return;
    }
    this.remember(job.id, reason);
    this.logger.info(fields, 'outbox: delivery deferred; the attempt is not charged');
  }

  /**
   * Given back without an attempt (behind an open breaker, no free slot, behind an earlier write of
   * its resource): debug only. The breaker's opening is said once (breakers.ts), and a line per
   * queued write at every probe or under load would bury it.
   */
  queued(job: JobFields, reason: string, dueAt: number): void {
    this.logger.debug?.(
      { ...fieldsOf(job), reason, charged: false, nextAttemptAt: new Date(dueAt).toISOString() },
      'outbox: delivery queued without an attempt',
    );
  }

  /**
   * Refused by the system after its client was answered 202 (or by a worker's retry): nobody else
   * hears of it until an operator looks. A refusal within the client's deadline is not logged: the
   * client got it as its OperationOutcome and the request log has the 4xx; a line per bad request
   * would be the client's mistakes in the operator's log.
   */
  rejectedAfterAnswer(job: JobFields, reason: string): void {
    this.runs.delete(job.id);
    this.logger.warn({ ...fieldsOf(job), reason }, 'outbox: the system refused a write already answered 202');
  }

  /**
   * Claimed from a lease that lapsed: its owner (an instance or process) died or stalled
   * mid-attempt, and the write may have reached the system; the attempt now looks before it
   * writes again. Said at info: it is recovery working, but an operator counting crashes wants it.
   */
  tookOver(job: JobFields, previousOwner: string): void {
    this.logger.info(
      { ...fieldsOf(job), previousOwner },
      "outbox: took over a job whose lease lapsed; its previous owner's attempt did not end",
    );
  }

  /** The job's attempt ended it (done, rejected, dead): its run, if any, is over. */
  ended(jobId: string): void {
    this.runs.delete(jobId);
  }

  private remember(jobId: string, reason: string): void {
    this.runs.delete(jobId);
    this.runs.set(jobId, reason);
    if (this.runs.size > REMEMBERED_RUNS) this.runs.delete(this.runs.keys().next().value!);
  }
}

function fieldsOf(job: JobFields) {
  return { jobId: job.id, flow: job.flow, system: job.system, attempt: job.attempts };
}
