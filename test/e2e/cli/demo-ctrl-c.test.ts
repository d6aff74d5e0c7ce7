/**
 * Ctrl-C on `npm run demo`: the demo runs under the tsx CLI, which passes a signal on to its child
 * and SIGKILLs the child unless the child's tsx hook says it handled it. The demo used to replace
 * every SIGINT handler with its own, that hook's among them, so each Ctrl-C was a SIGKILL 30 ms
 * later: the stop cut (a job run left "running", the SQLite lock files left behind) and exit
 * code 130. Here the tsx CLI runs the demo in its own process group, which gets SIGINT as a
 * terminal's Ctrl-C sends it to the whole group.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { cleanEnv } from '../../support/demo-process.js';
import { freePort } from '../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../..');

t.test('Ctrl-C stops the demo run by the tsx CLI cleanly', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'demo-ctrl-c-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli/index.ts'), 'demo'],
    {
      cwd: dir,
      env: { ...cleanEnv(), PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a terminal's foreground job is
    },
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = Date.now() + 120_000;
  while (!out.includes('Ctrl-C stops everything.')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`the demo did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-child.pid!, 'SIGINT');
  t.equal(await exited, 0, 'the demo exits 0, its stop not cut by a SIGKILL');
  const demoData = path.join(dir, 'data', 'demo'); // the demo's database (DEMO_DATA_DIR)
  t.ok(existsSync(demoData), 'the demo database is where the test looks');
  const left = readdirSync(demoData).filter((f) => f.includes('.lease-holder-'));
  t.same(left, [], 'the stop ran to its end: no lease-holder lock file left');
});
