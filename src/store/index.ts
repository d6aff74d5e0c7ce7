import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';
import { ConfigError } from '../config/load.js';
import { unusablePathError } from '../config/unusable-path.js';
import { assertPostgresSchema, assertSqliteFile, settingOf } from './missing-store.js';
import { restoredBesideOldWal } from './wal-after-restore.js';

export * from './types.js';

export interface StoreSettings {
  /**
   * `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:PATH` (or `sqlite::memory:`) → that
   * SQLite file; absent → SQLite at `<dataDir>/mediator.db`.
   */
  databaseUrl?: string;
  /** Directory for the default SQLite file; default ./data. */
  dataDir?: string;
  /** PostgreSQL pool size per instance; default 10. */
  poolSize?: number;
  /** PostgreSQL: how soon a scheduled run's silent lock session stops it (store.lockSilentMs; LOCK_SILENT_MS unless given). */
  lockSilentMs?: number;
  /**
   * Refuse (ConfigError naming where) when no mediator database is there yet, instead of creating
   * an empty one: for operator commands that read or work on an existing store, where a typo in
   * --data-dir would otherwise create one and report "nothing to do" (missing-store.ts).
   */
  existing?: boolean;
  /**
   * Told, before a SQLite file is opened, why it may have been restored beside the WAL of the
   * database it replaced (wal-after-restore.ts): the server logs it as a warning. Unset (an
   * operator command), it goes to stderr: a command run first after a restore applies that WAL
   * and, closing, deletes it, so the server started next has nothing left to warn about.
   */
  onWarning?: (message: string) => void;
}

export type StoreTarget = { engine: 'postgres'; url: string } | { engine: 'sqlite'; file: string };

/** Which engine and where, from the settings; pure so config validation can call it. */
export function resolveStoreTarget(settings: StoreSettings = {}): StoreTarget {
  const url = settings.databaseUrl?.trim();
  if (url && /^postgres(ql)?:\/\//i.test(url)) return { engine: 'postgres', url };
  if (url && url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new Error('databaseUrl "sqlite:" needs a path, e.g. sqlite:./data/mediator.db or sqlite::memory:');
    return { engine: 'sqlite', file: file === ':memory:' ? ':memory:' : path.resolve(file) };
  }
  // never the URL itself: it carries the database password
  if (url)
    throw new ConfigError(
      'store.databaseUrl (DATABASE_URL, --database-url) must start with postgres://, postgresql:// or sqlite: (got another scheme)',
    );
  return { engine: 'sqlite', file: path.resolve(settings.dataDir ?? './data', 'mediator.db') };
}

/**
 * Largest clock difference to the PostgreSQL server accepted at start-up. Two instances within
 * it of the server are within twice it of each other: well inside the outbox's margins (a lease
 * outlives its attempt by leaseMs − attemptTimeoutMs, 60 s by default; settleMs is 30 s).
 */
const MAX_CLOCK_SKEW_MS = 5_000;

/** Open the configured engine and bring its schema up to date. */
export async function openStore(settings: StoreSettings = {}): Promise<Store> {
  const target = resolveStoreTarget(settings);
  if (target.engine === 'postgres') {
    // loaded only here: an instance on SQLite never loads the PostgreSQL driver (start-up time, memory)
    const { PostgresStore } = await import('./postgres.js');
    const store = new PostgresStore(target.url, settings.poolSize, { lockSilentMs: settings.lockSilentMs });
    try {
      if (settings.existing) await assertPostgresSchema(store, target.url, settingOf(settings));
      await store.migrate();
      const skew = await store.clockSkewMs();
      if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
        throw new Error(
          `this machine's clock is ${Math.round(skew / 1000)} s off the PostgreSQL server's; instances sharing the outbox compare ` +
            `lease and retry times written by each other, so a skewed clock could take over a write still in flight. Synchronise the clock (NTP)`,
        );
      }
      store.useServerClock(skew);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return store;
  }
  if (settings.existing) assertSqliteFile(target.file, settingOf(settings));
  const restored = restoredBesideOldWal(target.file);
  if (restored) (settings.onWarning ?? warnOnStderr)(restored);
  const store = openSqlite(target.file, settings.databaseUrl ? 'store.databaseUrl' : 'store.dataDir');
  store.migrate();
  return store;
}

/** A store warning of an operator command, which has no logger: one line on stderr. */
function warnOnStderr(message: string): void {
  process.stderr.write(`store: ${message}\n`);
}

/**
 * The SQLite file, or the setting naming it when it cannot be opened (a DATA_DIR under a file, a
 * read-only directory): a configuration error in one line, not a stack through fs.
 */
function openSqlite(file: string, setting: string): SqliteStore {
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    return new SqliteStore(file);
  } catch (err) {
    throw unusablePathError(setting, `the SQLite database ${file} cannot be opened`, err) ?? err;
  }
}
