/**
 * `npm run demo -- --port N` with no port in N: one usage line naming the flag and what it
 * takes, exit 1, before a sandbox starts. Before, the settings answered "environment:
 * server.port must be a number, got 'NaN'": not the flag typed, not the value typed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

t.test('a --port that is no port is refused in the flag words', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-demo-port-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const value of ['abc', '70000', '-1']) {
    const res = await run(tsx, [cliPath, 'demo', '--data-dir', dir, '--port', value], { timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '', stdout: '' }),
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    t.equal(res.code, 1, `--port ${value}: exit 1`);
    t.match(res.stderr, `option '--port <port>' argument '${value}' is invalid. give a port, 0..65535.`);
    t.notMatch(res.stdout, /sandbox|listening/i, 'nothing started');
  }
});

t.test('PORT in the environment is checked like the flag, and the error names it', async (t) => {
  // before: PORT=abc was the flag's default, which commander does not parse, and the settings
  // answered "server.port must be a number, got 'NaN'"
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-demo-port-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const res = await run(tsx, [cliPath, 'demo', '--data-dir', dir], {
    timeout: 60_000,
    env: { ...process.env, PORT: 'abc' },
  }).then(
    () => ({ code: 0, stderr: '', stdout: '' }),
    (e: { code: number; stderr: string; stdout: string }) => e,
  );
  t.equal(res.code, 1, 'exit 1');
  t.match(res.stderr, `option '--port <port>' value 'abc' from env 'PORT' is invalid. give a port, 0..65535.`);
  t.notMatch(res.stdout, /sandbox|listening/i, 'nothing started');
});
