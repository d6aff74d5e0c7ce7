import { UpstreamError } from '../../../domain/index.js';
import type { StepJournal } from '../../../routing/ports.js';
import { LMIS } from '../errors.js';

/**
 * A journal step whose value the order write uses before the step's record is on disk (issue 18:
 * each record was one more fsync an order waited for in series, ~8 per order against the direct
 * client's none). The record is still written, and awaited (`record()`) before anything a crash
 * must not see without it: the next upstream write that depends on it.
 *
 * - `value` settles as soon as the value is known: recorded by an earlier attempt (then that one,
 *   as journal.run gives it) or just computed.
 * - `deferred`: the record is not started until `record()` is called, so it joins the commit of
 *   the store write made in that same moment (the store commits the writes of one event-loop
 *   turn together: one fsync for both).
 * - `record()` awaits the record; should another attempt of the same write have recorded a
 *   different value first (journal.run: the first record wins), the value this attempt used is
 *   not the journal's and the write stops with a transient error: its retry resumes from the
 *   journal.
 * - `abandon()`: the write ended without needing the record (a refusal before any upstream write):
 *   a deferred record is not written.
 */
export interface OverlappedStep<T> {
  value: Promise<T>;
  record(): Promise<T>;
  abandon(): void;
}

class Abandoned extends Error {}

export function overlappedStep<T>(
  journal: StepJournal,
  step: string,
  action: () => Promise<T>,
  opts: { deferred?: boolean } = {},
): OverlappedStep<T> {
  let known!: (value: T) => void;
  const computedValue = new Promise<T>((resolve) => (known = resolve));
  let open!: (go: boolean) => void;
  const gate = opts.deferred ? new Promise<boolean>((resolve) => (open = resolve)) : Promise.resolve(true);
  let computed: { value: T } | undefined;
  const recorded = journal.run(step, async () => {
    const value = await action();
    computed = { value };
    known(value);
    if (!(await gate)) throw new Abandoned();
    return value;
  });
  // awaited through record(); this only keeps a failure before then from being "unhandled"
  recorded.catch(() => undefined);
  let checked: Promise<T> | undefined;
  return {
    value: Promise.race([computedValue, recorded]),
    record() {
      open?.(true);
      if (!checked) {
        checked = recorded.then((stored) => {
          if (computed && JSON.stringify(stored) !== JSON.stringify(computed.value)) throw raced(step);
          return stored;
        });
        // a caller may start the record now and await it later
        checked.catch(() => undefined);
      }
      return checked;
    },
    abandon() {
      open?.(false);
    },
  };
}

function raced(step: string): UpstreamError {
  return new UpstreamError({
    system: LMIS,
    transient: true,
    status: 503,
    code: 'conflict',
    diagnostics: `another attempt of this write recorded its '${step}' step first; retried from that record`,
  });
}
