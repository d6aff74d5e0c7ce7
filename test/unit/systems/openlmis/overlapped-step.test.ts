import t from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { isTransient } from '../../../../src/domain/index.js';
import type { Store } from '../../../../src/store/types.js';
import { overlappedStep } from '../../../../src/systems/openlmis/requisition/overlapped-step.js';

/**
 * A store whose step records are held until `flush()` (a commit whose fsync has not returned), with
 * journal.ts's rule that the first record of a step wins. The journal is the real StoreStepJournal.
 */
function slowStore(recorded: Record<string, unknown> = {}) {
  const steps = new Map(Object.entries(recorded));
  const puts: string[] = [];
  let held: (() => void)[] = [];
  const store = {
    async listSteps() {
      return [...steps].map(([step, result]) => ({ jobId: 'j', step, result, at: 0 }));
    },
    putStep(_job: string, step: string, result: unknown) {
      puts.push(step);
      return new Promise((resolve) =>
        held.push(() => {
          if (!steps.has(step)) steps.set(step, result);
          resolve(steps.get(step));
        }),
      );
    },
  } as unknown as Store;
  return {
    store,
    puts,
    steps,
    flush() {
      const now = held;
      held = [];
      for (const done of now) done();
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test("a step's value is used before its record is on disk, and record() waits for the record", async (t) => {
  const s = slowStore();
  const step = overlappedStep(new StoreStepJournal(s.store, { id: 'j' }, true), 'fill', async () => ({ status: 'X' }));
  t.same(await step.value, { status: 'X' }, 'the value is there while the record is still held');
  await tick();
  t.same(s.puts, ['fill'], 'the record was started without being asked for');
  let done = false;
  const recording = step.record().then(() => (done = true));
  await tick();
  t.notOk(done, 'record() has not settled before the commit');
  s.flush();
  await recording;
  t.same(s.steps.get('fill'), { status: 'X' }, 'the record holds the value');
});

t.test('a deferred record starts only when asked for, so it can share a commit', async (t) => {
  const s = slowStore();
  const step = overlappedStep(
    new StoreStepJournal(s.store, { id: 'j' }, true),
    'find-period',
    async () => ({ periodId: 'P1' }),
    { deferred: true },
  );
  t.same(await step.value, { periodId: 'P1' });
  await tick();
  t.same(s.puts, [], 'nothing written before record()');
  const recording = step.record();
  await tick();
  t.same(s.puts, ['find-period'], 'written once asked for');
  s.flush();
  t.same(await recording, { periodId: 'P1' });
});

t.test('an abandoned deferred step writes nothing', async (t) => {
  const s = slowStore();
  const step = overlappedStep(new StoreStepJournal(s.store, { id: 'j' }, true), 'find-period', async () => 1, {
    deferred: true,
  });
  t.equal(await step.value, 1);
  step.abandon();
  await tick();
  t.same(s.puts, [], 'no record');
  t.notOk(s.steps.has('find-period'));
});

t.test('a step recorded by an earlier attempt gives that value without running the action', async (t) => {
  const s = slowStore({ 'find-period': { periodId: 'P0' } });
  let ran = false;
  const step = overlappedStep(
    new StoreStepJournal(s.store, { id: 'j' }),
    'find-period',
    async () => {
      ran = true;
      return { periodId: 'P9' };
    },
    { deferred: true },
  );
  t.same(await step.value, { periodId: 'P0' }, 'the journal wins');
  t.same(await step.record(), { periodId: 'P0' }, 'record() settles at once');
  t.notOk(ran, 'the action did not run');
  t.same(s.puts, [], 'nothing written again');
});

t.test('another attempt recording a different value first stops this one with a transient error', async (t) => {
  const s = slowStore();
  const journal = new StoreStepJournal(s.store, { id: 'j' }, true);
  const step = overlappedStep(journal, 'find-period', async () => ({ periodId: 'P1' }));
  t.same(await step.value, { periodId: 'P1' });
  s.steps.set('find-period', { periodId: 'P2' }); // a stale attempt's record landed first
  const recording = step.record();
  await tick();
  s.flush();
  const err = await recording.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isTransient(err), 'transient: the retry resumes from the journal');
  t.match(String((err as Error).message), /recorded its 'find-period' step first/);
});

t.test('a failing action fails the value and writes nothing', async (t) => {
  const s = slowStore();
  const step = overlappedStep(new StoreStepJournal(s.store, { id: 'j' }, true), 'fill', async () => {
    throw new Error('upstream down');
  });
  await t.rejects(step.value, /upstream down/);
  await t.rejects(step.record(), /upstream down/);
  t.same(s.puts, []);
});
