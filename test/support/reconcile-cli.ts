import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/**
 * `reconcile` in its own process, as a data manager runs it, with no settings from this shell but
 * `env` (a --store run's DATABASE_URL): its exit code, stdout and stderr, a failure included.
 */
export async function reconcileCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'reconcile', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number | null; stdout: string; stderr: string }) => ({
      code: err.code ?? 'signal',
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
}
