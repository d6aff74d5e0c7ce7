import type Database from 'better-sqlite3';
import type { WalSync } from './wal-sync.js';
import { markDatabaseAway } from './database-away.js';

/** What GroupCommit needs of a WalSync (tests pass their own). */
export type DurabilitySync = Pick<WalSync, 'sync' | 'syncNow'>;

/**
 * Group commit for one SQLite connection (issue 18). With synchronous=FULL every COMMIT is an
 * fsync, and one transaction per store call made an accepted write cost ~4 of them. Here the
 * first write of an event-loop turn opens `BEGIN IMMEDIATE`, every write of that turn runs in its
 * own SAVEPOINT (a failing one rolls back only itself), and the COMMIT runs on setImmediate: one
 * fsync for everything the turn did. While an fsync is in flight, the turns that follow add to
 * one batch, committed when that fsync completes (finishOrHold).
 *
 * Durability is unchanged: no promise settles before its batch is on disk, so nobody is answered
 * for, or acts on, a row that could still be lost. With a WalSync (file databases, in WAL mode
 * with synchronous=NORMAL) "on disk" means: COMMIT returned, then an fsync of the WAL that started
 * after it completed. That fsync runs off the event loop and covers every batch committed before
 * it started, so the loop keeps working (and committing further batches) while the disk syncs.
 * Without a WalSync (the connection syncs inside COMMIT, synchronous=FULL) the COMMIT is the
 * point. That holds for reads too: a read sees rows of the open batch, and of batches committed
 * but not yet synced, so it waits for them as well (a read that can see nothing unsynced answers
 * at once). If the COMMIT or the sync fails, every operation of the batch rejects with that error.
 *
 * better-sqlite3 is synchronous, so the operations themselves never interleave; only their
 * answers wait. One GroupCommit per connection, and one connection per database file per process
 * (sqlite-connection.ts): a second connection's synchronous busy wait would block the event loop
 * that has to run the COMMIT it waits for.
 */
interface Waiter {
  settle(commitError: unknown): void;
}

interface Batch {
  waiters: Waiter[];
  /** readAhead and writeAhead calls of this batch: settled at its COMMIT, not at the sync after it. */
  committed: Waiter[];
  /** Writes in it (write and writeAhead), for stats. */
  writes: number;
}

/** Waiters of committed batches that one fsync makes durable; settled once. */
interface SyncGroup {
  waiters: Waiter[];
  settled: boolean;
}

const NO_ERROR = Symbol('committed');

/**
 * How long writes wait for a write lock another process holds (an operator's command, a
 * `sqlite3` shell in a transaction, a backup) before they fail with SQLITE_BUSY, a 503: the
 * busy_timeout the connection had, but waited for off the event loop (waitForLock).
 */
export const LOCK_WAIT_MS = 5_000;

export class GroupCommit {
  private open?: Batch;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  /** Batches committed and operations they carried, for tests and benchmarks. */
  readonly stats = { commits: 0, operations: 0, syncs: 0 };
  /** Committed, waiting for the next fsync to start. */
  private unsynced?: SyncGroup;
  /** Committed, covered by the fsync in flight. */
  private syncing?: SyncGroup;
  /** The open batch, kept open past its turn until the fsync in flight completes (finishOrHold). */
  private held?: Batch;
  /** Another process holds the write lock: the writes since wait on this, in order (waitForLock). */
  private lockWait?: Promise<void>;

  constructor(
    private readonly db: Database.Database,
    private readonly wal?: DurabilitySync,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
    // a write lock held elsewhere fails BEGIN at once and is waited for off the event loop
    // (waitForLock); SQLite applies a PRAGMA when it is prepared, so it cannot be switched per
    // BEGIN for less than a prepare each (~13 µs). WAL readers never wait for a writer.
    db.pragma('busy_timeout = 0');
  }

  /** Run `fn` (synchronous SQL that changes data) in this turn's transaction; settles after its COMMIT. */
  write<T>(fn: () => T): Promise<T> {
    const run = this.inBatch(fn, true, () => this.write(fn));
    return run instanceof Promise ? run : this.await(run.batch, run.outcome);
  }

  /**
   * write(), for `fn` that changes data with one statement and cannot fail after it (it may read
   * before or after it, or fail before it). It needs no SAVEPOINT of its own (issue 18: a pair of
   * statements around each operation, 16 of an OpenLMIS order's ~40): SQLite undoes a failing
   * statement's changes itself and keeps the transaction (conflict resolution ABORT, the default;
   * the schema has no trigger, OR FAIL or deferred constraint that would leave part of it), and
   * where it rolls back the whole transaction instead (an I/O error) the batch fails, as it does
   * when ROLLBACK TO finds no transaction.
   */
  writeStatement<T>(fn: () => T): Promise<T> {
    const run = this.inBatch(fn, false, () => this.writeStatement(fn));
    return run instanceof Promise ? run : this.await(run.batch, run.outcome);
  }

