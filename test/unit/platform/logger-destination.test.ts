import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * A process logging through createLogger() with no destination (what `serve` does), then killed
 * at once with SIGKILL: no exit handler runs, so only a line already written survives.
 */
function loggedThenKilled(lines: number): { stdout: string; signal: NodeJS.Signals | null } {
  const script = `
    const { createLogger } = await import(${JSON.stringify(path.join(root, 'src/platform/logger.ts'))});
    const log = createLogger('info');
    for (let i = 0; i < ${lines}; i++) log.info({ i, password: 'pw-SECRET-93' }, 'line ' + i);
    process.kill(process.pid, 'SIGKILL');
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { stdout: run.stdout, signal: run.signal };
}

t.test('standard output is written line by line: a killed process has written every line', async (t) => {
  const { stdout, signal } = loggedThenKilled(200);
  t.equal(signal, 'SIGKILL', 'the process died without running exit handlers');
  const lines = stdout.trim().split('\n');
  t.equal(lines.length, 200, 'all 200 lines reached stdout before the kill');
  const parsed = lines.map((l) => JSON.parse(l) as { i: number; msg: string; password: string });
  t.same(
    parsed.map((p) => p.i),
    Array.from({ length: 200 }, (_, i) => i),
    'in order, one JSON line each',
  );
  t.ok(
    parsed.every((p) => p.password === '[redacted]'),
    'the same options as before: credential fields censored',
  );
  t.notOk(stdout.includes('pw-SECRET-93'), 'the secret is on no line');
});
