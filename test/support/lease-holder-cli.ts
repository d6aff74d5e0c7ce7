import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Test } from 'tap';
import { killHard } from './net.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * A CLI process (test/e2e/outbox/lease-holder-child.ts) on `databaseUrl` holding one stock write
 * to DHIS2 in flight under its own lease, its idempotency key `key`; the lines it printed so far.
 * Its attempt ends when a line is written to its stdin; killed at the end of `t`. `env`: its
 * settings beyond the defaults (the CLI takes the server's: an attempt timeout, a lease).
 */
export function cliHoldingLease(
  t: Test,
  databaseUrl: string,
  key = 'stock|cli|held-lease',
  env: Record<string, string> = {},
) {
  const lines: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'test/e2e/outbox/lease-holder-child.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DHIS2_BASE_URL: '', // no connection to the sandbox: its close would wait for it
        LOG_LEVEL: 'silent',
        HELD_LEASE_KEY: key,
        ...env,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  child.stdout!.setEncoding('utf8');
  let rest = '';
  child.stdout!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  t.teardown(() => killHard(child));
  return { child, lines };
}
