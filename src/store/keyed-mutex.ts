/**
 * An in-process mutex per name: callers of `run(name, fn)` with the same name run one at a time,
 * in arrival order; other names do not wait. A waiter that gives up after `waitMs` leaves the
 * queue without ever running. Used by Store.withLock: on SQLite it is the whole lock (one process
 * owns the database file), on PostgreSQL it keeps one connection per name waiting on the
 * advisory lock instead of one per caller.
 */
export class LockWaitTimeout extends Error {
  constructor(
    readonly lockName: string,
    waitMs: number,
  ) {
    super(`lock ${lockName} is still held by another write after ${waitMs} ms`);
    this.name = 'LockWaitTimeout';
  }
}

export class KeyedMutex {
  /** The tail of each name's queue: resolves when the last caller queued so far has finished. */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(name: string, fn: () => Promise<T>, waitMs = Number.POSITIVE_INFINITY): Promise<T> {
    const before = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // the next caller waits for us, and for whoever we wait for (a timed-out waiter must not let it skip ahead)
    const tail = before.then(() => mine);
    this.tails.set(name, tail);
    try {
      await waitFor(before, waitMs, () => new LockWaitTimeout(name, waitMs));
    } catch (err) {
      // we never ran: our place in the queue passes as soon as those before us are done
      release();
      void tail.then(() => {
        if (this.tails.get(name) === tail) this.tails.delete(name);
      });
      throw err;
    }
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}

/**
 * Runs `fn` holding the mutex of every name: taken one by one in sorted order, so two callers
 * naming overlapping sets never each hold one the other waits for. `waitMs` bounds the whole wait.
 */
export function inOrder<T>(
  mutex: KeyedMutex,
  names: string[],
  fn: () => Promise<T>,
  waitMs = Number.POSITIVE_INFINITY,
): Promise<T> {
  const sorted = [...new Set(names)].sort();
  const started = Date.now();
  const take = (i: number): Promise<T> =>
    i === sorted.length ? fn() : mutex.run(sorted[i], () => take(i + 1), Math.max(0, waitMs - (Date.now() - started)));
  return take(0);
}

function waitFor(p: Promise<void>, ms: number, timeout: () => Error): Promise<void> {
  if (!Number.isFinite(ms)) return p;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), Math.max(0, ms));
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * One mutex per database, shared by every Store object opened on it in this process (two
 * SqliteStore objects on one file must exclude each other like two PostgreSQL instances do).
 */
const byDatabase = new Map<string, KeyedMutex>();

export function mutexFor(database: string): KeyedMutex {
  let m = byDatabase.get(database);
  if (!m) byDatabase.set(database, (m = new KeyedMutex()));
  return m;
}