  /**
   * Runs `fn` in the open batch (opening one) under a savepoint of its own, so a failing operation
   * is undone alone (without one: writeStatement); its batch and its outcome, or the failure to
   * open a batch. While another process holds the write lock, `again` (the caller's own call, by
   * default one that settles at once) runs once the lock is ours, after the writes waiting before.
   */
  private inBatch<T>(
    fn: () => T,
    savepoint: boolean,
    again: () => Promise<T> = () => {
      const run = this.inBatch(fn, savepoint);
      return run instanceof Promise ? run : run.outcome();
    },
  ): { batch: Batch; outcome: () => Promise<T> } | Promise<T> {
    if (this.lockWait) return this.lockWait.then(again);
    let batch: Batch;
    try {
      batch = this.open ?? this.start();
    } catch (err) {
      if (!isBusy(err)) return Promise.reject(err);
      this.lockWait = this.waitForLock();
      return this.lockWait.then(again);
    }
    if (savepoint) this.savepoint.run();
    batch.writes += 1;
    try {
      const value = fn();
      if (savepoint) this.release.run();
      return { batch, outcome: () => Promise.resolve(value) };
    } catch (err) {
      if (savepoint) this.undo(batch, err);
      else this.abortIfEnded(batch, err);
      return { batch, outcome: () => Promise.reject(err) };
    }
  }

  /**
   * Run `fn` (synchronous SQL that only reads) now. It may have seen rows that are not on disk
   * yet (the open batch's, or those of a batch whose fsync has not completed): then it waits for
   * the latest of them.
   */
  read<T>(fn: () => T): Promise<T> {
    const batch = this.open;
    const outcome = runNow(fn);
    if (batch) return this.await(batch, outcome);
    const group = this.unsynced ?? this.syncing;
    if (!group) return outcome();
    return new Promise<T>((resolve, reject) => {
      this.waitFor(group, { settle: (e) => (e === NO_ERROR ? outcome().then(resolve, reject) : reject(e)) });
    });
  }

  /** Wait for a committed group's sync, starting it if nobody had asked for it yet (writes ahead only). */
  private waitFor(group: SyncGroup, waiter: Waiter): void {
    group.waiters.push(waiter);
    if (group === this.unsynced) this.startSync();
  }

  /**
   * Run `fn` (synchronous SQL that only reads) now, for a result that only feeds a write this
   * process makes next (a write's own lookups before it is recorded). It waits for the COMMIT of
   * the open batch it may have seen (a batch that fails leaves nothing to have seen), but not for
   * the sync of anything committed: the write it feeds answers nobody before a sync that started
   * after its own COMMIT, and the WAL is ordered, so that sync covers every row this read saw.
   * Anything answered from such a read without that write must first await durable().
   */
  readAhead<T>(fn: () => T): Promise<T> {
    const batch = this.open;
    const outcome = runNow(fn);
    return batch ? this.atCommit(batch, outcome) : outcome();
  }

  /** Resolves once everything committed so far (and the open batch) is on disk; what a readAhead saw, too. */
  durable(): Promise<void> {
    return this.read(() => undefined);
  }

  /**
   * Run `fn` (synchronous SQL that changes data) in this turn's transaction, like write(), but
   * settle at its COMMIT, before the sync that makes it durable. For a write whose caller answers
   * nobody from it before onDisk() (called once it settled) has resolved: the caller's own work
   * (an upstream read) then overlaps that sync instead of following it (issue 18).
   */
  writeAhead<T>(fn: () => T): Promise<T> {
    const run = this.inBatch(fn, true, () => this.writeAhead(fn));
    return run instanceof Promise ? run : this.atCommit(run.batch, run.outcome);
  }

  /**
   * Run `fn` (synchronous SQL that changes data) in the open batch (opening one) and hand its
   * value back at once: neither its COMMIT nor the sync after it is waited for, and it forces
   * neither. For a write whose loss costs nothing but a later answer (a read-back's first
   * sighting: the next read records a later one of the same content): a failing COMMIT or a
   * crash loses it like any unsynced row. Its batch commits with the writes around it, held
   * while an fsync runs like any batch nobody goes on from (finishOrHold), so on a busy create
   * path it costs no COMMIT of its own (issue 18). If `fn` itself fails, only its own changes
   * are undone and the promise rejects. `savepoint` false: `fn` is one statement, as for
   * writeStatement().
   */
  writeBehind<T>(fn: () => T, savepoint = true): Promise<T> {
    const run = this.inBatch(fn, savepoint);
    return run instanceof Promise ? run : run.outcome();
  }

