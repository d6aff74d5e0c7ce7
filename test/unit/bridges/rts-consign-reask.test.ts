/**
 * Which consignments the RTS bridge asks DHIS2 again by itself: refused for what a DHIS2
 * administrator fixes, within CONSIGN_REASK_MS of the first refusal; never one accepted, one
 * refused for its content, one superseded, or one past its window (left to the operator).
 */
import t from 'tap';
import { CONSIGN_REASK_MS, planConsignment, readAgain } from '../../../src/bridges/rts-consign-reask.js';
import { BusinessRuleError } from '../../../src/domain/errors.js';
import type { QueuedOutcome, WriteOutcome } from '../../../src/outbox/types.js';
import type { OutboxJob } from '../../../src/store/types.js';
import { adminFixedRefusal } from '../../../src/systems/dhis2/tracker-refusals.js';

const T0 = Date.UTC(2026, 11, 1, 4);

function job(status: OutboxJob['status'], createdAt: number, diagnostics: string[] = [], supersededBy?: string) {
  return {
    id: `job-${createdAt}`,
    flow: 'consign',
    system: 'dhis2',
    idempotencyKey: 'consign|shipment|S-1',
    payloadHash: 'h',
    payload: {},
    status,
    attempts: 1,
    nextAttemptAt: createdAt,
    createdAt,
    updatedAt: createdAt,
    ...(supersededBy ? { supersededBy } : {}),
    ...(status === 'rejected'
      ? {
          error: {
            name: 'Dhis2RejectionError',
            status: 422,
            issues: diagnostics.map((d) => ({ code: 'business-rule', diagnostics: d })),
          },
        }
      : {}),
  } as OutboxJob;
}

const SHARING = "… data write access in the program's sharing, then retry the job (DHIS2 E1091)";
const ASSIGNED = '… assigns the org unit to the program …, then retry the job (DHIS2 E1029)';
const VALUE = 'DHIS2 E1302: DataElement: `LkConsQty01`, value is not valid';

t.test('a refusal an administrator fixes: every issue must be one', async (t) => {
  t.equal(adminFixedRefusal([{ diagnostics: SHARING }]), 'E1091');
  t.equal(adminFixedRefusal([{ diagnostics: ASSIGNED }, { diagnostics: SHARING }]), 'E1029');
  t.equal(adminFixedRefusal([{ diagnostics: VALUE }]), undefined, 'a value DHIS2 refuses');
  t.equal(adminFixedRefusal([{ diagnostics: SHARING }, { diagnostics: VALUE }]), undefined, 'and a value too');
  t.equal(adminFixedRefusal([{ diagnostics: 'unknown org unit: …, then retry the job (DHIS2 E1011)' }]), undefined);
  t.equal(adminFixedRefusal([]), undefined);
});

t.test('plan: send, ask again within the window, leave to the operator', async (t) => {
  t.same(planConsignment([], T0), { kind: 'send' }, 'never written');
  t.same(planConsignment([job('done', T0)], T0 + 1), { kind: 'send' }, 'accepted: a duplicate, DHIS2 not asked');
  t.same(planConsignment([job('pending', T0)], T0 + 1), { kind: 'send' }, 'still on its way');
  const refused = [job('rejected', T0, [SHARING], 'job-2'), job('rejected', T0 + 86_400_000, [SHARING])];
  t.same(planConsignment(refused, T0 + 2 * 86_400_000), { kind: 'reask', until: T0 + CONSIGN_REASK_MS });
  t.same(
    planConsignment(refused, T0 + CONSIGN_REASK_MS),
    { kind: 'leave', job: refused[1] },
    'the window counts from the first refusal: past it, the operator retries the job',
  );
  t.same(planConsignment([job('rejected', T0, [VALUE])], T0 + 1), { kind: 'leave', job: job('rejected', T0, [VALUE]) });
  t.same(
    planConsignment([job('rejected', T0, [SHARING], 'job-9')], T0 + 1),
    { kind: 'send' },
    'superseded (an operator or another run took the key over): the outbox decides',
  );
});

t.test('read again: refused for what an administrator fixes, or still queued, within the window', async (t) => {
  const until = T0 + CONSIGN_REASK_MS;
  const refusal = (d: string): WriteOutcome => ({
    kind: 'rejected',
    jobId: 'j',
    error: new BusinessRuleError(d),
  });
  const queued = (status: OutboxJob['status']): QueuedOutcome => ({ kind: 'queued', jobId: 'j', status, reason: 'r' });
  t.equal(readAgain(refusal(SHARING), until, T0), true, 'refused now for its sharing');
  t.equal(readAgain(refusal(VALUE), until, T0), false, 'refused for a value: the operator');
  t.equal(readAgain(queued('pending'), until, T0), true, 'queued: DHIS2 may refuse it to the outbox worker');
  t.equal(readAgain(queued('in-flight'), until, T0), true, 'past the deadline, still being delivered');
  t.equal(readAgain(queued('dead'), until, T0), false, 'given up: the operator');
  t.equal(
    readAgain({ kind: 'duplicate', jobId: 'j', previous: queued('pending') }, until, T0),
    true,
    'read again while its job still waits',
  );
  t.equal(
    readAgain(
      { kind: 'duplicate', jobId: 'j', previous: { kind: 'done', jobId: 'j', result: { system: 's', ids: {} } } },
      until,
      T0,
    ),
    false,
    'done: the mark moves on',
  );
  t.equal(readAgain(queued('pending'), until, until), false, 'past the window: the mark moves on');
});
