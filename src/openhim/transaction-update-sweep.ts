/**
 * Delivers the OpenHIM transaction updates settled jobs owe (store migration v16; v17 for the
 * transactions of reruns and resends answered 202 from a job they did not create). The job's end
 * records the debt; the process that ended it sends it at once (report), and a sweep sends what is
 * still owed: after a crash before that send, or while OpenHIM is down, at start-up and then
 * periodically, a bounded batch at a time, each debt with its own backoff. OpenHIM's answer
 * settles it: 2xx sent; a 4xx that cannot succeed, or a transaction not awaiting our update,
 * refused; still failing past the give-up age abandoned. Each end of a debt is logged with the
 * transaction id and the reason only: never the request, its credentials or the body.
 *
 * A send may repeat (a claim that ran out while OpenHIM was slow, a crash between OpenHIM's 2xx
 * and its record): harmless, core sets the same fields again and the calls it keeps already are
 * not appended again (transaction-updates.ts).
 */
import { StoreOutageLog, type OutageWords } from '../outbox/store-outage-log.js';
import { mapsByRequest } from './entry-maps.js';
import { processRedactor } from '../platform/redaction.js';
import type { OutboxJob, Store, TransactionEntry, TransactionRequest, TransactionUpdateEnd } from '../store/types.js';

/**
 * How OpenHIM answered one send. `notOwed`: jobs of the transaction owing its update that it was
 * not built from, as they came in a request OpenHIM did not route (routed-writes.ts): refused.
 */
export type UpdateAnswer =
  | { kind: 'sent'; notOwed?: string[] }
  | { kind: 'retry'; reason: string }
  | { kind: 'refused'; reason: string }
  | Waiting;

/**
 * Not sent, nothing recorded: a write of the request core routed has not ended yet (the writes of
 * another request under its id had). That write's end sends the update.
 */
export type Waiting = { kind: 'waiting' };

export interface TransactionUpdateTimings {
  /** Wait before the first retry of a send that failed; doubled per failure (default 2 s). */
  retryBaseMs: number;
  /** Longest wait between retries (default 5 min). */
  retryCapMs: number;
  /** A debt still failing this long after the job's end is abandoned (default 24 h). */
  giveUpAfterMs: number;
  /** How long a sweep holds the debts it claimed: longer than one send may take (default 30 s). */
  claimMs: number;
  /** How often a sweep looks for debts due (default retryBaseMs). */
  pollMs?: number;
  /** Debts per claim (default 50); a full batch is followed by another at once. */
  batch?: number;
}

export const DEFAULT_TRANSACTION_UPDATE_TIMINGS: TransactionUpdateTimings = {
  retryBaseMs: 2_000,
  retryCapMs: 300_000,
  giveUpAfterMs: 86_400_000,
  claimMs: 30_000,
};

export interface TransactionUpdateLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** One send of `job`'s transaction: built from `jobs` (all of it), cut off at `until` (epoch ms). */
export type SendTransactionUpdate = (
  job: OutboxJob,
  send: {
    jobs: OutboxJob[];
    until: number;
    entries?: TransactionEntry[];
    requests?: TransactionRequest[];
    stillAnswering?: (map: TransactionEntry[]) => boolean;
  },
) => Promise<UpdateAnswer>;

export interface TransactionReporterOptions {
  store: Store;
  send: SendTransactionUpdate;
  timings?: Partial<TransactionUpdateTimings>;
  logger?: TransactionUpdateLogger;
  now?: () => number;
}

export interface TransactionReporter {
  /** Send one job's owed update now and record OpenHIM's answer (the outbox's onSettled). */
  report(job: OutboxJob): Promise<void>;
  /** One pass: claim the debts due, send each, record the answers; returns how many it handled. */
  sweepOnce(): Promise<number>;
  /** A pass now, then one every pollMs until stop(); a timer that does not keep the process alive. */
  start(): void;
  /** No further pass; waits for the one running. */
  stop(): Promise<void>;
}

/** The wait before the next try after `failures` failed sends: doubled each time, capped. */
export function retryDelay(failures: number, t: Pick<TransactionUpdateTimings, 'retryBaseMs' | 'retryCapMs'>): number {
  return Math.min(t.retryCapMs, t.retryBaseMs * 2 ** Math.min(failures, 30));
}