  /**
   * Resolves once every batch committed so far is on disk; unlike durable(), not the open batch.
   * Called after a writeAhead settled, it waits for that write's sync and for nothing committed
   * after it (commits run on setImmediate, never between a settlement and the code it resumes).
   */
  onDisk(): Promise<void> {
    const group = this.unsynced ?? this.syncing;
    if (!group) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waitFor(group, { settle: (e) => (e === NO_ERROR ? resolve() : reject(e)) });
    });
  }

  /** Commit the open batch and sync it now (before closing, or before migrations on a shared connection). */
  flush(): void {
    if (this.open) this.finish(this.open);
    if (!this.wal) return;
    const groups = [this.syncing, this.unsynced].filter((g): g is SyncGroup => g !== undefined);
    if (groups.length === 0) return;
    // the sync in flight settles nothing more when it completes (its group is settled here)
    this.unsynced = undefined;
    this.syncing = undefined;
    let result: unknown = NO_ERROR;
    try {
      this.wal.syncNow();
      this.stats.syncs += 1;
    } catch (err) {
      result = err;
    }
    for (const g of groups) settleGroup(g, result);
  }

  /**
   * Whether this process could write now, asked without writing (/ready): the write lock taken
   * and given back at once. Held by another process for `waitMs`, or writes already waiting for
   * it, it rejects with SQLITE_BUSY saying so; every write meanwhile waits or is a 503.
   */
  async probeWriteLock(waitMs: number): Promise<void> {
    const until = Date.now() + waitMs;
    let pause = 5;
    for (;;) {
      if (this.open) return; // ours
      if (this.lockWait) throw lockedElsewhere('writes are waiting for it');
      try {
        this.beginNow();
        this.rollback.run();
        return;
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
      if (Date.now() >= until) throw lockedElsewhere(`for over ${waitMs} ms`);
      await sleep(pause);
      pause = Math.min(pause * 2, 100);
    }
  }

  /** BEGIN IMMEDIATE, failing at once (SQLITE_BUSY) instead of busy-waiting on the event loop. */
  private beginNow(): void {
    this.begin.run();
  }

  /**
   * Waits, off the event loop, for another process to give the write lock back, and opens the
   * batch the waiting writes then run in (in the order they came); after LOCK_WAIT_MS they all
   * fail with SQLITE_BUSY. A synchronous busy wait (busy_timeout) would stop every request,
   * /health included, and every delivery's timers for that long, at each write.
   */
  private async waitForLock(): Promise<void> {
    const until = Date.now() + LOCK_WAIT_MS;
    let pause = 5;
    try {
      for (;;) {
        await sleep(pause);
        pause = Math.min(pause * 2, 100);
        // closed meanwhile (a shutdown): the writes fail as the database being away, not as a bug
        if (!this.db.open) throw lockedElsewhere('and this process closed the database meanwhile');
        try {
          this.start();
          return;
        } catch (err) {
          if (!isBusy(err)) throw err;
        }
        if (Date.now() >= until) throw lockedElsewhere(`for over ${LOCK_WAIT_MS / 1000} s`);
      }
    } finally {
      this.lockWait = undefined;
    }
  }

  private start(): Batch {
    this.beginNow();
    const batch: Batch = { waiters: [], committed: [], writes: 0 };
    this.open = batch;
    setImmediate(() => {
      if (this.open === batch) this.finishOrHold(batch);
    });
    return batch;
  }

  /**
   * Commits `batch` at the end of its turn, unless an fsync is in flight and nobody in it settles
   * at its COMMIT: then it stays open until that fsync completes, and the turns in between add to
   * it. Its writers lose nothing by that: only one fsync runs at a time, so a batch committed now
   * would wait for the one in flight anyway before its own could start. Each COMMIT writes every
   * page its batch changed to the WAL, and consecutive batches change the same hot pages (the
   * jobs' B-tree leaves), so fewer, larger commits write fewer frames and run fewer statements
   * (issue 18). A batch with a writeAhead or readAhead commits at once, as before: those callers
   * go on working at its COMMIT (a create's read-back overlaps the sync).
   */
  private finishOrHold(batch: Batch): void {
    if (this.syncing && batch.committed.length === 0) this.held = batch;
    else this.finish(batch);
  }

  /** A failed operation gives back only its own changes; if SQLite already ended the transaction, the batch is lost. */
  private undo(batch: Batch, err: unknown): void {
    try {
      this.rollbackTo.run();
      this.release.run();
    } catch {
      this.abort(batch, err);
    }
    this.abortIfEnded(batch, err);
  }

  /** SQLite ended the transaction on a failure (it does on I/O and out-of-memory errors): the batch is lost. */
  private abortIfEnded(batch: Batch, err: unknown): void {
    if (!this.db.inTransaction && this.open === batch) this.abort(batch, err);
  }

  /** Settles with `outcome` once `batch` has committed, before its sync. */
  private atCommit<T>(batch: Batch, outcome: () => Promise<T>): Promise<T> {
    if (this.held === batch) {
      // a caller that goes on at the COMMIT joined a held batch: commit at the end of this turn
      this.held = undefined;
      setImmediate(() => {
        if (this.open === batch) this.finish(batch);
      });
    }
    return new Promise<T>((resolve, reject) => {
      batch.committed.push({ settle: (e) => (e === NO_ERROR ? outcome().then(resolve, reject) : reject(e)) });
    });
  }

  /** Settles with `outcome` once `batch` is on disk. */
  private await<T>(batch: Batch, outcome: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      batch.waiters.push({
        settle: (commitError) => (commitError === NO_ERROR ? outcome().then(resolve, reject) : reject(commitError)),
      });
    });
  }

  private finish(batch: Batch): void {
    this.open = undefined;
    if (this.held === batch) this.held = undefined;
    let result: unknown = NO_ERROR;
    try {
      this.commit.run();
      this.stats.commits += 1;
      this.stats.operations += batch.writes;
    } catch (err) {
      result = err;
      if (this.db.inTransaction) this.rollback.run();
    }
    for (const w of batch.committed) w.settle(result);
    if (result !== NO_ERROR || !this.wal) {
      for (const w of batch.waiters) w.settle(result);
      return;
    }
    if (this.unsynced) this.unsynced.waiters.push(...batch.waiters);
    else this.unsynced = { waiters: batch.waiters, settled: false };
    this.startSync();
  }

  /**
   * One fsync at a time; it covers every batch committed before it started. Not for a group
   * nobody waits for (batches of writes ahead whose callers have not asked for onDisk() yet, or
   * never will: a read-back's first sighting): the next sync anyone waits for covers it, so a
   * create's sighting costs no fsync of its own (issue 18).
   */
  private startSync(): void {
    const wal = this.wal;
    const group = this.unsynced;
    if (!wal || !group || this.syncing || group.waiters.length === 0) return;
    this.unsynced = undefined;
    this.syncing = group;
    let synced: Promise<void>;
    try {
      synced = wal.sync();
    } catch (err) {
      synced = Promise.reject(err);
    }
    synced.then(
      () => this.synced(group, NO_ERROR),
      (err: unknown) => this.synced(group, err),
    );
  }

  private synced(group: SyncGroup, result: unknown): void {
    if (this.syncing === group) this.syncing = undefined;
    if (result === NO_ERROR && !group.settled) this.stats.syncs += 1;
    settleGroup(group, result);
    // the held batch commits now, and its own sync (or an earlier group's) starts
    const held = this.held;
    if (held && this.open === held) this.finish(held);
    this.startSync();
  }

  /** The transaction is gone (SQLite rolled it back on an I/O or full-disk error): every operation in it fails. */
  private abort(batch: Batch, err: unknown): void {
    if (this.open !== batch) return;
    this.open = undefined;
    if (this.held === batch) this.held = undefined;
    if (this.db.inTransaction) this.rollback.run();
    // settled on the next turn, like a commit, so no answer overtakes the failure
    setImmediate(() => {
      for (const w of [...batch.committed, ...batch.waiters]) w.settle(err);
    });
  }
}

function isBusy(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
}

/** SQLITE_BUSY in words: the database is away for now (database-away.ts), a 503 to a request. */
function lockedElsewhere(how: string): Error {
  return Object.assign(new Error(`another process holds the SQLite database's write lock (${how})`), {
    code: 'SQLITE_BUSY',
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function settleGroup(group: SyncGroup, result: unknown): void {
  if (group.settled) return;
  group.settled = true;
  // a failed fsync (a raw EIO from fs, no SQLITE_ code) is the database's failure, retried later
  // like one: an attempt reading the store while an accept's sync ran (accept-on-disk.ts) would
  // otherwise take it for a bug of ours and dead-letter the write
  if (result !== NO_ERROR) markDatabaseAway(result);
  for (const w of group.waiters) w.settle(result);
}

/** Runs synchronous SQL now; its result (or error) is handed out later, once the caller may answer. */
function runNow<T>(fn: () => T): () => Promise<T> {
  try {
    const value = fn();
    return () => Promise.resolve(value);
  } catch (err) {
    return () => Promise.reject(err);
  }
}
