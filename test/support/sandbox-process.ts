/**
 * One sandbox run on its own, as an operator runs it (`npm run sandbox -- <name> --port N …`):
 * a separate process through sandbox/cli.ts, for the tests of that command line.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface SandboxProcess {
  /** All the process has printed so far, stdout and stderr together (the banner says where it listens). */
  out(): string;
  /** SIGINT, as Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `sandbox/cli.ts <args>` and waits (up to 60 s) until it prints that it is listening; a
 * process that exits first throws with what it printed. SIGKILLed at teardown if still running.
 */
export async function startSandboxProcess(
  t: { teardown(fn: () => void): void },
  args: string[],
): Promise<SandboxProcess> {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(root, 'sandbox/cli.ts'), ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const end = Date.now() + 60_000;
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`sandbox ${args[0]} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    out: () => out,
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}
