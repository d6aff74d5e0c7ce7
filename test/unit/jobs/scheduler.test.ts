/**
 * The scheduler on real timers with per-second cron expressions: a job runs on its tick (not
 * before, not late), a failure is recorded with the error masked, a changed expression re-arms at
 * once, a run by hand while the job runs is refused, and an ok run's detail (what it left behind)
 * is kept masked and shown; a tick met by the database away is tried again until it is back.
 * SQLite (one process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { runView } from '../../../src/admin/jobs-routes.js';
import { printTable } from '../../../src/cli/jobs.js';
import {
  ABANDONED,
  interruptedDetail,
  Scheduler,
  StoppedPartWay,
  type ScheduledJob,
} from '../../../src/jobs/scheduler.js';
import { MASK, processRedactor } from '../../../src/platform/redaction.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { waitFor } from '../../support/wait-for.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tempStore(t: { teardown(fn: () => unknown): void }): Promise<Store> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobs-scheduler-'));
  const store = await openStore({ dataDir: dir });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

function job(name: string, run: ScheduledJob['run']): ScheduledJob {
  return { name, setting: `schedules.${name}`, description: name, run };
}

t.test('a per-second job runs on each tick, on time, each tick once', async (t) => {
  const store = await tempStore(t);
  const calledAt: number[] = [];
  const j = job('tick', async () => {
    calledAt.push(Date.now());
    return { counts: { n: calledAt.length } };
  });
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => '* * * * * *' });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  await waitFor('three runs', () => calledAt.length >= 3);
  await scheduler.stop();
  const runs = (await store.listJobRuns('tick')).reverse();
  t.equal(runs.length, calledAt.length, 'every call recorded');
  runs.forEach((r, i) => {
    t.equal(r.trigger, 'schedule');
    t.equal(r.tickAt! % 1000, 0, 'the tick is a whole second');
    t.ok(calledAt[i] >= r.tickAt!, `run ${i} not before its tick`);
    // on time: before the next tick is due. No tighter: a run later than that would leave its
    // successor's tick skipped, which the consecutive ticks below rule out already
    t.ok(calledAt[i] < r.tickAt! + 1000, `run ${i} before the next tick (${calledAt[i] - r.tickAt!} ms after its own)`);
    t.equal(r.outcome, 'ok');
    t.same(r.counts, { n: i + 1 }, 'the counts the job returned');
    t.ok(r.endedAt! >= r.startedAt, 'end after start');
    if (i > 0) t.equal(r.tickAt! - runs[i - 1].tickAt!, 1000, 'consecutive ticks, none skipped or repeated');
  });
});

t.test('a failing job records a failed run with the error masked; the next tick runs again', async (t) => {
  const store = await tempStore(t);
  processRedactor.learn('sched-secret-4411');
  let calls = 0;
  const j = job('fails', async () => {
    calls += 1;
    throw new Error('upstream said: wrong password sched-secret-4411');
  });
  const errors: object[] = [];
  const logger = { warn: () => {}, error: (o: object) => void errors.push(o) };
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => '* * * * * *', logger });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  await waitFor(
    'two failed runs',
    async () => (await store.listJobRuns('fails')).filter((r) => r.outcome === 'failed').length >= 2,
  );
  await scheduler.stop();
  const [last] = await store.listJobRuns('fails');
  t.equal(last.outcome, 'failed');
  t.equal(last.detail, `upstream said: wrong password ${MASK}`, 'the stored error is masked');
  t.ok(last.endedAt !== undefined, 'a failed run has its end');
  t.notMatch(JSON.stringify(errors), /sched-secret-4411/, 'nor is the secret logged');
  t.ok(calls >= 2, 'a failure does not stop the schedule');
});

t.test('a changed expression re-arms at once; an emptied one stops the job', async (t) => {
  const store = await tempStore(t);
  let expression: string | undefined = '0 0 1 1 *'; // once a year
  let calls = 0;
  const j = job('live', async () => {
    calls += 1;
  });
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => expression });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  const [yearly] = scheduler.describe();
  t.equal(new Date(yearly.nextRunAt!).getMonth(), 0, 'next run: a 1st of January');
  t.ok(yearly.nextRunAt! - Date.now() > 1000, 'not before a second from now');
  await sleep(1200);
  t.equal(calls, 0, 'nothing runs on the yearly schedule');

  expression = '* * * * * *';
  scheduler.refresh();
  const [perSecond] = scheduler.describe();
  t.equal(perSecond.schedule, '* * * * * *');
  t.ok(perSecond.nextRunAt! - Date.now() <= 1000, 'next run within a second');
  await waitFor('a run on the new schedule', () => calls >= 1, 2500);

  expression = undefined;
  scheduler.refresh();
  await sleep(50); // a run that had started finishes
  const after = calls;
  await sleep(1300);
  t.equal(calls, after, 'no run once the schedule is removed');
  t.notOk(scheduler.describe()[0].nextRunAt, 'no next run shown');
});

t.test('a run by hand is recorded as manual; while the job runs another one is refused', async (t) => {
  const store = await tempStore(t);
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const j = job('slow', async () => {
    await gate;
    return { counts: { done: 1 } };
  });
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => '0 0 1 1 *' });
  const first = scheduler.runNow('slow');
  await waitFor('the run to start', async () => (await store.listJobRuns('slow')).length === 1);
  t.same(
    await scheduler.runNow('slow'),
    { status: 'busy', byHand: true },
    'a second run while the first (by hand) goes',
  );
  release();
  const done = await first;
  t.equal(done?.status, 'ran');
  t.match(done?.run, { trigger: 'manual', outcome: 'ok', counts: { done: 1 } });
  t.equal(done?.run?.tickAt, undefined, 'a manual run has no tick');
  t.equal(await scheduler.runNow('nope'), undefined, 'unknown job');
  t.equal((await store.listJobRuns('slow')).length, 1, 'the refused run left no record');
});

t.test('a run left "running" by an instance that stopped is closed as abandoned by the next run', async (t) => {
  const store = await tempStore(t);
  // what a killed instance leaves: a started run that never ended
  const dead = await store.startJobRun({
    name: 'crashy',
    tickAt: 1_000,
    trigger: 'schedule',
    instance: 'gone:1',
    startedAt: 1_000,
  });
  t.equal(dead?.outcome, 'running');
  const j = job('crashy', async () => ({ counts: { ok: 1 } }));
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => '0 0 1 1 *' });
  const done = await scheduler.runNow('crashy');
  t.equal(done?.status, 'ran');
  const [latest, old] = await store.listJobRuns('crashy');
  t.equal(latest.id, done?.run?.id);
  t.match(
    old,
    { id: dead!.id, outcome: 'failed', detail: ABANDONED, instance: 'gone:1' },
    'the dead run is closed, not left running',
  );
  t.ok(old.endedAt! >= done!.run!.startedAt - 1000, 'closed when the next run started');
});

t.test('stop() asks a run under way to stop and records it interrupted, with how far it got', async (t) => {
  const store = await tempStore(t);
  let began = false;
  // a job that writes page by page and checks its signal between pages (as propagate does)
  const j = job('paged', async (signal) => {
    began = true;
    let pages = 0;
    for (;;) {
      if (signal!.aborted) throw new StoppedPartWay(signal!.reason, { pages });
      await sleep(20);
      pages++;
    }
  });
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => undefined });
  const outcome = scheduler.runNow('paged');
  await waitFor('the run to begin', () => began);
  await scheduler.stop('SIGTERM');
  t.equal((await outcome)?.status, 'failed', 'the run by hand answers once stopped');
  const [run] = await store.listJobRuns('paged');
  t.equal(run.outcome, 'failed');
  t.equal(run.detail, interruptedDetail('SIGTERM'), 'said the stop ended it, before its next write');
  t.same(Object.keys(run.counts ?? {}), ['pages'], 'with the counts it had reached');

  // a job held where it cannot look at its signal (an upstream call): cut once the grace is over
  let upstreamAnswers!: () => void;
  let wroteLocked: boolean | undefined;
  const held = job('held', async () => {
    await new Promise<void>((resolve) => (upstreamAnswers = resolve));
    wroteLocked = lockHeld; // the write it makes after its upstream call
    return {};
  });
  // the job's advisory lock observable (PostgreSQL's is another instance's way in once released)
  let lockHeld = false;
  const withAdvisoryLock = store.withAdvisoryLock.bind(store);
  store.withAdvisoryLock = (async (name: string, fn: (signal: AbortSignal) => Promise<unknown>) =>
    withAdvisoryLock(name, async (signal) => {
      lockHeld = true;
      try {
        return await fn(signal);
      } finally {
        lockHeld = false;
      }
    })) as Store['withAdvisoryLock'];
  const cutting = new Scheduler({ store, jobs: [held], expression: () => undefined, stopGraceMs: 200 });
  const cut = cutting.runNow('held');
  await waitFor('the held run to be recorded', async () => (await store.listJobRuns('held')).length > 0);
  await cutting.stop('SIGINT');
  t.equal((await cut)?.status, 'failed', 'stop() and the run by hand hear the end without waiting for the work');
  const [cutRun] = await store.listJobRuns('held');
  t.equal(cutRun.detail, interruptedDetail('SIGINT', 200), 'said it was cut, and after how long');
  t.ok(lockHeld, "the cut run keeps its job's lock while its work goes on");
  t.equal((await cutting.runNow('held'))?.status, 'busy', 'and the job stays busy here');
  upstreamAnswers();
  await waitFor('the work to end', () => wroteLocked !== undefined);
  t.equal(wroteLocked, true, 'its late write is made with the lock still held');
  await waitFor('the lock to go once the work has stopped', () => !lockHeld);
});

t.test("closeAbandonedRuns closes every job's runs a dead process left running, at once", async (t) => {
  const store = await tempStore(t);
  const left = [];
  for (const name of ['monthly', 'daily'])
    left.push(await store.startJobRun({ name, trigger: 'manual', instance: 'gone:2', startedAt: 1_000 }));
  const scheduler = new Scheduler({
    store,
    jobs: [job('monthly', async () => undefined), job('daily', async () => undefined)],
    expression: () => '0 0 1 * *',
  });
  t.equal(await scheduler.closeAbandonedRuns(5_000), 2, 'both closed');
  for (const name of ['monthly', 'daily'])
    t.match(await store.listJobRuns(name), [{ outcome: 'failed', detail: ABANDONED, endedAt: 5_000 }], name);
  t.equal(await scheduler.closeAbandonedRuns(), 0, 'nothing left to close');
  t.ok(left.every(Boolean));
});

t.test('an ok run that left something behind keeps why: masked, bounded, shown by /admin/jobs', async (t) => {
  const store = await tempStore(t);
  processRedactor.learn('sched-secret-7720');
  const held = [
    'held: requisition event ev1 of facility LK-HC-104: no supplying-store rule matched',
    'not read: shipments of store LK-WH-399: Basic sched-secret-7720 refused',
  ].join('\n');
  let detail: string | undefined = held;
  const j = job('leaves', async () => ({ counts: { held: 1 }, ...(detail ? { detail } : {}) }));
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => undefined });
  const done = await scheduler.runNow('leaves');
  t.equal(done?.status, 'ran', 'a detail does not make the run anything but ok');
  const [run] = await store.listJobRuns('leaves');
  t.equal(run.outcome, 'ok');
  t.equal(run.detail, held.replace('sched-secret-7720', MASK), 'kept with the run, the secret masked');
  t.match(runView(run), {
    outcome: 'ok',
    detail: /^held: requisition event ev1 .*\nnot read: shipments of store LK-WH-399/,
  });
  t.notOk('error' in runView(run), 'not shown as an error');

  const out = new PassThrough();
  let printed = '';
  out.on('data', (d: Buffer) => (printed += String(d)));
  printTable(
    [{ name: 'leaves', setting: 's', schedule: null, nextRun: null, description: '', lastRuns: [runView(run)] }],
    out,
  );
  t.match(
    printed,
    /ok {2}held=1\n {4}held: requisition event ev1 of facility LK-HC-104: no supplying-store rule matched\n {4}not read:/,
    'the CLI prints each line under the run',
  );

  detail = 'x'.repeat(5000);
  await scheduler.runNow('leaves');
  const [long] = await store.listJobRuns('leaves');
  t.equal(long.detail!.length, 2000, 'a long detail is cut to the limit');
  t.ok(long.detail!.endsWith('…'), 'and says so');

  // a stock bridge run's detail: one line per facility and period, each with what to change
  const refused = Array.from(
    { length: 13 },
    (_, i) =>
      `2026${String(i).padStart(2, '0')} openlmis facility LK-HC-${100 + i}: DHIS2 refused the values: ${'why and what to change, '.repeat(14)}then retry the job (DHIS2 E7640)`,
  );
  detail = refused.join('\n');
  await scheduler.runNow('leaves');
  const [many] = await store.listJobRuns('leaves');
  const lines = many.detail!.split('\n');
  t.ok(many.detail!.length <= 2000, 'a detail of many lines is bounded too');
  const kept = lines.slice(0, -1);
  t.ok(kept.length > 0, 'it keeps the first lines');
  t.same(kept, refused.slice(0, kept.length), 'whole lines, none cut in the middle');
  t.equal(
    lines.at(-1),
    `… ${refused.length - kept.length} more line(s) not kept with the run`,
    'and says how many it left out',
  );

  detail = undefined;
  await scheduler.runNow('leaves');
  const [clean] = await store.listJobRuns('leaves');
  t.equal(clean.detail, undefined, 'nothing left behind: no detail');
  t.notOk('detail' in runView(clean));
});

t.test('a tick that woke before stop() but had not begun its run does not begin it', async (t) => {
  const store = await tempStore(t);
  // the tick's preamble waits (another instance's lock, a group commit): stop() comes meanwhile
  let releaseAbandon!: () => void;
  const abandonHeld = new Promise<void>((r) => (releaseAbandon = r));
  let abandonCalls = 0;
  const abandonJobRuns = store.abandonJobRuns.bind(store);
  store.abandonJobRuns = async (...args) => {
    abandonCalls++;
    await abandonHeld;
    return abandonJobRuns(...args);
  };
  let ran = 0;
  const scheduler = new Scheduler({
    store,
    jobs: [job('late', async () => void ran++)],
    expression: () => '* * * * * *',
  });
  scheduler.start();
  await waitFor('the tick to wake', () => abandonCalls > 0);
  const stopped = scheduler.stop();
  releaseAbandon();
  await stopped;
  t.equal(ran, 0, 'the job did not run');
  t.same(await store.listJobRuns('late'), [], 'no run recorded');

  // a tick called directly (a run by hand, a test) on a scheduler never started still runs
  const fresh = new Scheduler({ store, jobs: [job('direct', async () => void ran++)], expression: () => undefined });
  t.equal((await fresh.tick(fresh.job('direct')!, 1000)).status, 'ran');
  t.equal(ran, 1);
});

t.test('a tick met by the database away is tried again until it is back, and runs once', async (t) => {
  const store = await tempStore(t);
  // PostgreSQL restarting at the tick: the lock cannot even be asked for (pg's words for a cut connection)
  let refusals = 3;
  const withAdvisoryLock = store.withAdvisoryLock.bind(store);
  store.withAdvisoryLock = (async (...args: Parameters<Store['withAdvisoryLock']>) => {
    if (refusals > 0) {
      refusals--;
      throw new Error('Connection terminated unexpectedly');
    }
    return withAdvisoryLock(...args);
  }) as Store['withAdvisoryLock'];
  const { lines, logger } = capturingLogger();
  const calls: number[] = [];
  // once a minute, its tick two seconds from now: the next one is a minute off
  const second = new Date(Date.now() + 2_000).getSeconds();
  const scheduler = new Scheduler({
    store,
    logger,
    awayRetryMs: 100,
    jobs: [job('monthly', async () => void calls.push(Date.now()))],
    expression: () => `${second} * * * * *`,
  });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  await waitFor('the run once the database is back', () => calls.length > 0, 15_000);
  await scheduler.stop();
  t.equal(refusals, 0, 'tried again after each refusal');
  const runs = await store.listJobRuns('monthly');
  t.equal(runs.length, 1, 'one run');
  t.equal(new Date(runs[0].tickAt!).getSeconds(), second, 'for the tick the database was away for');
  t.equal(runs[0].outcome, 'ok');
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['warn', 'the database is away: the tick is tried again until it is back'],
      ['info', 'the database is back: the tick was taken up again'],
    ],
    'said once, not at each try',
  );
});

t.test('a tick that fails otherwise is not tried again: the next tick runs', async (t) => {
  const store = await tempStore(t);
  let refusals = 1;
  const withAdvisoryLock = store.withAdvisoryLock.bind(store);
  store.withAdvisoryLock = (async (...args: Parameters<Store['withAdvisoryLock']>) => {
    if (refusals > 0) {
      refusals--;
      throw new TypeError("Cannot read properties of undefined (reading 'id')");
    }
    return withAdvisoryLock(...args);
  }) as Store['withAdvisoryLock'];
  const { lines, logger } = capturingLogger();
  const scheduler = new Scheduler({
    store,
    logger,
    awayRetryMs: 100,
    jobs: [job('buggy', async () => undefined)],
    expression: () => '* * * * * *',
  });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  await waitFor('a later tick to run', async () => (await store.listJobRuns('buggy')).length > 0);
  await scheduler.stop();
  t.match(lines[0], { level: 'error', msg: 'scheduler tick failed' }, 'said as the bug it is');
  t.equal(lines.filter((l) => l.level === 'warn').length, 0, 'no "tried again"');
});

t.test('a run whose end meets the database away is recorded as it ended once it is back', async (t) => {
  const store = await tempStore(t);
  let refusals = 3;
  const finishJobRun = store.finishJobRun.bind(store);
  store.finishJobRun = async (...args: Parameters<Store['finishJobRun']>) => {
    if (refusals > 0) {
      refusals--;
      throw new Error('Connection terminated unexpectedly');
    }
    return finishJobRun(...args);
  };
  const { lines, logger } = capturingLogger();
  const scheduler = new Scheduler({
    store,
    logger,
    awayRetryMs: 50,
    jobs: [job('outlasting', async () => ({ counts: { written: 4 } }))],
    expression: () => undefined,
  });
  const outcome = await scheduler.tick(scheduler.job('outlasting')!, 1_000);
  t.equal(outcome.status, 'ran');
  t.equal(refusals, 0, 'written again after each refusal');
  const runs = await store.listJobRuns('outlasting');
  t.same(
    runs.map((r) => [r.outcome, r.counts]),
    [['ok', { written: 4 }]],
    'one run, recorded ok with its counts (not left running, nor abandoned)',
  );
  t.same(lines, [], 'nothing said: no tick failed');
});

t.test("a failed run's error keeps an upstream's line breaks off the run's lines", async (t) => {
  const store = await tempStore(t);
  const forged = 'openlmis: 500 boom\r\nfake-job  schedule 0 3 * * *\u2028  2026-12-01T03:00:00.000Z → …  ok';
  const j = job('forged', async () => {
    throw new Error(forged);
  });
  const scheduler = new Scheduler({ store, jobs: [j], expression: () => '0 0 1 1 *' });
  const done = await scheduler.runNow('forged');
  t.equal(done?.run?.outcome, 'failed');
  const [run] = await store.listJobRuns('forged');
  t.equal(
    run.detail,
    'openlmis: 500 boom fake-job  schedule 0 3 * * *   2026-12-01T03:00:00.000Z → …  ok',
    'one line: the breaks became spaces, every word kept',
  );
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => (text += String(c)));
  printTable([{ name: 'forged', schedule: null, setting: 's', nextRun: null, lastRuns: [runView(run)] }] as never, out);
  t.equal(text.trimEnd().split('\n').length, 2, '`jobs list`: the job and its one run, no forged row');
});
