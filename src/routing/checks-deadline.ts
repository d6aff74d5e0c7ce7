import { ChecksTooSlowError, ReadTooSlowError } from '../domain/errors.js';
import type { Outbox } from '../outbox/outbox.js';
import type { AcceptWriteRequest } from '../outbox/types.js';
import { withinDeadline } from '../platform/deadline.js';
import { runInAttempt, type AttemptScope, type SharedLoad } from '../upstream/attempt-scope.js';

/**
 * The least time a write's checks (its reference reads before it is recorded) are given, whatever
 * outbox.deadlineMs: a deadline of 0 asks for a 202 as soon as the write is recorded, not for
 * every write to be refused because checking it takes a few calls.
 */
export const CHECKS_FLOOR_MS = 5_000;

/**
 * A bound on a write's checks before it is recorded (its reference reads: a cold cache behind a slow
 * OpenLMIS, about five calls): outbox.deadlineMs, given at least CHECKS_FLOOR_MS. Without it the
 * answer came whenever the reads ended, past OpenHIM's channel timeout on a bad day, and core gave up
 * first: its console showed its own timeout, no word of which system was slow. The delivery still
 * gets the whole deadline after them (its outbox default): sharing one budget turned healthy but
 * slow writes into 202s (a warm OpenLMIS order needed calls under 1.6 s where 2.7 s did), so the
 * answer comes within the checks' bound plus the deadline.
 */
export interface WriteBudget {
  /**
   * `checks` (reads only: nothing recorded) within the bound, or ChecksTooSlowError naming whom
   * they waited on. `since` (performance.now()): when the reads the write rests on began (the
   * edge's read of what a change is made to, a batch's start): the bound counts from then.
   */
  checked<T>(checks: () => Promise<T>, since?: number): Promise<T>;
  /**
   * How long a write whose reads began at `since` still waits on its delivery: the deadline, but
   * never past the bound plus the deadline counted from `since` (a batch's later entries), at
   * least 1 ms (answered with the delivery under way). Undefined: the outbox's own deadline.
   */
  deliveryWait(since: number | undefined): number | undefined;
  /**
   * A batch's read entry (nothing recorded) within what is left of the batch's time from `since`,
   * the bound plus the deadline its writes are answered within (deliveryWait), or
   * ReadTooSlowError naming whom it waited on.
   */
  answered<T>(reads: () => Promise<T>, since: number): Promise<T>;
}

export function writeBudget(deadlineMs: number, { floorMs = CHECKS_FLOOR_MS }: { floorMs?: number } = {}): WriteBudget {
  const boundMs = Math.max(deadlineMs, floorMs);
  const elapsed = (since: number | undefined) => (since === undefined ? 0 : performance.now() - since);
  return {
    checked: (checks, since) =>
      checkedWithin(checks, boundMs - elapsed(since), (on) => new ChecksTooSlowError(on, boundMs, deadlineMs)),
    deliveryWait: (since) =>
      since === undefined ? undefined : Math.max(1, Math.min(deadlineMs, boundMs + deadlineMs - elapsed(since))),
    answered: (reads, since) =>
      checkedWithin(
        reads,
        boundMs + deadlineMs - elapsed(since),
        (on) => new ReadTooSlowError(on, boundMs + deadlineMs),
      ),
  };
}

/** A write's budget on the outbox's deadline in force; none for a test's stand-in outbox without options. */
export function writeBudgetOf(outbox: Partial<Outbox>): WriteBudget | undefined {
  const deadlineMs = outbox.options?.deadlineMs;
  return deadlineMs === undefined ? undefined : writeBudget(deadlineMs);
}

/**
 * `checks` run as an attempt of their own (attempt-scope.ts) that only counts which systems they
 * wait on, a cache fill another write started and they joined included (its calls are not theirs,
 * yet a rerun meeting the fill the first try left running waits on them as much): nothing of an
 * outbox attempt's (no signal, no abandon), so reads left running when the time is up go on and
 * fill the caches a rerun then finds warm.
 */
