import fs from 'node:fs';

type FsyncCallback = (err: NodeJS.ErrnoException | null) => void;

/** What holdFsyncs gives a test: how many are held, and letting them go or failing them. */
export interface HeldFsyncs {
  held(): number;
  /** Every held fsync runs, and those after it run at once. */
  release(): void;
  /** Every held fsync fails with `err`, and those after it run at once. */
  fail(err: Error): void;
}

/**
 * Every fs.fsync from now on (the SQLite store's WAL sync, store/wal-sync.ts) waits until the test
 * releases or fails it: a store whose COMMITs are not on disk yet. Restored at teardown.
 */
export function holdFsyncs(t: { teardown(fn: () => unknown): void }): HeldFsyncs {
  const real = fs.fsync;
  let queue: { fd: number; cb: FsyncCallback }[] = [];
  fs.fsync = ((fd: number, cb: FsyncCallback) => queue.push({ fd, cb })) as unknown as typeof fs.fsync;
  const restore = () => {
    fs.fsync = real;
  };
  t.teardown(restore);
  const drain = (each: (h: { fd: number; cb: FsyncCallback }) => void) => {
    restore();
    const pending = queue;
    queue = [];
    for (const h of pending) each(h);
  };
  return {
    held: () => queue.length,
    release: () => drain((h) => real(h.fd, h.cb)),
    fail: (err) => drain((h) => process.nextTick(h.cb, err)),
  };
}