/**
 * What one answer makes of the debt. The age is counted from the job's end (its updatedAt: the
 * sweep's own records leave it alone), so a debt is given up a fixed time after OpenHIM was due.
 */
export function debtAfter(
  job: Pick<OutboxJob, 'updatedAt' | 'transactionUpdate'>,
  answer: Exclude<UpdateAnswer, Waiting>,
  now: number,
  t: TransactionUpdateTimings,
): TransactionUpdateEnd {
  if (answer.kind === 'sent') return { state: 'sent' };
  if (answer.kind === 'refused') return { state: 'refused', error: answer.reason };
  if (now - job.updatedAt >= t.giveUpAfterMs)
    return { state: 'abandoned', error: `${answer.reason}; given up ${t.giveUpAfterMs} ms after the job ended` };
  const failures = job.transactionUpdate?.attempts ?? 0;
  return { state: 'owed', dueAt: now + retryDelay(failures, t), error: answer.reason };
}

/**
 * The sweep's word on the mediator's database being away: a pass every pollMs (2 s) each logged
 * its failure, 30 lines a minute for as long as a PostgreSQL restart or outage lasted; now one
 * line when it starts, a reminder a minute, one when it is back, as the outbox says its own.
 */
const SWEEP_OUTAGE_WORDS: OutageWords = {
  away: 'OpenHIM transaction updates: the database is away; updates wait until it is back',
  still: 'OpenHIM transaction updates: the database is still away',
  back: 'OpenHIM transaction updates: the database is back; updates resume',
  failed: 'OpenHIM transaction update sweep failed',
};

/** An error in a line for the log, every known secret masked (a store's message may quote a URL). */
function describe(err: unknown): string {
  return processRedactor.redact(err instanceof Error ? err.message : String(err));
}

/**
 * How long a batch Bundle's entry map may stay short (store v24): each of its writes records its
 * entry, the rest are recorded once the batch is answered. Still short this long after the last
 * change of any of its jobs (accepted or ended), the request was cut off (the process died
 * answering it): the update goes with what it has. Counted from the ends too, not only from the
 * writes: a batch rerun is answered from jobs accepted long before.
 */
export const BATCH_ANSWER_WAIT_MS = 300_000;

const unfinished = (j: OutboxJob) => j.status === 'pending' || j.status === 'in-flight';

/**
 * Whether the update may be due: every job of the transaction has ended, or, with its requests
 * kept (v47), the writes of one of them have all ended and every unfinished job is a write of a
 * request kept (one kept by no request, before v47, holds the update back as it did).
 */
export function someRequestEnded(jobs: OutboxJob[], requests: TransactionRequest[]): boolean {
  const open = new Set(jobs.filter(unfinished).map((j) => j.id));
  if (open.size === 0) return true;
  const kept = new Set(requests.flatMap((r) => r.jobIds));
  if ([...open].some((id) => !kept.has(id))) return false;
  return requests.some((r) => r.jobIds.every((id) => !open.has(id)));
}

/**
 * Whether the transaction is a batch still being answered: its update waits for every entry. Each
 * request's map (v48) is judged on its own: another request's complete map under the id does not
 * make the routed batch's incomplete one look done. The send applies it to the routed request's
 * map alone, once it is known (routed-writes.ts): another request's batch still being answered
 * under the id does not hold the routed update back.
 */
export function stillAnswering(entries: TransactionEntry[], jobs: OutboxJob[], now: number): boolean {
  if (!mapsByRequest(entries).some((map) => map.length < map[0].count)) return false;
  return now - Math.max(...jobs.map((j) => j.updatedAt)) < BATCH_ANSWER_WAIT_MS;
}

