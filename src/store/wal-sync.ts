import fs from 'node:fs';
import path from 'node:path';

/**
 * Makes committed SQLite WAL frames durable with an fsync of the WAL file, run on libuv's thread
 * pool instead of inside COMMIT on the event loop (issue 18: with synchronous=FULL every COMMIT
 * blocked the loop ~4 ms for its fsync, about a fifth of the time at 32 clients).
 *
 * The connection runs with synchronous=NORMAL, which in WAL mode does every sync FULL does except
 * one: "With synchronous=FULL in WAL mode, an additional sync operation of the WAL file happens
 * after each transaction commit" (https://www.sqlite.org/pragma.html#pragma_synchronous). NORMAL
 * still syncs the WAL before each checkpoint, the database after it, and the WAL header when the
 * file is reused. This class is that additional sync: GroupCommit answers nobody for a commit
 * before a sync that started after that COMMIT returned has completed. fsync works on the inode,
 * so our own descriptor flushes the frames SQLite wrote through its own. SQLite never deletes the
 * WAL while a connection (ours) is open on the database, so the descriptor stays valid.
 */
export class WalSync {
  private fd?: number;
  private closed = false;
  private inFlight?: Promise<void>;

  constructor(private readonly walPath: string) {}

  /** The fsync, off the event loop. */
  sync(): Promise<void> {
    const fd = this.descriptor();
    const p = new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    this.inFlight = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** The same fsync, blocking: for a flush before closing or migrating. */
  syncNow(): void {
    fs.fsyncSync(this.descriptor());
  }

  /** Close the descriptor once the sync in flight (if any) is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    void (this.inFlight ?? Promise.resolve()).then(() => fs.close(fd, () => undefined));
  }

  /**
   * Opened at the first sync, when a COMMIT has written the file. A WAL file created by this
   * connection is new in its directory: the directory is synced once too, as SQLite does for a
   * new WAL, or a power cut could lose the file's name with everything in it.
   */
  private descriptor(): number {
    if (this.closed) throw new Error(`WAL sync of ${this.walPath} after close`);
    if (this.fd === undefined) {
      this.fd = fs.openSync(this.walPath, 'r');
      const dir = fs.openSync(path.dirname(this.walPath), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
    return this.fd;
  }
}
