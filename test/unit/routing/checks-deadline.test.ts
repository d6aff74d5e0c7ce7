/**
 * A bound on a write's checks before it is recorded (routing/checks-deadline.ts): outbox.deadlineMs,
 * given at least the floor; their time out names the systems they were still waiting on. A single
 * write whose checks run out once it is revised is queued unchecked, its delivery not waited on;
 * one not yet revised, or a transaction of several, keeps the refusal.
 */
import t from 'tap';
import { ChecksTooSlowError, ReadTooSlowError } from '../../../src/domain/errors.js';
import {
  answeredAtOnce,
  answeredWithin,
  checkedOrQueued,
  uncheckedIfSlow,
  writeBudget,
} from '../../../src/routing/checks-deadline.js';
import { noteAsking, outsideAttempt } from '../../../src/upstream/attempt-scope.js';
import { ExpiringCache } from '../../../src/upstream/expiring-cache.js';
import type { AcceptWriteRequest } from '../../../src/outbox/types.js';

t.test('a write queued unchecked: its own job answered at once, a secondary keeps its deadline', async (t) => {
  const request = (deadlineMs?: number): AcceptWriteRequest => ({
    flow: 'orders',
    system: 'openlmis',
    idempotencyKey: 'k',
    payload: {},
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  });
  t.same(
    answeredAtOnce([request(), request(250)]).map((r) => r.deadlineMs),
    [1, 250],
    "the system of record's job starts and is not waited on; a secondary's own deadline kept",
  );
  const slow = new ChecksTooSlowError(['openlmis'], 5_000, 0);
  t.equal(uncheckedIfSlow(slow, 'revised'), 'revised', 'revised, then too slow: queued unchecked');
  t.throws(() => uncheckedIfSlow(slow, undefined), slow, 'not revised yet: nothing to queue, refused');
  const refused = new Error('unknown facility');
  t.throws(() => uncheckedIfSlow(refused, 'revised'), refused, 'a refusal is no slowness');
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

t.test('checks counted from when the reads began: a bound spent before them refuses at once', async (t) => {
  // a bound no test waits out: before, `since` was not counted and this hung
  const budget = writeBudget(0, { floorMs: 600_000 });
  const spent = performance.now() - 600_000;
  const err = await budget.checked(() => new Promise<never>(() => undefined), spent).catch((e: unknown) => e);
  t.ok(err instanceof ChecksTooSlowError, 'refused without waiting');
  t.match((err as ChecksTooSlowError).message, /waited more than 600000 ms/, 'naming the whole bound');
  t.equal(await budget.checked(async () => 'checked', performance.now()), 'checked', 'begun now: in time');
});

t.test("a batch's later entry, its bound spent: queued unchecked once revised, not refused", async (t) => {
  const budget = writeBudget(0, { floorMs: 600_000 });
  const spent = performance.now() - 600_000;
  let revising: Promise<string> | undefined;
  const checks = async () => {
    revising = Promise.resolve('revised');
    await revising;
    return new Promise<string>(() => undefined); // its system hangs
  };
  t.same(await checkedOrQueued(budget, checks, () => revising, spent), { value: 'revised', unchecked: true });
  const refused = checkedOrQueued(
    budget,
    () => new Promise<string>(() => undefined),
    () => undefined,
    spent,
  );
  await t.rejects(refused, ChecksTooSlowError, 'nothing revised to queue: refused');
});

t.test("the delivery's wait: the deadline, never past the bound and the deadline from the reads' start", async (t) => {
  const budget = writeBudget(1_000, { floorMs: 600_000 });
  t.equal(budget.deliveryWait(undefined), undefined, "no start: the outbox's own deadline");
  t.equal(budget.deliveryWait(performance.now()), 1_000, 'begun now: the whole deadline after the checks');
  t.equal(budget.deliveryWait(performance.now() - 700_000), 1, 'spent: answered with the delivery under way');
  t.same(
    answeredWithin([{ flow: 'orders', system: 'openlmis', idempotencyKey: 'k', payload: {} }], 40).map(
      (r) => r.deadlineMs,
    ),
    [40],
  );
});

t.test("a batch's read: within the bound plus the deadline from the batch's start, not the bound alone", async (t) => {
  const budget = writeBudget(200_000, { floorMs: 600_000 });
  const pastBound = performance.now() - 700_000;
  await t.rejects(
    budget.checked(() => Promise.resolve('read'), pastBound),
    ChecksTooSlowError,
    "a write's checks: spent",
  );
  t.equal(await budget.answered(() => Promise.resolve('read'), pastBound), 'read', 'a read: time left');
  const err = await budget
    .answered(() => new Promise<never>(() => undefined), performance.now() - 900_000)
    .catch((e: unknown) => e);
  t.type(err, ReadTooSlowError, 'past both: refused at once');
  t.match((err as ReadTooSlowError).issues, [{ code: 'timeout', diagnostics: /800000 ms.*read it again/ }]);
});
