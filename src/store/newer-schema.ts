import { ConfigError } from '../config/load.js';
import type { Migration } from './migrations.js';

/**
 * A database a newer release has migrated, opened by an older one (a downgrade, a rollback of a
 * deployment, a host left on the old image, an old CLI). The older code knows neither the newer
 * tables and columns nor what they mean: a job that release accepts would be written without
 * what the newer one relies on, and a migration the newer release retired could be run again.
 * So the start is refused before anything is written, naming both versions and the way back.
 */
export class NewerSchemaError extends ConfigError {}

/** The one applied migration above everything this release knows, looked for before migrating. */
export const NEWEST_UNKNOWN_SQL =
  'SELECT version, name FROM schema_migrations WHERE version > ? ORDER BY version DESC LIMIT 1';

export function newestKnownVersion(known: Migration[]): number {
  return Math.max(0, ...known.map((m) => m.version));
}

/** Throws when `newest` (the applied version above `knownUpTo`, if any) says a newer release migrated `database`. */
export function refuseNewerSchema(
  newest: { version: number | string; name: string } | undefined,
  knownUpTo: number,
  database: string,
): void {
  if (!newest) return;
  throw new NewerSchemaError(
    `${database} is at schema v${Number(newest.version)} (${newest.name}), migrated by a newer release of the ` +
      `mediator; this release knows versions up to v${knownUpTo} and does not start on it, so nothing was changed. ` +
      'Run that release (or a newer one); to go back to this one, restore the backup taken before the upgrade ' +
      '(README "Backups, restores and downgrades")',
  );
}
