import fs from 'node:fs';
import { ConfigError } from '../config/load.js';
import type { StoreSettings } from './index.js';

/**
 * An operator command pointed at a place where no mediator database is (a typo in --data-dir, a
 * DATABASE_URL naming another database) would create an empty one there and report nothing to do:
 * "all fine" for a store it never looked at. Commands that read or work on an existing store open
 * it with `existing: true` and are refused instead, in one line naming the place; `serve`, `demo`
 * and `reconcile --store` (the first crosswalk may come before the first server) still create it.
 */

/** The setting, and how an operator gives it, that named the store. */
export function settingOf(settings: StoreSettings): string {
  return settings.databaseUrl?.trim()
    ? 'store.databaseUrl: --database-url or DATABASE_URL'
    : 'store.dataDir: --data-dir or DATA_DIR';
}

function refusal(where: string, setting: string): ConfigError {
  return new ConfigError(
    `no mediator database ${where} (${setting}); this command reads an existing one and creates none: check the path (serve and demo create it)`,
  );
}

export function assertSqliteFile(file: string, setting: string): void {
  if (file === ':memory:') return;
  try {
    fs.statSync(file);
  } catch (err) {
    // only "not there": a path that cannot be one (under a file, not readable) is for the
    // opening to name precisely (unusablePathError)
    if ((err as { code?: string }).code === 'ENOENT') throw refusal(`at ${file}`, setting);
  }
}

/** PostgreSQL: the database is there (else its own error), but no mediator ever migrated it. */
export async function assertPostgresSchema(
  store: { migrationVersions(): Promise<number[]> },
  url: string,
  setting: string,
): Promise<void> {
  const versions = await store.migrationVersions().catch((err: unknown) => {
    // undefined_table: schema_migrations was never created here
    if ((err as { code?: string }).code === '42P01') return [];
    throw err;
  });
  if (versions.length === 0) throw refusal(`in ${postgresPlace(url)}`, setting);
}

/** Database and host of a PostgreSQL URL, never its credentials. */
function postgresPlace(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL database "${decodeURIComponent(u.pathname.slice(1)) || '(default)'}" on ${u.host}`;
  } catch {
    return 'the PostgreSQL database of that URL';
  }
}
