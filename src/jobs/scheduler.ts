import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobRun, JobRunEnd, Store } from '../store/types.js';
import { redact } from '../platform/redaction.js';
import { isDatabaseAway } from '../store/database-away.js';
import { AdvisoryLockLost } from '../store/pg-held-lock.js';
import { nextFire } from './cron.js';
import { cutRunOwed, ranSinceCut, type CutRun } from './cut-run.js';
import { cutElsewhere } from './cut-elsewhere.js';
import { RETRY_RUNS_READ, retryOwed, type FailedRetryPolicy, type RetryPlan } from './failed-retry.js';

/** What a job reports: counts of what it did, or why it did nothing. */
export interface JobResult {
  counts?: Record<string, number>;
  /** Set when the job had nothing it could do (e.g. no registry configured): recorded as 'skipped'. */
  skipped?: string;
  /**
   * What an operator must know about a run that did its work but left something behind (a bridge's
   * held requisitions and why, a store it could not read): kept with the run, as a failure's message
   * is, and shown by GET /admin/jobs, the console and the `jobs` CLI. Counts alone say how many, not why.
   */
  detail?: string;
  /**
   * Set when a part of the run failed and the others did their work (one system of several down):
   * recorded as 'failed', with the counts and `detail` (each part's outcome and why), not as 'ok',
   * so an operator sees at once that something was left for the next run.
   */
  someFailed?: true;
}

/**
 * What a run has done so far (its counts, and part by part what it did), told as it goes: kept
 * with the run if stop() has to cut it (held in an upstream call past the grace), which then
 * says how far it got as a run that stopped itself part way does (StoppedPartWay).
 */
export interface JobProgress {
  counts: Record<string, number>;
  done?: string;
}

export interface ScheduledJob {
  /** Unique name: the advisory-lock key, the `job_runs` name and the CLI/admin name. */
  name: string;
  /** The setting holding its cron expression (e.g. `schedules.reconcile`). */
  setting: string;
  description: string;
  /**
   * `signal` aborts when the job's lock was lost mid-run (another instance runs it now): stop
   * before the next write. The run is recorded failed, with why, whatever it returns.
   */
  run: (signal?: AbortSignal, progress?: (sofar: JobProgress) => void) => Promise<JobResult | void>;
  /**
   * A job made of parts (the reconcile job's systems) that can do only the parts a run left
   * failed: the scheduler tries them again sooner than the next tick (failed-retry.ts), as a run
   * triggered 'retry'. `failedParts` reads them from a run as stored, so a restart plans the same.
   */
  retry?: {
    run: (parts: string[], signal: AbortSignal, progress: (sofar: JobProgress) => void) => Promise<JobResult | void>;
    failedParts: (run: JobRun) => string[];
  };
}

