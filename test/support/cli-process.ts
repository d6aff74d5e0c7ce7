/**
 * The mediator's CLI (`src/cli/index.ts`) as its own process, configured by its environment as an
 * operator runs it, for the tests of operator commands (bridges run by hand …).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/** `cli …args` with `env` over this process's environment; its exit code, stdout and stderr. */
export function cliProcess(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    // 'close', not 'exit': the pipes may still hold the last output when the process exits
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Settings as environment variables (dhis2.requisitionProgram → DHIS2_REQUISITION_PROGRAM …). */
export const envOf = (settings: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [
      k
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .replace('.', '_')
        .toUpperCase(),
      v,
    ]),
  );
