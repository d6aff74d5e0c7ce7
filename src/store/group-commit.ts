import type Database from 'better-sqlite3';

/**
 * Group commit for one SQLite connection (issue 18). With synchronous=FULL every COMMIT is an
 * fsync, and one transaction per store call made an accepted write cost ~4 of them. Here the
 * first write of an event-loop turn opens `BEGIN IMMEDIATE`, every write of that turn runs in its
 * own SAVEPOINT (a failing one rolls back only itself), and the COMMIT runs on setImmediate: one
 * fsync for everything the turn did.
 *
 * Durability is unchanged: no promise settles before the COMMIT has returned (the data is on
 * disk), so nobody is answered for, or acts on, a row that could still be lost. That holds for
 * reads too: a read made while a batch is open sees its uncommitted rows, so it waits for the
 * commit as well (a read with no batch open sees only committed rows and answers at once). If
 * the COMMIT fails, every operation of the batch rejects with that error.
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
}

const NO_ERROR = Symbol('committed');

export class GroupCommit {
  private open?: Batch;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  /** Batches committed and operations they carried, for tests and benchmarks. */
  readonly stats = { commits: 0, operations: 0 };

  constructor(private readonly db: Database.Database) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
  }

  /** Run `fn` (synchronous SQL that changes data) in this turn's transaction; settles after its COMMIT. */
  write<T>(fn: () => T): Promise<T> {
    let batch: Batch;
    try {
      batch = this.open ?? this.start();
    } catch (err) {
      return Promise.reject(err);
    }
    this.savepoint.run();
    let value: T;
    try {
      value = fn();
    } catch (err) {
      this.undo(batch, err);
      return this.await<T>(batch, () => Promise.reject(err));
    }
    this.release.run();
    return this.await(batch, () => Promise.resolve(value));
  }

  /** Run `fn` (synchronous SQL that only reads) now; if a batch is open it saw that batch's rows, so it waits for its COMMIT. */
  read<T>(fn: () => T): Promise<T> {
    const batch = this.open;
    let outcome: () => Promise<T>;
    try {
      const value = fn();
      outcome = () => Promise.resolve(value);
    } catch (err) {
      outcome = () => Promise.reject(err);
    }
    return batch ? this.await(batch, outcome) : outcome();
  }

  /** Commit the open batch now (before closing, or before migrations on a shared connection). */
  flush(): void {
    if (this.open) this.finish(this.open);
  }

  private start(): Batch {
    this.begin.run();
    const batch: Batch = { waiters: [] };
    this.open = batch;
    setImmediate(() => {
      if (this.open === batch) this.finish(batch);
    });
    return batch;
  }

  /** A failed operation gives back only its own changes; if SQLite already ended the transaction, the batch is lost. */
  private undo(batch: Batch, err: unknown): void {
    try {
      this.rollbackTo.run();
      this.release.run();
    } catch {
      this.abort(batch, err);
    }
    if (!this.db.inTransaction && this.open === batch) this.abort(batch, err);
  }

  private await<T>(batch: Batch, outcome: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      batch.waiters.push({
        settle: (commitError) => (commitError === NO_ERROR ? outcome().then(resolve, reject) : reject(commitError)),
      });
    });
  }

  private finish(batch: Batch): void {
    this.open = undefined;
    let result: unknown = NO_ERROR;
    try {
      this.commit.run();
      this.stats.commits += 1;
      this.stats.operations += batch.waiters.length;
    } catch (err) {
      result = err;
      if (this.db.inTransaction) this.rollback.run();
    }
    for (const w of batch.waiters) w.settle(result);
  }

  /** The transaction is gone (SQLite rolled it back on an I/O or full-disk error): every operation in it fails. */
  private abort(batch: Batch, err: unknown): void {
    if (this.open !== batch) return;
    this.open = undefined;
    if (this.db.inTransaction) this.rollback.run();
    // settled on the next turn, like a commit, so no answer overtakes the failure
    setImmediate(() => {
      for (const w of batch.waiters) w.settle(err);
    });
  }
}
