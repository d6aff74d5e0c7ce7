/**
 * One deadline for a write's answer (routing/checks-deadline.ts): its delivery gets what its checks
 * left of outbox.deadlineMs, and the checks' time out names the systems they were still waiting on.
 */
import t from 'tap';
import { ChecksTooSlowError } from '../../../src/domain/errors.js';
import { withDeliveryDeadline, writeBudget } from '../../../src/routing/checks-deadline.js';
import { noteAsking, outsideAttempt } from '../../../src/upstream/attempt-scope.js';
import { ExpiringCache } from '../../../src/upstream/expiring-cache.js';
import type { AcceptWriteRequest } from '../../../src/outbox/types.js';

t.test('the delivery gets what the checks left of the deadline, never less than nothing', async (t) => {
  let now = 1_000;
  const budget = writeBudget(8_000, { now: () => now });
  now += 3_000; // the checks' reads
  t.equal(budget.deliveryMs(), 5_000);
  const request = (deadlineMs?: number): AcceptWriteRequest => ({
    flow: 'orders',
    system: 'openlmis',
    idempotencyKey: 'k',
    payload: {},
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  });
  t.same(
    withDeliveryDeadline([request(), request(1)], budget).map((r) => r.deadlineMs),
    [5_000, 1],
    "the system of record's job on what is left; a secondary's own deadline kept",
  );
  now += 9_000;
  t.equal(budget.deliveryMs(), 1, 'spent: its attempt starts, and the write is answered 202 with it under way');
  t.equal(writeBudget(0, { now: () => now }).deliveryMs(), 0, 'a deadline of 0 asks for no wait at all');
});

t.test('checks past the deadline: refused, naming whom they wait on, a shared fill among them', async (t) => {
  // a deadline of 0 asks for a 202 at once, not refusals: the checks get the floor (here 20 ms)
  const budget = writeBudget(0, { floorMs: 20 });
  let letGo!: () => void;
  const hung = new Promise<void>((resolve) => (letGo = resolve));
  t.teardown(letGo);
  const err = await budget
    .checked(async () => {
      const answered = noteAsking('openlmis');
      // a reference fill other writes share runs outside the attempt, and still counts as waited on
      await Promise.all([
        hung,
        outsideAttempt(async () => {
          const fill = noteAsking('dhis2');
          await hung;
          fill();
        }),
      ]);
      answered();
    })
    .catch((e: unknown) => e);
  t.ok(err instanceof ChecksTooSlowError, 'refused');
  t.same((err as ChecksTooSlowError).waitedOn, ['openlmis', 'dhis2']);
  t.equal((err as ChecksTooSlowError).status, 504);
  t.match(
    (err as ChecksTooSlowError).message,
    /waited more than 20 ms for openlmis, dhis2 \(outbox.deadlineMs 0 ms, at least 20\)/,
  );
});

t.test('checks in time answer their value', async (t) => {
  t.equal(await writeBudget(8_000).checked(async () => 'checked'), 'checked');
});

t.test("checks joining a fill another write's checks started: named too, the fill's system", async (t) => {
  // OpenHIM's rerun of a write answered 504 (or another write) meets the fill the first one left
  // running: its checks wait on that system as much as the first's did
  const cache = new ExpiringCache(() => 60_000);
  let letGo!: () => void;
  const hung = new Promise<void>((resolve) => (letGo = resolve));
  t.teardown(letGo);
  const programs = () =>
    cache.get('programs', async () => {
      const answered = noteAsking('openlmis');
      await hung;
      answered();
      return ['EM01'];
    });
  const first = writeBudget(0, { floorMs: 20 }).checked(programs);
  const second = writeBudget(0, { floorMs: 20 }).checked(programs);
  const [a, b] = await Promise.all([first.catch((e: unknown) => e), second.catch((e: unknown) => e)]);
  t.same((a as ChecksTooSlowError).waitedOn, ['openlmis'], 'the one that started it');
  t.same((b as ChecksTooSlowError).waitedOn, ['openlmis'], 'the one that joined it');
  letGo();
  t.same(await writeBudget(0, { floorMs: 20 }).checked(programs), ['EM01'], 'the fill, ended, serves the next');
});
