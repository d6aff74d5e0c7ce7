import { ConfigError } from './load.js';
import { settingDefs } from './settings.js';

/** fs and SQLite codes that say the path itself is unusable, not that something broke on the way. */
const PATH_CODES = new Set([
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_NOTADB',
]);

/**
 * A start-up failure caused by a file or directory a setting names (TLS_CERT_FILE not there, a
 * DATA_DIR under a file), as the ConfigError the CLI prints in one line naming the setting:
 * `<key> (<ENV>): <what> (<code>: <reason>)`. Undefined when the error is something else, which
 * is left to surface whole.
 */
export function unusablePathError(key: string, what: string, err: unknown): ConfigError | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !PATH_CODES.has(code)) return undefined;
  const env = settingDefs.find((d) => d.key === key)?.env;
  // fs says "ENOTDIR: not a directory, mkdir '/x'": the reason is before the comma, `what` has the path
  const reason = typeof message === 'string' ? message.split(',')[0].replace(`${code}: `, '') : '';
  return new ConfigError(`${key}${env ? ` (${env})` : ''}: ${what} (${reason ? `${code}: ${reason}` : code})`);
}