export interface SchedulerLogger {
  info?(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SchedulerOptions {
  store: Store;
  jobs: ScheduledJob[];
  /** The current cron expression of a job's setting (read again on `refresh`, after a live change). */
  expression: (setting: string) => string | undefined;
  logger?: SchedulerLogger;
  /** Recorded with each run; default host:pid. */
  instance?: string;
  /** Longest single timer: a far tick is reached in steps, so a changed clock is noticed. */
  maxSleepMs?: number;
  /** How soon a tick the database was away for, or that met its job locked elsewhere, is tried again (default 5 s). */
  awayRetryMs?: number;
  /**
   * How long stop() waits for a run it asked to stop (default 5 s): one held in an upstream call
   * is recorded as interrupted then, so the shutdown ends before an orchestrator's SIGKILL would.
   */
  stopGraceMs?: number;
  /**
   * How often a running scheduler looks for a run another instance's stop or kill cut (default
   * 60 s): in a rolling deploy the old instance is stopped after the new one has started and
   * looked, so only an instance already running can run that tick again (cut-elsewhere.ts).
   */
  cutWatchMs?: number;
  /** When a job's failed parts are tried again (default failed-retry.ts FAILED_RETRY: 1 h, doubling, 8 h at most). */
  failedRetry?: FailedRetryPolicy;
}

/**
 * ran/failed/skipped: this call ran the job (see the run's outcome). locked: another instance
 * holds the job right now. already-run: the tick is recorded already (another instance ran it).
 * busy: this process is still running the job (a run outlasting its interval, or one by hand:
 * `byHand`). stopped: the scheduler was stopped after this tick woke and before its run began.
 */
export type TickStatus = 'ran' | 'failed' | 'skipped' | 'locked' | 'already-run' | 'busy' | 'stopped';

export interface TickOutcome {
  status: TickStatus;
  run?: JobRun;
  /** A scheduled run stopped by the database going away: its tick was given back, to be tried again. */
  storeWentAway?: true;
  /** busy with a run by hand (admin API): it records no tick, so the tick is still owed. */
  byHand?: true;
}

export interface JobView {
  name: string;
  description: string;
  setting: string;
  schedule?: string;
  nextRunAt?: number;
  /** When the parts its last run left failed are tried again (a 'retry' run), if they are. */
  retryAt?: number;
}

interface Armed {
  expression: string;
  next: number;
  timer?: NodeJS.Timeout;
  /** Set while this tick is tried again because the database was away (said once, not each time). */
  awaySince?: number;
  /**
   * Set while this tick is tried again because its job's lock was held elsewhere or by a run by
   * hand here (said once).
   */
  lockedSince?: number;
  /** Whether a run by hand here was said to hold it (said once, after "locked elsewhere" or alone). */
  metHandRun?: true;
}

const ERROR_LIMIT = 500;
/** How many of a job's latest runs are read for one still marked running (an older one is long dead). */
const RUNNING_LOOK = 5;
/** A run's detail is a list (one line per held item): longer than an error, still bounded per run. */
const DETAIL_LIMIT = 2000;
export const ABANDONED = 'abandoned: the instance running it stopped before the run ended';

/**
 * Why a run ended when the mediator stopped during it (SIGTERM, SIGINT): said instead of leaving
 * it "running" until the job's next run calls it abandoned. Its writes before the stop are kept
 * (each job stores its progress as it goes), so the next run goes on from there.
 */
export function interruptedDetail(reason: string, cutAfterMs?: number): string {
  const how =
    cutAfterMs === undefined
      ? 'it stopped before its next write'
      : `it had not stopped ${cutAfterMs} ms later and was cut`;
  return `interrupted: the mediator was stopped (${reason}) during the run; ${how} (what it did before is kept: the next run goes on from there)`;
}

/** The abort reason a run's signal carries when the scheduler stops (shutdown), not a lost lock. */
export class SchedulerStopped extends Error {
  constructor(readonly why: string) {
    super(`the scheduler was stopped (${why})`);
    this.name = 'SchedulerStopped';
  }
}

/** A run stop() stopped waiting for: its end is recorded without it. */
class CutByStop extends Error {}

/**
 * Thrown by a job its signal stopped part way, with the counts of what it had done: kept with
 * the run, so an interrupted run says how far it got, as a finished one does.
 */
export class StoppedPartWay extends Error {
  constructor(
    stoppedBy: unknown,
    readonly counts: Record<string, number>,
    /** What it had done, part by part (the reconcile job's systems): kept after why it stopped. */
    readonly done?: string,
  ) {
    // the cause is what stopped it (a lost lock, the database away): read as the job's own error
    super(stoppedBy instanceof Error ? stoppedBy.message : String(stoppedBy), { cause: stoppedBy });
    this.name = 'StoppedPartWay';
  }
}

/** Said with a run the database's outage stopped (its error first). */
export const AWAY_MID_RUN =
  ' (the database went away mid-run: the tick is tried again once it is back, unless the next tick comes first)';

/**
 * Whether a run failed because the mediator's own database went away: a store call of the job
 * failed so (or its cause), or its lock could not be taken again while the database stayed away.
 * Lost to another instance is not: that one holds the tick now.
 */
function stoppedByStoreOutage(err: unknown, signal: AbortSignal): boolean {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AdvisoryLockLost) return reason.databaseAway;
  return isDatabaseAway(err) || isDatabaseAway((err as { cause?: unknown } | null)?.cause);
}

/** A run's recorded detail: why it skipped, else what it left behind; masked like errors and bounded. */
function runDetail(result: JobResult): string | undefined {
  const text = result.skipped ?? result.detail;
  if (!text) return undefined;
  return boundedLines(redact(text), DETAIL_LIMIT);
}

/** Line breaks (CR, LF, and Unicode's line and paragraph separators) as one space each run. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/**
 * A detail within `limit` characters, cut between its lines: a line cut in the middle loses the
 * words an operator acts on (which job to retry, what to change) and hides how much is missing,
 * so whole lines are kept and the last says how many were left out. A first line longer than the
 * limit alone is cut, with `…`.
 */
function boundedLines(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const [i, line] of lines.entries()) {
    const trailer = `… ${lines.length - i - 1} more line(s) not kept with the run`;
    const next = size + (kept.length ? 1 : 0) + line.length;
    // room for this line and, when lines still follow it, the trailer saying how many
    if (next + (i < lines.length - 1 ? 1 + trailer.length : 0) > limit) break;
    kept.push(line);
    size = next;
  }
  if (!kept.length) return `${text.slice(0, limit - 1)}…`;
  return [...kept, `… ${lines.length - kept.length} more line(s) not kept with the run`].join('\n');
}

const LOCKED_ELSEWHERE = 'the job is locked by another instance';
const LOCKED_ELSEWHERE_TRIED_AGAIN =
  'the job is locked elsewhere (a run by hand or another instance): the tick is tried again until it is free';
const HAND_RUN_HERE = 'a run by hand of the job is under way here: the tick is tried again once it is over';

/** Why a tick a cut run gave back is tried again: it could not run (locked elsewhere) or gave its tick back too. */
function whyTryAgain(o: TickOutcome): string | undefined {
  if (o.status === 'locked') return LOCKED_ELSEWHERE;
  return o.storeWentAway ? 'the database went away mid-run' : undefined;
}

/**
 * Runs the jobs on their cron schedules, each tick once across all instances: a tick takes the
 * job's advisory lock (PostgreSQL; on SQLite a lock file every process on the file sees, the
 * server and a CLI's `jobs run`) and then records the run under (job, tick), which the store
 * accepts once. The lock stops two instances running the job at the same time; the recorded
 * tick stops an instance that comes late (its clock behind, or the first run already over) from
 * running that tick again. A tick missed while no instance was up is not caught up: the next
 * one runs. A tick met by the database away (PostgreSQL restarting: no lock, no record) is tried
 * again every `awayRetryMs` until the next tick is due, so a monthly bridge is not put off a
 * month by a restart at 03:00; so is a tick that met the job's lock held by a run by hand (a CLI
 * bridge) or another instance (which records the tick: then it is 'already-run').
 */
