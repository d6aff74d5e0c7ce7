import { MediatorError, type Issue } from '../domain/errors.js';

/**
 * The problems a transaction Bundle's entries have, gathered so that one answer names them all: an
 * entry found bad does not stop the others being checked (writing nothing), so a client fixing
 * it does not learn of the next entry's unknown facility only on its next try. Only the refused
 * path gathers: a valid Bundle is checked as before, once.
 *
 * A refusal (4xx) is kept and the checks go on. A failure of the mediator or an upstream (5xx)
 * means nothing more can be checked now: with nothing refused yet it is the answer, as before;
 * after a refusal it is told as a warning that the rest was not checked, and checking stops.
 */
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
    if (err.status < 500) {
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

  /** The refusal of the whole transaction: the first problem's status, every entry's issues. */
  answer(): MediatorError {
    return new MediatorError(this.refusals[0].status, [...this.refusals.flatMap((e) => e.issues), ...this.unchecked]);
  }
}
