/**
 * One server per SQLite file (README "How a write is kept": one process owns the file). A second
 * `serve` on the DATA_DIR of a running one would run a second outbox worker over the same jobs
 * and its own in-process locks: it is refused at start, one line naming the database and what to
 * do, exit 1. The operator's commands still work beside the server (a read and a write), and a
 * server killed with SIGKILL leaves no lock behind: the next `serve` starts. Real processes, as
 * an operator runs them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { startMediatorProcess } from '../../support/mediator-process.js';
import { freePort } from '../../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, ...args], { env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string; killed?: boolean };
    return { code: e.killed ? -1 : e.code, out: e.stdout + e.stderr };
  }
}

t.test('a second serve on the same SQLite file is refused; the CLI works beside the first', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'one-server-'));
  const first = await startMediatorProcess('one-server-a', { DATA_DIR: dir });
  t.teardown(async () => {
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const port = await freePort();
  const second = await cli(['serve'], {
    DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_PASSWORD: 'x-Vb7-pass',
  });
  t.equal(second.code, 1, 'exit 1, not a second server (a running one would time out here)');
  t.match(second.out, /another mediator \(serve or demo\) is already serving the SQLite database/, second.out);
  t.match(second.out, path.join(dir, 'mediator.db'), 'names the database');
  t.notMatch(second.out, /\n\s+at /, 'no stack');
  t.equal((await fetch(`${first.base}/health`)).status, 200, 'the first server is untouched');

  const list = await cli(['outbox', 'list'], { DATA_DIR: dir });
  t.equal(list.code, 0, `outbox list works beside it: ${list.out}`);
  const prune = await cli(['jobs', 'run', 'outboxPrune'], { DATA_DIR: dir });
  t.equal(prune.code, 0, `a command that writes works beside it: ${prune.out}`);

  // SIGKILL: no shutdown hook releases anything, the operating system does
  await first.restart();
  t.equal((await fetch(`${first.base}/health`)).status, 200, 'the next server starts after a kill');
});