export class Scheduler {
  private readonly armed = new Map<string, Armed>();
  private readonly busy = new Set<string>();
  /** The jobs of `busy` run by hand (no tick). */
  private readonly byHand = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  /** Runs of this process under way (scheduled or by hand): what stop() cuts once its grace is over. */
  private readonly underWay = new Set<() => void>();
  /** Aborted by stop(): every run's signal follows it, so a job stops before its next write. */
  private halt = new AbortController();
  private readonly instance: string;
  private readonly maxSleepMs: number;
  private readonly awayRetryMs: number;
  private readonly stopGraceMs: number;
  private started = false;
  private resuming: Promise<void> = Promise.resolve();
  /** Jobs whose cut run this process is looking at or running again (start, or the watch). */
  private readonly resumingJobs = new Set<string>();
  private watchTimer?: NodeJS.Timeout;
  /** Per job, the cut run the watch last looked at. */
  private readonly cutSeen = new Map<string, number>();
  /** Per job, another instance's run still marked running whose lock the watch found free, and when. */
  private readonly freeSeen = new Map<string, { runId: number; at: number }>();
  /** Per job, the retry of its failed parts waiting for its time (failed-retry.ts). */
  private readonly retries = new Map<string, { plan: RetryPlan; timer?: NodeJS.Timeout }>();
  /** Set by stop() (not merely "never started": a tick called directly still runs). */
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.instance = options.instance ?? `${hostname()}:${process.pid}`;
    this.maxSleepMs = options.maxSleepMs ?? 60_000;
    this.awayRetryMs = options.awayRetryMs ?? 5_000;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
  }

  get jobs(): ScheduledJob[] {
    return this.options.jobs;
  }

  job(name: string): ScheduledJob | undefined {
    return this.options.jobs.find((j) => j.name === name);
  }

  /** The jobs with their current schedule and next tick. */
  describe(now = Date.now()): JobView[] {
    return this.options.jobs.map((job) => {
      const schedule = this.options.expression(job.setting);
      const nextRunAt = this.armed.get(job.name)?.next ?? (schedule ? nextFire(schedule, now) : undefined);
      const retryAt = this.retries.get(job.name)?.plan.at;
      return {
        name: job.name,
        description: job.description,
        setting: job.setting,
        ...(schedule ? { schedule } : {}),
        ...(nextRunAt !== undefined ? { nextRunAt } : {}),
        ...(retryAt !== undefined ? { retryAt } : {}),
      };
    });
  }

  /**
   * Run `job` for the tick `tickAt` (absent: a run by hand) if no instance has, and record it.
   * Answers once the lock is released, except for a run stop() cut: once its end is recorded,
   * before its work has stopped; the job stays locked (and busy here) until it has. `takesTickOf`:
   * the id of a cut run that gives the tick back as this run starts, in one write (cut-run.ts).
   */
  tick(job: ScheduledJob, tickAt?: number, takesTickOf?: number): Promise<TickOutcome> {
    return this.begin(job, tickAt, takesTickOf);
  }

  /** tick's work, or a retry of the parts a run left failed (`retryOf`: no tick, not by hand). */
  private async begin(
    job: ScheduledJob,
    tickAt?: number,
    takesTickOf?: number,
    retryOf?: RetryPlan,
  ): Promise<TickOutcome> {
    if (this.busy.has(job.name)) return { status: 'busy', ...(this.byHand.has(job.name) ? { byHand: true } : {}) };
    this.busy.add(job.name);
    if (tickAt === undefined && !retryOf) this.byHand.add(job.name);
    let answer!: (outcome: TickOutcome) => void;
    const recorded = new Promise<TickOutcome>((resolve) => (answer = resolve));
    const whole = this.lockedTick(job, tickAt, answer, takesTickOf, retryOf).finally(() => {
      this.busy.delete(job.name);
      this.byHand.delete(job.name);
    });
    // a failure after the answer (the lock's release once the store closed) has no one to hear it
    return Promise.race([whole, recorded]);
  }

  private async lockedTick(
    job: ScheduledJob,
    tickAt: number | undefined,
    answer: (outcome: TickOutcome) => void,
    takesTickOf?: number,
    retryOf?: RetryPlan,
  ): Promise<TickOutcome> {
    const { store } = this.options;
    const locked = await store.withAdvisoryLock(`schedule:${job.name}`, async (signal): Promise<TickOutcome> => {
      // holding the lock, with this process not running the job: a run still marked running
      // belongs to an instance that stopped during it (a crash, a kill); say so instead of "running" forever
      await store.abandonJobRuns(job.name, Date.now(), ABANDONED);
      // the lock and the write above wait (another instance, a group commit): a shutdown begun
      // meanwhile must not see a run start after it, which it would then wait for or a SIGKILL cut
      if ((tickAt !== undefined || retryOf) && this.stopped) return { status: 'stopped' };
      // a retry is of the run it was planned after: a run since (a tick, a run by hand, another
      // instance's retry of the same parts) did or tried them, and planned what follows itself
      if (retryOf && (await store.listJobRuns(job.name, 1))[0]?.id !== retryOf.after) return { status: 'already-run' };
      if (takesTickOf !== undefined && (await ranSinceCut(store, job.name, takesTickOf))) {
        this.options.logger?.info?.({ job: job.name, tickAt }, 'the owed tick was run meanwhile (by hand)');
        return { status: 'already-run' };
      }
      const run = await store.startJobRun({
        name: job.name,
        tickAt,
        ...(takesTickOf !== undefined ? { takesTickOf } : {}),
        trigger: retryOf ? 'retry' : tickAt === undefined ? 'manual' : 'schedule',
        instance: this.instance,
        startedAt: Date.now(),
      });
      if (!run) return { status: 'already-run' };
      const runner: ScheduledJob['run'] = retryOf
        ? (s, progress) => job.retry!.run(retryOf.parts, s!, progress!)
        : (s, progress) => job.run(s, progress);
      return this.execute(job, run, signal, answer, runner);
    });
    return locked.ran ? locked.value : { status: 'locked' };
  }

  /** Run a job now, outside its schedule (admin API, CLI). Undefined for an unknown name. */
  async runNow(name: string): Promise<TickOutcome | undefined> {
    const job = this.job(name);
    if (!job) return undefined;
    // stop() waits for (and stops) a run by hand as it does a scheduled one
    const p = this.handTick(job);
    this.running.add(p);
    return p.finally(() => this.running.delete(p));
  }

  /**
   * A run by hand, taking the lock only once it looked free twice where a live run may hold it (a
   * run of the job still marked running), as a tick does (wakeTick): taken in a PostgreSQL
   * restart's gap, it closed the live run as abandoned and ran the job beside it until the holder,
   * finding its lock held elsewhere, stopped its run part way. Nothing marked running: no look.
   */
  private async handTick(job: ScheduledJob): Promise<TickOutcome> {
    if ((await this.mayRunElsewhere(job)) && !(await this.lockFreeOnTwoLooks(job)))
      return { status: this.stopped ? 'stopped' : 'locked' };
    return this.tick(job);
  }

  /**
   * At start-up: close the runs still marked running whose instance is gone (SIGKILLed, or its
   * host lost), for every job whose lock no instance holds, instead of showing them running until
   * that job's next run (a monthly bridge's: a month). Returns how many were closed.
   */
  async closeAbandonedRuns(now = Date.now()): Promise<number> {
    const { store } = this.options;
    const closed = await Promise.all(
      this.options.jobs.map(async (job) => {
        // a run still marked running may be live, its holder's session cut by a restart: looked at twice
        if (!(await this.mayRunElsewhere(job)) || !(await this.lockFreeOnTwoLooks(job))) return 0;
        const locked = await store.withAdvisoryLock(`schedule:${job.name}`, () =>
          store.abandonJobRuns(job.name, now, ABANDONED),
        );
        return locked.ran ? locked.value : 0;
      }),
    );
    return closed.reduce((sum, n) => sum + n, 0);
  }

  /** Whether a run of the job may be going on elsewhere: one still marked running, not this process's. */
  private async mayRunElsewhere(job: ScheduledJob): Promise<boolean> {
    if (this.busy.has(job.name)) return false;
    const runs = await this.options.store.listJobRuns(job.name, RUNNING_LOOK);
    return runs.some((r) => r.outcome === 'running');
  }

  /**
   * Whether the job's lock is free on two looks awayRetryMs apart, asked without taking it
   * (Store.advisoryLockHeld), before a tick or the start takes it where a live run may hold it (a
   * run still marked running; a tick that met it held). Taking it on one look cut live runs: in a
   * PostgreSQL restart's gap (the holder's session gone, its instance not yet reconnected: up to
   * LOCK_CHECK_MS after the database is back) the taker won it, closed the live run as abandoned
   * and ran its tick (a hand run records none) or closed it only, and the holder, finding its lock
   * held elsewhere, stopped the live run. The locked tick tried again every awayRetryMs made that
   * likely in any restart during a long hand run. A stop ends the wait: not free.
   */
  private async lockFreeOnTwoLooks(job: ScheduledJob): Promise<boolean> {
    const { store } = this.options;
    const key = `schedule:${job.name}`;
    if (await store.advisoryLockHeld(key)) return false;
    const slept = await sleep(this.awayRetryMs, true, { signal: this.halt.signal }).catch(() => false);
    return slept && !(await store.advisoryLockHeld(key));
  }

  private async execute(
    job: ScheduledJob,
    run: JobRun,
    lockSignal: AbortSignal,
    answer: (outcome: TickOutcome) => void,
    runner: ScheduledJob['run'],
  ): Promise<TickOutcome> {
    const signal = AbortSignal.any([lockSignal, this.halt.signal]);
    let cut!: () => void;
    const cutOff = new Promise<never>((_resolve, reject) => (cut = () => reject(new CutByStop())));
    this.underWay.add(cut);
    let end: JobRunEnd;
    let work: Promise<unknown> = Promise.resolve();
    let wasCut = false;
    let sofar: JobProgress | undefined;
    try {
      const running = runner(signal, (p) => (sofar = p));
      // a run cut by stop() (held in an upstream call past the grace) is recorded by this call
      // now; its end is no one's to hear, but the lock is kept until it has really stopped
      work = running.catch(() => undefined);
      const result = (await Promise.race([running, cutOff])) ?? {};
      // the lock went mid-run: whatever the job says, it stopped (or should have) part way; a job
      // that ended its work although asked to stop (the stop came after its last write) did it all
      if (!(signal.reason instanceof SchedulerStopped)) signal.throwIfAborted();
      const outcome = result.skipped ? 'skipped' : result.someFailed ? 'failed' : 'ok';
      if (result.someFailed) this.options.logger?.error({ job: job.name }, 'scheduled job failed in part');
      end = { outcome, detail: runDetail(result), counts: result.counts };
    } catch (err) {
      wasCut = err instanceof CutByStop;
      // a cut run's own account never comes (its work goes on): what it told so far stands for it
      end = this.failedEnd(
        job,
        run,
        err instanceof CutByStop && sofar ? new StoppedPartWay(err, sofar.counts, sofar.done) : err,
        signal,
      );
    } finally {
      this.underWay.delete(cut);
    }
    const finished: JobRun & JobRunEnd = { ...run, ...end, endedAt: Date.now() };
    await this.recordEnd(finished);
    // the parts this run left failed are tried again sooner; a run that did them drops the retry
    if (job.retry) this.planRetryLogged(job);
    const status = end.outcome === 'ok' ? 'ran' : (end.outcome as 'failed' | 'skipped');
    const { givesBackTick, tickAt, ...recorded } = finished;
    const outcome: TickOutcome = givesBackTick
      ? { status, run: recorded, storeWentAway: true }
      : { status, run: { ...recorded, ...(tickAt !== undefined ? { tickAt } : {}) } };
    if (!wasCut) return outcome;
    // stop() and a run by hand hear a cut run's end now; returning would unlock the job
    // (PostgreSQL) while its work goes on writing, and another instance's tick could run it alongside
    answer(outcome);
    await work;
    return outcome;
  }

  /**
   * A failed run's end, said in the log. A scheduled run the database's outage stopped is the
   * tick's failure, not the job's: it gives its tick back, to be tried again as one that could
   * not start (wake), not put off a whole period.
   */
  private failedEnd(job: ScheduledJob, run: JobRun, err: unknown, signal: AbortSignal): JobRunEnd {
    const { logger } = this.options;
    // stored and shown later: an upstream's echo of a credential is masked before it is kept, and
    // its own line breaks made spaces: `jobs list` and the console split a run's error into lines
    // (a stopped run's parts done, one per line), so a line an upstream wrote would pass for one
    const message = oneLine(redact(err instanceof Error ? err.message : String(err)));
    const counts = err instanceof StoppedPartWay ? { counts: err.counts } : {};
    // the parts a stopped run had done, after why it stopped: bounded as a detail is
    const done = (text: string) =>
      err instanceof StoppedPartWay && err.done ? boundedLines(`${text}\n${redact(err.done)}`, DETAIL_LIMIT) : text;
    if (signal.reason instanceof SchedulerStopped) {
      const { why } = signal.reason;
      const cutAfterMs =
        (err instanceof StoppedPartWay ? err.cause : err) instanceof CutByStop ? this.stopGraceMs : undefined;
      logger?.warn({ job: job.name, reason: why, cutAfterMs }, 'scheduled job interrupted by the stop');
      return { outcome: 'failed', detail: done(interruptedDetail(why, cutAfterMs)), ...counts };
    }
    if (run.tickAt === undefined || !stoppedByStoreOutage(err, signal)) {
      logger?.error({ job: job.name, err: message.slice(0, ERROR_LIMIT) }, 'scheduled job failed');
      return { outcome: 'failed', detail: done(message.slice(0, ERROR_LIMIT)), ...counts };
    }
    logger?.warn(
      { job: job.name, err: message.slice(0, ERROR_LIMIT) },
      'scheduled run stopped by the database going away',
    );
    const detail = done(`${message.slice(0, ERROR_LIMIT - AWAY_MID_RUN.length)}${AWAY_MID_RUN}`);
    return { outcome: 'failed', detail, givesBackTick: true, ...counts };
  }

  /**
   * The run's end, written once the database takes it: a run that outlasted an outage (or was
   * stopped by one) is recorded as it ended, not left `running` until a later tick calls it
   * abandoned by an instance that never stopped. Given up only when the scheduler stops.
   */
  private async recordEnd(finished: JobRun & JobRunEnd): Promise<void> {
    for (;;) {
      try {
        return await this.options.store.finishJobRun(finished.id, finished);
      } catch (err) {
        if (!isDatabaseAway(err) || this.stopped) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.awayRetryMs));
      }
    }
  }

  /** Arm every job on its schedule. */
  start(): void {
    this.started = true;
    this.stopped = false;
    if (this.halt.signal.aborted) this.halt = new AbortController();
    for (const job of this.options.jobs) this.arm(job, Date.now());
    // a retry planned before a restart is planned again from the runs as stored
    for (const job of this.options.jobs) if (job.retry) this.planRetryLogged(job);
    this.resuming = Promise.all(this.options.jobs.map((job) => this.resumeCut(job))).then(() => undefined);
    this.watchCut();
  }

  /**
   * Every cutWatchMs, each job whose last run another instance's stop or kill cut (cut-elsewhere.ts)
   * is closed (a killed run, under the job's lock, as at start) and its tick run again as start()
   * does; the tick's record keeps it to one run across the instances that notice it.
   */
  private watchCut(): void {
    const every = this.options.cutWatchMs ?? 60_000;
    clearTimeout(this.watchTimer); // one watch, however often start() is called
    this.watchTimer = setTimeout(() => {
      if (!this.started) return;
      const looks = this.options.jobs.map(async (job) => {
        if (this.busy.has(job.name) || this.resumingJobs.has(job.name)) return;
        const cut = await cutElsewhere(this.options.store, job.name, this.instance, ABANDONED);
        // a cut run looked at once is not again (one left to its next tick would be logged each time);
        // seen once closed, and unseen again by a look that failed (resumeCut): tried next minute
        if (!cut || this.cutSeen.get(job.name) === cut.id) return;
        if (cut.outcome === 'running' && !(await this.abandonedOnTwoLooks(job, cut.id, every))) return;
        await this.closeAbandonedRunsOf(job);
        if (cut.outcome !== 'running') this.cutSeen.set(job.name, cut.id);
        // not waited for: the tick run again (a monthly bridge's hours) held the next look, and a run
        // cut meanwhile of another job waited for it; stop() waits for it (running), and
        // resumingJobs keeps the next looks off this job until it is over
        void this.resumeCut(job);
      });
      const p = Promise.all(looks)
        .catch((err) => this.options.logger?.warn({ err: redact(String(err)) }, 'the look for cut runs failed'))
        .finally(() => {
          this.running.delete(p);
          if (this.started) this.watchCut();
        });
      this.running.add(p);
    }, every);
    // a process is kept up by its server, not by this look
    this.watchTimer.unref();
  }

  /**
   * Whether another instance's run still marked running has its job's lock free on two looks at
   * least `every` ms apart (the watch's interval), the lock asked without being taken
   * (Store.advisoryLockHeld). Taking it to see was what cut live runs: in a PostgreSQL restart's
   * gap (the holder's session gone, its instance not yet reconnected to take it again) the watch
   * won the lock, closed the live run as abandoned and ran its tick again beside it. A holder
   * comes back within seconds; a killed instance's lock stays free.
   */
  private async abandonedOnTwoLooks(job: ScheduledJob, runId: number, every: number): Promise<boolean> {
    const now = Date.now();
    if (await this.options.store.advisoryLockHeld(`schedule:${job.name}`)) {
      this.freeSeen.delete(job.name);
      return false;
    }
    const earlier = this.freeSeen.get(job.name);
    if (earlier?.runId !== runId) {
      this.freeSeen.set(job.name, { runId, at: now });
      return false;
    }
    if (now - earlier.at < every) return false;
    this.freeSeen.delete(job.name);
    return true;
  }

  /** The job's runs left running by an instance that is gone, closed holding its lock (as at start). */
  private async closeAbandonedRunsOf(job: ScheduledJob): Promise<void> {
    const { store } = this.options;
    await store.withAdvisoryLock(`schedule:${job.name}`, () => store.abandonJobRuns(job.name, Date.now(), ABANDONED));
  }

  /** Once start()'s look for cut runs is over, and any tick it owed has run (cut-run.ts). */
  resumed(): Promise<void> {
    return this.resuming;
  }

  /**
   * A scheduled run a stop or a kill cut, whose next tick has not come, runs its tick again now
   * (cut-run.ts): a restart during a monthly bridge does not put the rest of it off a month.
   * Several instances starting at once run it once (the tick's record, as for any tick).
   */
  private resumeCut(job: ScheduledJob): Promise<void> {
    const expression = this.options.expression(job.setting);
    if (!expression || this.resumingJobs.has(job.name)) return Promise.resolve();
    this.resumingJobs.add(job.name);
    const { logger } = this.options;
    const p: Promise<void> = this.lookForCut(job, expression)
      .then(async (cut) => {
        if (!cut || !this.started) return;
        if ('cutAgain' in cut) {
          const { tickAt } = cut.cutAgain;
          logger?.error(
            { job: job.name, tickAt },
            'a run cut again once its tick was run again: left to the next tick',
          );
          return;
        }
        const { tickAt } = cut.owed;
        logger?.warn({ job: job.name, tickAt }, 'a run cut by a stop or a kill: its tick is run again');
        await this.runOwedTick(job, expression, cut.owed);
      })
      .catch((err) => {
        // a store failure other than the database away (lookForCut's tries): the watch's next look
        // takes the cut run up again, as the next start would, not only that start
        this.cutSeen.delete(job.name);
        logger?.error({ job: job.name, err: redact(String(err)) }, 'a cut run was not resumed');
      })
      .finally(() => {
        this.resumingJobs.delete(job.name);
        this.running.delete(p);
      });
    this.running.add(p);
    return p;
  }

  /**
   * The look for a job's cut run, tried again every awayRetryMs while the database is away (a
   * PostgreSQL restart as the mediator starts): given up, the cut run's tick would wait for the
   * next start, which a deploy may not bring before the next tick. Each try reads the clock
   * again, so one whose following tick has come meanwhile is no longer owed.
   */
  private async lookForCut(job: ScheduledJob, expression: string): Promise<CutRun | undefined> {
    const { store, logger } = this.options;
    for (let said = false; ; said = true) {
      try {
        return await cutRunOwed(store, job.name, expression, ABANDONED, Date.now());
      } catch (err) {
        if (!isDatabaseAway(err) || !this.started) throw err;
        if (!said) logger?.warn({ job: job.name, err: redact(String(err)) }, 'the look for a cut run is tried again');
      }
      const slept = await sleep(this.awayRetryMs, true, { signal: this.halt.signal }).catch(() => false);
      // a stop, or a schedule changed meanwhile (refresh), ends the tries as it ends an owed tick's
      if (!slept || this.options.expression(job.setting) !== expression) return undefined;
    }
  }

  /**
   * The tick a cut run gives back, tried again every awayRetryMs while the job is locked elsewhere
   * (an instance starting alongside closes its abandoned runs, or runs this very tick) or the
   * database is away: given back, no one else would run it before the next tick, which ends the
   * tries, as a stop or a change of the job's schedule does. The tick's record keeps it to one run
   * across instances.
   */
  private async runOwedTick(job: ScheduledJob, expression: string, cut: JobRun & { tickAt: number }): Promise<void> {
    const { tickAt } = cut;
    // given back only as the tick's run starts, in the same write: met by the lock held elsewhere,
    // by a stop or by a kill or a store failure at that write, the cut run keeps its tick, and the
    // next start still owes it
    const following = nextFire(expression, tickAt);
    let said = false;
    let metLock = false;
    for (;;) {
      // met held, the lock is taken again only once free on two looks (a restart's gap: wakeTick)
      const why: string | undefined = await (metLock ? this.lockFreeOnTwoLooks(job) : Promise.resolve(true))
        .then((free): Promise<TickOutcome> | TickOutcome =>
          free ? this.tick(job, tickAt, cut.id) : { status: 'locked' },
        )
        .then(whyTryAgain, (err) => {
          if (isDatabaseAway(err)) return redact(String(err));
          throw err;
        });
      // kept once met: a look failing with the database away (a restart: the gap comes next) does not
      // make the next try take the lock at once
      if (why === LOCKED_ELSEWHERE) metLock = true;
      if (!why || !this.started || following === undefined || Date.now() + this.awayRetryMs >= following) return;
      if (!said) this.options.logger?.warn({ job: job.name, tickAt, why }, 'the owed tick is tried again');
      said = true;
      const slept = await sleep(this.awayRetryMs, true, { signal: this.halt.signal }).catch(() => false);
      if (!slept) return;
      // a schedule changed or emptied meanwhile (refresh: the operator stopping a failing bridge)
      // is followed, as armed ticks are: the old one's tries would run the job until its next tick
      if (this.options.expression(job.setting) !== expression) return;
    }
  }

  /**
   * Follow a settings change: a job whose expression changed is re-armed from now (a run in
   * progress finishes); an emptied setting stops the job. Validation happened before (config).
   */
  refresh(): void {
    if (!this.started) return;
    for (const job of this.options.jobs) {
      const current = this.armed.get(job.name);
      if (current?.expression === this.options.expression(job.setting)) continue;
      if (current) clearTimeout(current.timer);
      this.armed.delete(job.name);
      this.arm(job, Date.now());
      const schedule = this.options.expression(job.setting) ?? null;
      this.options.logger?.info?.(
        { job: job.name, schedule, nextRunAt: this.armed.get(job.name)?.next },
        'job rescheduled',
      );
    }
  }

  private arm(job: ScheduledJob, after: number): void {
    const expression = this.options.expression(job.setting);
    const next = expression ? nextFire(expression, after) : undefined;
    if (!expression || next === undefined) return;
    const armed: Armed = { expression, next };
    this.armed.set(job.name, armed);
    this.wait(job, armed);
  }

  private wait(job: ScheduledJob, armed: Armed): void {
    const delay = Math.min(Math.max(armed.next - Date.now(), 0), this.maxSleepMs);
    armed.timer = setTimeout(() => this.wake(job, armed), delay);
  }

  private wake(job: ScheduledJob, armed: Armed): void {
    if (this.armed.get(job.name) !== armed) return; // rescheduled meanwhile
    if (Date.now() < armed.next) return this.wait(job, armed); // a step of a long wait, or a timer a little early
    let again = false;
    const p = this.wakeTick(job, armed)
      .then((o) => {
        if (o.storeWentAway) {
          again = this.tryAgainLater(job, armed, 'the database went away mid-run');
          if (again) return;
        }
        // a run by hand here holds the lock as one elsewhere would: it records no tick either
        if (o.status === 'locked' || o.byHand) {
          again = this.tryAgainWhileLocked(job, armed, o.byHand ? 'here' : 'elsewhere');
          if (again) return;
        }
        if (armed.awaySince !== undefined)
          this.options.logger?.info?.(
            { job: job.name, tickAt: armed.next, status: o.status },
            'the database is back: the tick was taken up again',
          );
        if (armed.lockedSince !== undefined && o.status !== 'locked' && o.status !== 'busy')
          this.options.logger?.info?.(
            { job: job.name, tickAt: armed.next, status: o.status },
            'the job lock is free: the tick was taken up again',
          );
        if (o.status !== 'busy') return;
        this.options.logger?.warn({ job: job.name, tickAt: armed.next }, 'previous run still going: tick left out');
      })
      .catch((err) => {
        again = isDatabaseAway(err) && this.tryAgainLater(job, armed, redact(String(err)));
        if (!again) this.options.logger?.error({ job: job.name, err: redact(String(err)) }, 'scheduler tick failed');
      })
      .finally(() => {
        this.running.delete(p);
        if (!this.started || this.armed.get(job.name) !== armed) return;
        if (again) armed.timer = setTimeout(() => this.wake(job, armed), this.awayRetryMs);
        // the next tick after this one, or after now if the run outlasted several (no backlog)
        else this.arm(job, Math.max(armed.next, Date.now()));
      });
    this.running.add(p);
  }

  /**
   * An armed tick, taken only once its lock looked free twice where a live run may hold it: a
   * tick that met it held (tried again while locked), or a run of the job still marked running.
   */
  private async wakeTick(job: ScheduledJob, armed: Armed): Promise<TickOutcome> {
    const wary = armed.lockedSince !== undefined ? !this.busy.has(job.name) : await this.mayRunElsewhere(job);
    if (wary && !(await this.lockFreeOnTwoLooks(job))) return { status: this.stopped ? 'stopped' : 'locked' };
    return this.tick(job, armed.next);
  }

  /**
   * Whether a tick the database was away for is tried again in awayRetryMs (the caller knows it
   * was: a tick that could not start, or a run it stopped, which gave its tick back): nothing of
   * the tick is locked or recorded, so another instance may still run it (the tick's record keeps
   * it once); only while the next tick is further off than that retry.
   */
  private tryAgainLater(job: ScheduledJob, armed: Armed, err: string): boolean {
    const following = nextFire(armed.expression, armed.next);
    if (following === undefined || Date.now() + this.awayRetryMs >= following) return false;
    if (armed.awaySince === undefined) {
      armed.awaySince = Date.now();
      this.options.logger?.warn(
        { job: job.name, tickAt: armed.next, err, retryMs: this.awayRetryMs },
        'the database is away: the tick is tried again until it is back',
      );
    }
    return true;
  }

  /**
   * Whether a tick that met its job's lock held elsewhere is tried again in awayRetryMs: a run by
   * hand (`cli bridge stock-to-dhis2`, `jobs run`) records no tick, so a tick dropped here waited
   * for the next (a monthly bridge: a month for the periods only that tick reads). Another
   * instance running this very tick records it, so once the lock frees the try is 'already-run'
   * and the tick still runs once. So is one that met a run by hand of this process (`where`
   * 'here': `POST /admin/jobs/{name}/run`, tick's 'busy' `byHand`), which holds the job as one
   * elsewhere would: left out as "previous run still going", the tick waited for the next
   * likewise. Only while the next tick is further off than that retry.
   */
  private tryAgainWhileLocked(job: ScheduledJob, armed: Armed, where: 'here' | 'elsewhere'): boolean {
    const following = nextFire(armed.expression, armed.next);
    if (following === undefined || Date.now() + this.awayRetryMs >= following) return false;
    const log = { job: job.name, tickAt: armed.next, retryMs: this.awayRetryMs };
    if (armed.lockedSince === undefined) {
      armed.lockedSince = Date.now();
      this.options.logger?.warn(log, where === 'here' ? HAND_RUN_HERE : LOCKED_ELSEWHERE_TRIED_AGAIN);
    } else if (where === 'here' && !armed.metHandRun) {
      // met locked elsewhere first: said once, truthfully, that a run by hand here holds it now
      this.options.logger?.info?.(log, HAND_RUN_HERE);
    }
    if (where === 'here') armed.metHandRun = true;
    return true;
  }

  /** planRetry, its failure logged (a store failure: the next run plans again). */
  private planRetryLogged(job: ScheduledJob, afterMs = 0): void {
    const plan = () =>
      this.planRetry(job).catch((err) =>
        this.options.logger?.warn(
          { job: job.name, err: redact(String(err)) },
          'the retry of failed parts was not planned',
        ),
      );
    if (afterMs === 0) return void plan();
    const timer = setTimeout(() => void (this.started && plan()), afterMs);
    this.retries.set(job.name, { plan: { at: Date.now() + afterMs, parts: [], after: -1, attempt: 0 }, timer });
  }

  /**
   * Arms the retry the job's runs owe (failed-retry.ts), in place of any armed before: read from
   * the store, so every instance and every restart plans the same one, and the latest run's id it
   * is planned after keeps it to one run across them (lockedTick).
   */
  private async planRetry(job: ScheduledJob): Promise<void> {
    const expression = this.options.expression(job.setting);
    if (!job.retry || !expression) return;
    const runs = await this.options.store.listJobRuns(job.name, RETRY_RUNS_READ);
    const plan = retryOwed(runs, expression, job.retry.failedParts, ABANDONED, this.options.failedRetry);
    clearTimeout(this.retries.get(job.name)?.timer);
    this.retries.delete(job.name);
    if (!plan || !this.started) return;
    const entry: { plan: RetryPlan; timer?: NodeJS.Timeout } = { plan };
    this.retries.set(job.name, entry);
    this.options.logger?.info?.(
      { job: job.name, parts: plan.parts, retryAt: plan.at },
      'failed parts tried again then',
    );
    this.waitRetry(job, entry);
  }

  private waitRetry(job: ScheduledJob, entry: { plan: RetryPlan; timer?: NodeJS.Timeout }): void {
    const delay = Math.min(Math.max(entry.plan.at - Date.now(), 0), this.maxSleepMs);
    entry.timer = setTimeout(() => {
      if (this.retries.get(job.name) !== entry || !this.started) return;
      if (Date.now() < entry.plan.at) return this.waitRetry(job, entry);
      this.retries.delete(job.name);
      const p = this.retryTick(job, entry.plan)
        .catch((err) => {
          this.options.logger?.error({ job: job.name, err: redact(String(err)) }, 'the retry of failed parts failed');
          return { status: 'failed' } as TickOutcome;
        })
        .then((o) => {
          // it did not run (the job busy or locked, the database away): looked at again later;
          // a run that did plans what follows itself (execute)
          if (!o.run && this.started) this.planRetryLogged(job, this.awayRetryMs);
        })
        .finally(() => this.running.delete(p));
      this.running.add(p);
    }, delay);
  }

  /** A retry, its lock taken only once free on two looks where a live run may hold it (as wakeTick). */
  private async retryTick(job: ScheduledJob, plan: RetryPlan): Promise<TickOutcome> {
    if ((await this.mayRunElsewhere(job)) && !(await this.lockFreeOnTwoLooks(job))) return { status: 'locked' };
    return this.begin(job, undefined, undefined, plan);
  }

  /**
   * Stop arming and stop the runs in progress: each is asked to stop before its next write (its
   * signal) and waited for up to stopGraceMs; one still going then (held in an upstream call) is
   * recorded interrupted here, so none is left "running" by a shutdown. `reason`: what stopped
   * the mediator (SIGTERM, SIGINT), said with the runs it interrupted.
   */
  async stop(reason = 'shutdown'): Promise<void> {
    this.started = false;
    this.stopped = true;
    for (const a of this.armed.values()) clearTimeout(a.timer);
    clearTimeout(this.watchTimer);
    this.armed.clear();
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.retries.clear();
    this.halt.abort(new SchedulerStopped(reason));
    const settled = Promise.allSettled([...this.running]);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.stopGraceMs)));
    const ended = await Promise.race([settled, graceOver]);
    clearTimeout(timer);
    if (ended !== 'late') return;
    for (const cut of this.underWay) cut();
    // a cut run's tick answers once its end is recorded (it keeps the job locked until its work stops)
    await settled;
  }
}
