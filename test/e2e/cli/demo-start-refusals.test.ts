/**
 * What a first-day user of `npm run demo` meets when it cannot start, said in one line and
 * without harm (README "Two commands"). A second demo, say in another terminal, on the data
 * directory of a running one (or of a `serve`): before, the fresh start deleted the running
 * server's database and only then met its lock, so the running server went on writing to a file
 * no longer in the directory and lost everything at its next start. And a clone without the
 * shared folder beside it: before, a stack trace under the message naming MSUPPLY_SCHEMA_FILE.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

async function demo(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, 'demo', ...args], {
      env: { ...base, ...env },
      timeout: 120_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string; killed?: boolean };
    return { code: e.killed ? -1 : e.code, out: e.stdout + e.stderr };
  }
}

t.test("a demo on a running server's data directory is refused and deletes nothing", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'demo-beside-'));
  const running = await startMediatorProcess('demo-beside', { DATA_DIR: dir });
  t.teardown(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const database = path.join(dir, 'mediator.db');
  t.ok(existsSync(database), 'the running server has its database');

  const second = await demo(['--data-dir', dir, '--port', String(await freePort())]);
  t.equal(second.code, 1, `exit 1: ${second.out}`);
  t.match(second.out, /another mediator \(serve or demo\) is already serving the SQLite database/);
  t.notMatch(second.out, /\n\s+at /, 'no stack');
  t.ok(existsSync(database), "the running server's database is still there");
  t.equal((await fetch(`${running.base}/health`)).status, 200, 'the running server is untouched');
});

t.test('no Open mSupply schema beside the clone: one line naming the setting, no stack', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'demo-no-schema-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = path.join(dir, 'no-such-schema.graphql');
  const res = await demo(['--data-dir', dir, '--port', String(await freePort())], { MSUPPLY_SCHEMA_FILE: missing });
  t.equal(res.code, 1, 'exit 1');
  t.match(res.out, `configuration error: Open mSupply schema not found at ${missing}`);
  t.match(res.out, 'MSUPPLY_SCHEMA_FILE');
  t.notMatch(res.out, /\n\s+at /, 'no stack');
});