export function createTransactionReporter(opts: TransactionReporterOptions): TransactionReporter {
  const t = { ...DEFAULT_TRANSACTION_UPDATE_TIMINGS, ...opts.timings };
  const pollMs = t.pollMs ?? t.retryBaseMs;
  const batch = t.batch ?? 50;
  const now = opts.now ?? Date.now;
  const outage = opts.logger && new StoreOutageLog(opts.logger, now, SWEEP_OUTAGE_WORDS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  /**
   * One send of `job`'s owed update to job.transactionId, built from `jobs`, its answer recorded by
   * `settle`. It ends by `until`, when its debt may be claimed again (the sweep's claim, or the
   * grace the job's end gave its own process): a send that outlived it could run beside a sweep's.
   * `basis` stands for the debts answered: the latest end (the give-up age) and most sends so far.
   */
  async function sendOwed(
    job: OutboxJob,
    jobs: OutboxJob[],
    until: number,
    settle: (end: TransactionUpdateEnd) => Promise<boolean>,
    basis: Pick<OutboxJob, 'updatedAt' | 'transactionUpdate'> = job,
    entries: TransactionEntry[] = [],
    sent: Pick<Parameters<SendTransactionUpdate>[1], 'requests' | 'stillAnswering'> = {},
  ): Promise<void> {
    if (job.transactionUpdate?.state !== 'owed' || !job.transactionId) return;
    if (until <= now()) return; // too late to send before a sweep may: the sweep sends it
    const answer = await opts.send(job, { jobs, until, ...(entries.length ? { entries } : {}), ...sent });
    if (answer.kind === 'waiting') return;
    if (answer.kind === 'sent' && answer.notOwed?.length) await refuseNotOwed(job.transactionId, answer.notOwed);
    const end = debtAfter(basis, answer, now(), t);
    const recorded = await settle(end);
    const about = {
      jobId: job.id,
      transactionId: job.transactionId,
      ...(jobs.length > 1 ? { jobs: jobs.length } : {}),
      attempts: (basis.transactionUpdate?.attempts ?? 0) + 1,
    };
    if (!recorded || end.state === 'sent') return;
    if (end.state === 'owed')
      opts.logger?.info({ ...about, reason: end.error, dueAt: end.dueAt }, 'OpenHIM transaction update to be retried');
    else opts.logger?.warn({ ...about, reason: end.error }, `OpenHIM transaction update ${end.state}`);
  }

  /**
   * The debts of jobs kept under `transactionId` by a request OpenHIM did not route: refused, before
   * the sent update settles the transaction's others. A job's own debt, or one it owes as the job a
   * request under that id was answered from (a rerun's debt, v17), as the job's id says.
   */
  async function refuseNotOwed(transactionId: string, jobIds: string[]): Promise<void> {
    const end = {
      state: 'refused' as const,
      error: `OpenHIM transaction ${transactionId} awaits no update of this write: it came with its id in a request OpenHIM did not route to the mediator`,
    };
    for (const id of jobIds) {
      const job = await opts.store.getJob(id);
      if (!job) continue;
      const settled =
        job.transactionId === transactionId
          ? await opts.store.settleTransactionUpdate(id, end)
          : await opts.store.settleRerunUpdate(id, transactionId, end);
      if (settled)
        opts.logger?.warn({ jobId: id, transactionId, reason: end.error }, 'OpenHIM transaction update refused');
    }
  }

  /**
   * Sends under way, by transaction. Jobs of one transaction ending together (a Bundle's writes) each
   * report it, and each report builds the one update: sent at once, both PUTs carried the same
   * calls ($push, read before either was applied) and core kept them twice. The next send of a
   * transaction starts once this process's last one is answered, and reads its debts again.
   */
  const sending = new Map<string, Promise<void>>();

  async function sendTransaction(job: OutboxJob, until: (owed: OutboxJob[]) => number): Promise<void> {
    const transactionId = job.transactionId;
    if (job.transactionUpdate?.state !== 'owed' || !transactionId) return;
    const before = sending.get(transactionId);
    const run = (before ?? Promise.resolve())
      .catch(() => undefined) // the one before reported its own failure
      .then(() => sendTransactionAlone(job, until));
    sending.set(transactionId, run);
    try {
      await run;
    } finally {
      if (sending.get(transactionId) === run) sending.delete(transactionId);
    }
  }

  /**
   * The update of `job`'s whole transaction, once the writes of one request under its id have all
   * settled (until then the last of them to settle sends it, or a sweep): sent once for all of
   * them, their debts settled together. The update reads which request core routed and waits for
   * that one's writes (routed-writes.ts); another request's unfinished write holds nothing back.
   */
  async function sendTransactionAlone(job: OutboxJob, until: (owed: OutboxJob[]) => number): Promise<void> {
    if (job.transactionUpdate?.state !== 'owed' || !job.transactionId) return;
    const transactionId = job.transactionId;
    const jobs = await opts.store.jobsOfTransaction(transactionId);
    const requests = await opts.store.requestsOfTransaction(transactionId);
    if (!someRequestEnded(jobs, requests)) return;
    const entries = await opts.store.entriesOfTransaction(transactionId);
    const answeredFrom = await settledJobsNamed(entries, jobs);
    const owed = jobs.filter((j) => j.transactionUpdate?.state === 'owed');
    if (owed.length === 0) return; // another process sent it meanwhile
    const lastEnd = Math.max(...jobs.map((j) => j.updatedAt));
    const basis = {
      updatedAt: Math.max(...owed.map((j) => j.updatedAt)),
      transactionUpdate: {
        state: 'owed' as const,
        attempts: Math.max(...owed.map((j) => j.transactionUpdate?.attempts ?? 0)),
      },
    };
    await sendOwed(
      owed[0],
      [...jobs, ...answeredFrom],
      until(owed),
      async (end) => (await opts.store.settleTransactionUpdates(transactionId, end, lastEnd)) > 0,
      basis,
      entries,
      {
        ...(requests.length ? { requests } : {}),
        // a sweep sends it once the routed batch is answered
        stillAnswering: (map) => stillAnswering(map, jobs, now()),
      },
    );
  }

  /**
   * Jobs an entry names that are not the transaction's own: a duplicate answered from a write
   * already settled, which no other write of the request listed (outbox answerDuplicate).
   */
  async function settledJobsNamed(entries: TransactionEntry[], jobs: OutboxJob[]): Promise<OutboxJob[]> {
    const known = new Set(jobs.map((j) => j.id));
    const missing = [...new Set(entries.flatMap((e) => (e.jobId && !known.has(e.jobId) ? [e.jobId] : [])))];
    const found = await Promise.all(missing.map((id) => opts.store.getJob(id)));
    return found.filter((j): j is OutboxJob => j !== undefined);
  }

  /** The job's end owes an update: sent now, before the grace its end gave this process runs out. */
  function report(job: OutboxJob): Promise<void> {
    // the earliest debt of the transaction is the first a sweep may take
    return sendTransaction(job, (owed) => Math.min(...owed.map((j) => j.transactionUpdate?.dueAt ?? 0)));
  }

  /** Claims and sends one batch of one kind of debt; returns how many it claimed. */
  async function sweepBatch(
    claim: (at: number, until: number) => Promise<OutboxJob[]>,
    send: (jobs: OutboxJob[], until: number) => Promise<void>[],
  ): Promise<number> {
    const at = now();
    const until = at + t.claimMs;
    const jobs = await claim(at, until);
    // one failing send must not hold the others back: each records its own answer
    const results = await Promise.allSettled(send(jobs, until));
    for (const r of results)
      if (r.status === 'rejected')
        opts.logger?.warn({ err: describe(r.reason) }, 'OpenHIM transaction update sweep: a send failed');
    return jobs.length;
  }

  /**
   * One send per transaction among the claimed debts (a Bundle's jobs may be claimed together). A
   * rerun's debt is claimed as its job carrying the rerun's transaction id (Store.claimRerunUpdates),
   * and sent as that transaction's whole: a rerun of a Bundle is one update, as its first run is.
   */
  function sendClaimed(jobs: OutboxJob[], until: number): Promise<void>[] {
    const firstOfEach = new Map<string, OutboxJob>();
    for (const job of jobs) if (!firstOfEach.has(job.transactionId!)) firstOfEach.set(job.transactionId!, job);
    return [...firstOfEach.values()].map((job) => sendTransaction(job, () => until));
  }

  async function sweepOnce(): Promise<number> {
    let handled = 0;
    const claimOwn = (at: number, until: number) => opts.store.claimTransactionUpdates(at, batch, until);
    const claimReruns = (at: number, until: number) => opts.store.claimRerunUpdates(at, batch, until);
    for (;;) {
      const own = await sweepBatch(claimOwn, sendClaimed);
      const reruns = await sweepBatch(claimReruns, sendClaimed);
      handled += own + reruns;
      if ((own < batch && reruns < batch) || stopped) return handled;
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(pass, ms);
    timer.unref();
  }

  function pass(): void {
    running = sweepOnce()
      .then(
        () => outage?.passed(),
        (err: unknown) => outage?.failed(err),
      )
      .finally(() => {
        running = undefined;
        schedule(pollMs);
      });
  }

  return {
    report,
    sweepOnce,
    start() {
      if (timer || running || stopped) return;
      pass();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
