import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { lockExclusively } from './lock-file.js';
import { ConfigError } from '../config/load.js';
import { unusablePathError } from '../config/unusable-path.js';
import { resolveStoreTarget, type StoreSettings } from './index.js';

/** Held for as long as this process serves from a SQLite file; release() lets the next one start. */
export interface StoreOwnership {
  release(): void;
}

const NONE: StoreOwnership = { release: () => undefined };

/**
 * Makes this process the one server of its SQLite database, or refuses with what to do. Two
 * servers on one file would each run an outbox worker over the same jobs: a claim reads the due
 * jobs, then takes them in a write of its own, so both can take the same retry and send it twice;
 * and the locks that stand for "one process owns the file" (requisition initiates, scheduled
 * runs) are in-process mutexes, which the other server never sees. CLI commands (outbox, reconcile,
 * propagation, jobs) deliver no queued job and do not take this, so they work beside a server.
 *
 * The lock is SQLite's own exclusive lock on a file beside the database (`mediator.db.lock`),
 * never written: an open write transaction holds it, and the operating system drops it when the
 * process ends however it ends (SIGKILL, power cut), so no stale lock outlives its owner, as a pid
 * file would (a container's restarted server is pid 1 again). PostgreSQL takes several instances.
 */
export function ownSqliteStore(settings: StoreSettings): StoreOwnership {
  const target = resolveStoreTarget(settings);
  if (target.engine !== 'sqlite' || target.file === ':memory:') return NONE;
  const lockFile = `${target.file}.lock`;
  let db: Database.Database | undefined;
  try {
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    // timeout 0: a lock held by another server is a refusal now, not a wait
    db = new Database(lockFile, { timeout: 0 });
    lockExclusively(db);
  } catch (err) {
    db?.close();
    if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') {
      const setting = settings.databaseUrl ? 'store.databaseUrl' : 'store.dataDir';
      // said as the store's own opening says it (index.ts openSqlite): the directory is the problem
      throw unusablePathError(setting, `the SQLite database ${target.file} cannot be opened`, err) ?? err;
    }
    throw new ConfigError(
      `another mediator (serve or demo) is already serving the SQLite database ${target.file} (it holds ${lockFile}). ` +
        'Two servers on one file would deliver the same queued writes twice: stop that one first, or give this one ' +
        'another DATA_DIR; several instances need PostgreSQL (DATABASE_URL). The CLI commands work beside it.',
    );
  }
  const held = db;
  return {
    release() {
      if (held.open) held.close(); // closing ends the transaction, and with it the lock
    },
  };
}
