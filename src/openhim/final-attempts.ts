/**
 * The upstream calls of each job's latest delivery attempt, kept in memory until the OpenHIM
 * transaction update that job owes has gone: the update carries them as orchestrations, so
 * OpenHIM's console shows how a write answered 202 was finally delivered (or refused, or given
 * up), as the envelope shows a write delivered at once. Only this process's attempts are known
 * here: the job's end stores the calls with its debt (stored-final-calls.ts, store v46), so an
 * update sent after a restart, or by another instance, reads them from the job; this memory is
 * what a job ended before v46 has. Bounded: the oldest job's calls go first.
 */
import { runNestedRecording, type UpstreamCall } from '../platform/call-recording.js';

/** Jobs whose calls are kept at most (each a few upstream calls; bodies are cut when sent). */
export const FINAL_ATTEMPTS_KEPT = 200;

export class FinalAttemptCalls {
  private readonly byJob = new Map<string, UpstreamCall[]>();

  constructor(private readonly limit = FINAL_ATTEMPTS_KEPT) {}

  /** Runs one delivery attempt of job `jobId`; its calls replace those of the job's previous attempt. */
  async record<T>(jobId: string, attempt: () => Promise<T>): Promise<T> {
    const { calls, result } = await runNestedRecording(attempt);
    this.byJob.delete(jobId); // re-inserted last: the newest is evicted last
    if (this.byJob.size >= this.limit) this.byJob.delete(this.byJob.keys().next().value!);
    this.byJob.set(jobId, calls);
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }

  /** The latest attempt's calls of each of these jobs known here, job after job. */
  callsOf(jobIds: readonly string[]): UpstreamCall[] {
    return jobIds.flatMap((id) => this.byJob.get(id) ?? []);
  }

  /** Once their update is sent: nothing else will ask for them. */
  forget(jobIds: readonly string[]): void {
    for (const id of jobIds) this.byJob.delete(id);
  }

  get size(): number {
    return this.byJob.size;
  }
}
