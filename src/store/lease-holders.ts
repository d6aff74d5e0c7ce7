import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { lockExclusively } from './lock-file.js';

/**
 * Which processes holding outbox leases on a SQLite file are still running. Each outbox that
 * takes a lease (the server's worker and first attempts, a CLI's bridge or propagation run) first
 * holds an exclusive SQLite lock on a file of its own beside the database
 * (`mediator.db.lease-holder-<holder>`), never written. The operating system drops the lock when
 * the process ends however it ends (SIGKILL, power cut), as for the server's own lock
 * (sqlite-owner.ts). So a lock that can be taken is the mark of a holder that ended without ending
 * its leases, and its jobs need not wait out their lease (120 s by default) before they are tried
 * again; a lock held is a live process, even a CLI started beside the server, whose attempt must
 * not be taken over. A pid would not tell: a container's restarted server is pid 1 again, and a
 * CLI in another container sharing the volume has a pid this one cannot see.
 */
export class LeaseHolderLocks {
  private readonly held = new Map<string, Database.Database>();

  constructor(private readonly dbFile: string) {}

  /** Where `holder`'s lock lives: its name as it is when that is a safe file name, else a hash. */
  fileOf(holder: string): string {
    const plain = /^[A-Za-z0-9._-]{1,120}$/.test(holder) && !holder.startsWith('.');
    const name = plain ? holder : createHash('sha256').update(holder).digest('hex').slice(0, 40);
    return `${this.dbFile}.lease-holder-${name}`; // beside it, as mediator.db.lock: no directory to tidy
  }

  /** Takes `holder`'s lock, held until release() or the process ends. Throws when it cannot. */
  hold(holder: string): void {
    if (this.held.has(holder)) return;
    const db = new Database(this.fileOf(holder), { timeout: 0 });
    try {
      lockExclusively(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.held.set(holder, db);
  }

  /**
   * When `holder`'s process ended (its lock file is there and nobody holds the lock), runs `end`
   * holding the lock, then removes the file; true when it ran. A holder without a usable file is not
   * known to have ended (its leases were taken before this was recorded, or it could not make
   * the file): its leases run out as they always did.
   */
  async ifEnded(holder: string, end: () => Promise<void>): Promise<boolean> {
    if (this.held.has(holder)) return false;
    const file = this.fileOf(holder);
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 0, fileMustExist: true });
    } catch {
      return false;
    }
    try {
      try {
        lockExclusively(db);
      } catch {
        return false; // held (SQLITE_BUSY): running; or a file that is no lock: not known to have ended
      }
      await end();
      fs.rmSync(file, { force: true });
      return true;
    } finally {
      db.close();
    }
  }

  /**
   * Removes the lock files of holders that ended holding no lease (a process killed while idle),
   * which nothing else would come back for. One whose lock is held, or just being taken by a new
   * holder that has no lease yet, stays or is made again: a missing file only means "not known".
   */
  sweep(): void {
    const dir = path.dirname(this.dbFile);
    const prefix = `${path.basename(this.dbFile)}.lease-holder-`;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    const mine = new Set([...this.held.keys()].map((h) => this.fileOf(h)));
    for (const name of names) {
      const file = path.join(dir, name);
      if (name.startsWith(prefix) && !mine.has(file)) removeIfFree(file);
    }
  }

  /** Ends the locks of the holders `done` says hold no lease any more; the others stay till exit. */
  release(done: (holder: string) => boolean): void {
    for (const [holder, db] of this.held) {
      if (!done(holder)) continue; // an attempt still out: its lease ends when this process does
      fs.rmSync(this.fileOf(holder), { force: true });
      db.close();
      this.held.delete(holder);
    }
  }
}

/** Removes a lock file nobody holds; leaves one that is held, or that is no lock. */
function removeIfFree(file: string): void {
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0, fileMustExist: true });
  } catch {
    return;
  }
  try {
    lockExclusively(db);
    fs.rmSync(file, { force: true });
  } catch {
    // held: its holder runs
  } finally {
    db.close();
  }
}

/** The lease owners of the jobs in flight (the partial index of waiting jobs holds them). */
export const IN_FLIGHT_LEASE_OWNERS_SQL = `SELECT DISTINCT lease_owner FROM outbox_jobs
  WHERE status IN ('pending', 'in-flight') AND status = 'in-flight' AND lease_owner IS NOT NULL`;

/** Ends the leases of one holder's jobs in flight (owners `${holder}:…`) at ?: the next claim takes them. */
export const END_LEASES_OF_HOLDER_SQL = `UPDATE outbox_jobs SET lease_until = ?
  WHERE status IN ('pending', 'in-flight') AND status = 'in-flight' AND substr(lease_owner, 1, ?) = ?`;

/** Whether one holder still has a job in flight. */
export const HOLDER_IN_FLIGHT_SQL = `SELECT 1 FROM outbox_jobs
  WHERE status IN ('pending', 'in-flight') AND status = 'in-flight' AND substr(lease_owner, 1, ?) = ? LIMIT 1`;

/** The holder of a lease owner (`${holder}:${token}`, outbox.ts leaseToken), or undefined. */
export function holderOf(leaseOwner: string): string | undefined {
  const at = leaseOwner.lastIndexOf(':');
  return at > 0 ? leaseOwner.slice(0, at) : undefined;
}

export interface ReleasedLeases {
  holder: string;
  jobs: number;
}

/**
 * Ends the leases of every holder among `owners` whose process ended; `endLeasesOf(prefix)` ends
 * those of owners starting with `prefix` and says how many. Then the ended holders' files go.
 */
export async function releaseEndedHolders(
  locks: LeaseHolderLocks,
  owners: string[],
  endLeasesOf: (prefix: string) => Promise<number>,
): Promise<ReleasedLeases[]> {
  const holders = new Set(owners.map(holderOf).filter((h): h is string => h !== undefined));
  const released: ReleasedLeases[] = [];
  for (const holder of holders) {
    let jobs = 0;
    const ended = await locks.ifEnded(holder, async () => {
      jobs = await endLeasesOf(`${holder}:`);
    });
    if (ended) released.push({ holder, jobs });
  }
  locks.sweep();
  return released;
}
