import { statSync } from 'node:fs';
import { ConfigError } from './load.js';

/**
 * Why a mapping directory cannot be one (not there, a file), or undefined. Checked before its
 * files: a typo in MAPPINGS_DIR or `check-mappings --dir` used to be reported as each of the
 * seven files unreadable ("products.json: / cannot be read (ENOENT)"), which reads as files
 * missing from a directory that is fine.
 */
export function mappingsDirProblem(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : `${dir} is not a directory`;
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    return code === 'ENOENT' ? `${dir} does not exist (ENOENT)` : `${dir} cannot be read (${code ?? message})`;
  }
}

/** The directory, if it is one; else a configuration error naming where it came from (`givenBy`). */
export function existingMappingsDir(dir: string, givenBy: string): string {
  const problem = mappingsDirProblem(dir);
  if (problem) throw new ConfigError(`${givenBy}: ${problem}`);
  return dir;
}
