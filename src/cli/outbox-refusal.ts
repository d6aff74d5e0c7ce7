import { InvalidArgumentError } from 'commander';
import { alreadyDueText, changedSinceText, movedUnder, type OperatorResult } from '../outbox/operator.js';
import { seenUpdatedAt } from '../outbox/seen-updated.js';

type Refused = Exclude<OperatorResult, { ok: true }>;

/**
 * `--updated-at <instant>` on `outbox retry|drop`: the job's updatedAt as `outbox show` printed it,
 * in epoch ms for the store's guard. Anything but an ISO 8601 instant is a usage error (exit 1),
 * never the action unguarded.
 */
export function updatedAtOption(value: string): number {
  try {
    return seenUpdatedAt(value)!;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/**
 * Why `outbox retry|drop` did nothing, in the admin API's words: with `--status`/`--updated-at`
 * (the job as the operator saw it), a job moved on since is named with its status now and what
 * moved it, as the API's 409 does.
 */
export function refusalText(id: string, r: Refused, action: 'retry' | 'drop'): string {
  switch (r.reason) {
    case 'not-found':
      return `no outbox job ${id}`;
    case 'superseded':
      return `job ${id} was refused and its identifier then taken by job ${r.by}; act on that job`;
    case 'overtaken':
      return `job ${id} is ${r.status}, and a later write of the same record (the same upstream object, by whatever id or code it was named) was accepted after it: retried, it would put the older version back; nothing was done`;
    case 'already-due':
      return alreadyDueText(id, r.movedBy);
    case 'changed':
      return changedSinceText(id, r);
    case 'wrong-status':
      if (r.expected)
        return `job ${id} is ${r.status} now, not ${r.expected} as given with --status, after ${r.movedBy}; nothing was done`;
      if (r.movedBy) return movedUnder(id, r.status, r.movedBy, action);
      if (action === 'retry') return `job ${id} is ${r.status}; only dead, rejected or pending jobs can be retried`;
      return r.status === 'done'
        ? `job ${id} is done: the upstream has the write, and its identifier stays taken so a resend is not applied twice`
        : `job ${id} is in flight; wait for the attempt to end`;
  }
}
