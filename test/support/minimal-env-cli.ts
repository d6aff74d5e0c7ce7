/**
 * The mediator's CLI (`src/cli/index.ts`) as its own process in a minimal environment, as an
 * operator starts it on a bare host: only PATH and HOME come from this process, so no DATABASE_URL
 * or other setting of the test run leaks in. For the start-up tests (a refusal in one line, a
 * warning at start). Unlike cliProcess (cli-process.ts), which lays its values over the whole
 * environment of this process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { freePort } from './net.js';

const root = path.resolve(import.meta.dirname, '../..');

/** A fresh temp directory (a DATA_DIR, files to name), removed at the end of `t`. */
export function tempDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What `serve` needs to start, on 127.0.0.1 at a free port, then `more` over it. */
export async function serveEnv(more: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    AUTH_PASSWORD: 'Inbound5Secret8Pw',
    ...more,
  };
}

function spawnCli(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliEnd {
  /** The exit code; 'still running' when it outlived the time allowed and was stopped. */
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * `cli …args` in `env` (over PATH and HOME only) run to its end. Resolves on 'close', not 'exit':
 * after 'exit' the last of stdout and stderr may still be in the pipes.
 */
export function cliToEnd(args: string[], env: Record<string, string> = {}, ms = 30_000): Promise<CliEnd> {
  return new Promise((resolve) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    let outlived = false;
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    const timer = setTimeout(() => {
      outlived = true;
      child.kill('SIGTERM');
    }, ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: outlived ? 'still running' : (code ?? `signal ${signal}`), stdout, stderr });
    });
  });
}

/**
 * `serve` in `env` (over PATH and HOME only), left running until the end of `t`; `output()` is
 * its stdout and stderr so far, one after the other as they came.
 */
export function servingCli(t: Test, env: Record<string, string>): { output: () => string } {
  const child = spawnCli(['serve'], env);
  let output = '';
  child.stdout.on('data', (c) => (output += String(c)));
  child.stderr.on('data', (c) => (output += String(c)));
  const closed = new Promise((resolve) => child.on('close', resolve));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await closed;
  });
  return { output: () => output };
}
