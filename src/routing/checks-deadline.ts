import { ChecksTooSlowError } from '../domain/errors.js';
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
 * One budget for a write's answer, outbox.deadlineMs, from the start of its checks: the checks a
 * write makes before it is recorded (a cold cache behind a slow OpenLMIS: about five calls) count
 * against it, and its delivery gets what they left. Without it the answer came up to the checks'
 * time later than the deadline an operator keeps under OpenHIM's channel timeout, and core gave up
 * first: its console showed its own timeout, no word of which system was slow.
 */
export interface WriteBudget {
  /** `checks` (reads only: nothing recorded) within the budget, or ChecksTooSlowError naming whom they waited on. */
  checked<T>(checks: () => Promise<T>): Promise<T>;
  /** What is left of the deadline for the delivery: at least 1 ms, so its attempt starts (0 for a deadline of 0). */
  deliveryMs(): number;
}

export function writeBudget(
  deadlineMs: number,
  { now = Date.now, floorMs = CHECKS_FLOOR_MS }: { now?: () => number; floorMs?: number } = {},
): WriteBudget {
  const start = now();
  return {
    checked: (checks) => checkedWithin(checks, Math.max(deadlineMs, floorMs), deadlineMs),
    // spent, the attempt still starts (1 ms, as a secondary target's): answered 202 with it under
    // way, not queued untried for the worker; a deadline of 0 asks for no wait at all
    deliveryMs: () => (deadlineMs === 0 ? 0 : Math.max(1, deadlineMs - (now() - start))),
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
async function checkedWithin<T>(checks: () => Promise<T>, ms: number, deadlineMs: number): Promise<T> {
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
  const done = await withinDeadline(run, ms);
  if (done) return done.value;
  // a fill another write started, joined: its calls are not this scope's, but it waits on them
  const joinedOn = [...joined].flatMap((load) => load.waitingOn());
  throw new ChecksTooSlowError([...new Set([...waiting.keys(), ...joinedOn])], ms, deadlineMs);
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

/** The write's jobs, those on the outbox's deadline (the system of record's) given what the checks left of it. */
export function withDeliveryDeadline(requests: AcceptWriteRequest[], budget: WriteBudget): AcceptWriteRequest[] {
  const left = budget.deliveryMs();
  return requests.map((r) => (r.deadlineMs === undefined ? { ...r, deadlineMs: left } : r));
}
