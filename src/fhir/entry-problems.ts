import { MediatorError, MethodNotAllowedError, type Issue } from '../domain/errors.js';

/**
 * The problems a transaction Bundle's entries have, gathered so that one answer names them all: an
 * entry found bad does not stop the others being checked (writing nothing), so a client fixing
 * it does not learn of the next entry's unknown facility only on its next try. Only the refused
 * path gathers: a valid Bundle is checked as before, once.
 *
 * A refusal (4xx) is kept and the checks go on; so is a flow with no system configured (501): a
 * fact of this mediator's configuration, not a failure, which the other entries' checks do not
 * depend on. A failure of the mediator or an upstream (other 5xx) means nothing more can be
 * checked now: with nothing refused yet it is the answer, as before; after a refusal it is told
 * as a warning that the rest was not checked, and checking stops.
 */
/** 501: a flow no system is configured for (NotConfiguredError), the same answer whenever asked. */
const NOT_CONFIGURED = 501;

export class EntryProblems {
  private readonly refusals: MediatorError[] = [];
  private readonly unchecked: Issue[] = [];
  private stopped = false;

  /** Whether an entry was refused, so the transaction will be. */
  any(): boolean {
    return this.refusals.length > 0;
  }

  /** Runs one check, keeping its refusal; skipped once a failure stopped the checking. */
  async check(fn: () => unknown): Promise<void> {
    if (this.stopped) return;
    try {
      await fn();
    } catch (err) {
      this.add(err);
    }
  }

  add(err: unknown): void {
    // a programming error is never an entry's problem
    if (!(err instanceof MediatorError)) throw err;
    if (err.status < 500 || err.status === NOT_CONFIGURED) {
      this.refusals.push(err);
      return;
    }
    if (!this.any()) throw err;
    this.stopped = true;
    this.unchecked.push(
      ...err.issues.map((i) => ({
        ...i,
        severity: 'warning' as const,
        diagnostics: `not checked: ${i.diagnostics}`,
      })),
    );
  }

  /**
   * The refusal of the whole transaction, every entry's issues: the status of the first problem
   * the client can fix (4xx), else the first (a 501). A 405 keeps its Allow.
   */
  answer(): MediatorError {
    const first = this.refusals.find((e) => e.status < 500) ?? this.refusals[0];
    const issues = [...this.refusals.flatMap((e) => e.issues), ...this.unchecked];
    if (first instanceof MethodNotAllowedError) return new MethodNotAllowedError(issues, first.allow);
    return new MediatorError(first.status, issues);
  }
}
