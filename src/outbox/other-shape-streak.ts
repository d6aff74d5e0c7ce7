/**
 * Answers of another shape (upstream/errors.ts malformedAnswer: a 2xx the API does not promise)
 * a system's deliveries met since its last success, by job. One job meeting them on every try is
 * one poisoned record (a page without its events for one facility, a requisition no longer
 * found): it must not open the breaker, or it would hold back every healthy write to the system.
 * Several jobs meeting them with no success between is the system answering so, as a gateway's
 * `200 {"message":"maintenance"}` or a login page does to every call: such answers then count
 * toward the breaker as a down system's do, so the queue is held, uncharged, instead of each job
 * being dead-lettered on its own.
 */

/**
 * Distinct jobs that make the answers the system's: two, the fewest that are not one record.
 * Any success in between (a healthy write) clears the streak, so poisoned records beside healthy
 * traffic never count; two poisoned records with no other traffic may open the breaker, and its
 * first probe that is a healthy write closes it again.
 */
export const SYSTEMIC_JOBS = 2;

/** Jobs remembered at most: a flood of odd answers cannot grow memory without bound. */
const MAX_JOBS = 1_000;

export class OtherShapeStreak {
  /** Job → when it last met an answer of another shape (in insertion order: oldest first). */
  private readonly lastMet = new Map<string, number>();

  /**
   * @param windowMs how far back a job's odd answer still joins the streak, read when used. The
   * outbox passes outbox.backoffCapMs: every queued job is tried again within it, so while a
   * gateway answers all calls so, two queued jobs always meet it within the window; an odd answer
   * met days ago by another record is not joined to today's poisoned one.
   */
  constructor(private readonly windowMs: () => number) {}

  /** Notes `job` meeting one; whether the streak is now the system's (SYSTEMIC_JOBS jobs within the window). */
  note(job: string, now: number): boolean {
    const since = now - this.windowMs();
    this.lastMet.delete(job);
    for (const [j, at] of this.lastMet) {
      if (at > since && this.lastMet.size < MAX_JOBS) break;
      this.lastMet.delete(j);
    }
    this.lastMet.set(job, now);
    return this.lastMet.size >= SYSTEMIC_JOBS;
  }

  /** The system answered as its API promises: what came before was not the system's. */
  clear(): void {
    this.lastMet.clear();
  }
}