async function checkedWithin<T>(
  checks: () => Promise<T>,
  leftMs: number,
  tooSlow: (waitedOn: string[]) => Error,
): Promise<T> {
  const waiting = new Map<string, number>();
  const joined = new Set<SharedLoad<unknown>>();
  const scope: AttemptScope = {
    abandonedBy: undefined,
    // set, so a shared cache fill (outsideAttempt) still tells this scope whom it waits on
    calling: () => undefined,
    asking: (system) => waiting.set(system, (waiting.get(system) ?? 0) + 1),
    ended: (system) => {
      const n = (waiting.get(system) ?? 1) - 1;
      if (n > 0) waiting.set(system, n);
      else waiting.delete(system);
    },
    joining: (load) => {
      joined.add(load);
      const left = () => joined.delete(load);
      load.value.then(left, left);
    },
  };
  const run = runInAttempt(scope, checks).then((value) => ({ value }));
  // past the bound already (a batch's later entry): not raced, so its failure is handled here
  run.catch(() => undefined);
  const done = await withinDeadline(run, leftMs);
  if (done) return done.value;
  // a fill another write started, joined: its calls are not this scope's, but it waits on them
  const joinedOn = [...joined].flatMap((load) => load.waitingOn());
  throw tooSlow([...new Set([...waiting.keys(), ...joinedOn])]);
}

/**
 * A single write whose checks outlast the budget once it is revised (its own record read): its
 * system answers no sooner than one that is down, and is treated as one (a single write is still
 * accepted when its system cannot be asked, its delivery checks it again): recorded and queued, a
 * 202 within the deadline. Refusing it instead (a 504, nothing recorded) left a mobile app with an
 * order it had to keep and send again through a system that hangs rather than fails. Not revised
 * yet (that read itself hangs) there is nothing to queue: the 504 stands, as for a transaction of
 * several writes, which is refused whole when its entries cannot all be checked.
 */
export function uncheckedIfSlow<T>(err: unknown, revised: T | undefined): T {
  if (err instanceof ChecksTooSlowError && revised !== undefined) return revised;
  throw err;
}

/**
 * `checks` within the write's budget (none: as they are), answered unchecked when they ran out
 * once `revised()` has the write to queue (uncheckedIfSlow): one place for a single write and a
 * transaction, which differ only in what they can queue. The revision (the outbox's own records,
 * no system asked) is waited for when the time ran out before it ended: a batch's later entry
 * starts with its time spent, and is queued as the first one was, not refused for it.
 */
export async function checkedOrQueued<T>(
  budget: WriteBudget | undefined,
  checks: () => Promise<T>,
  revised: () => Promise<T | undefined> | undefined,
  since?: number,
): Promise<{ value: T; unchecked: boolean }> {
  if (!budget) return { value: await checks(), unchecked: false };
  try {
    return { value: await budget.checked(checks, since), unchecked: false };
  } catch (err) {
    const queued = err instanceof ChecksTooSlowError ? await revised()?.catch(() => undefined) : undefined;
    return { value: uncheckedIfSlow(err, queued), unchecked: true };
  }
}

/**
 * The jobs of a write queued unchecked (uncheckedIfSlow): its system has just kept its checks
 * waiting past the deadline, so the delivery is not waited on (1 ms, as a secondary target's: its
 * attempt starts, the answer is a 202 with it under way); a job with its own deadline keeps it.
 */
export function answeredAtOnce(requests: AcceptWriteRequest[]): AcceptWriteRequest[] {
  return answeredWithin(requests, 1);
}

/** The jobs of a write waited on `ms` at most (WriteBudget.deliveryWait; undefined: the outbox's deadline); a job with its own deadline keeps it. */
export function answeredWithin(requests: AcceptWriteRequest[], ms: number | undefined): AcceptWriteRequest[] {
  if (ms === undefined) return requests;
  return requests.map((r) => (r.deadlineMs === undefined ? { ...r, deadlineMs: ms } : r));
}
