/**
 * `serve` on a port another process holds (a second mediator, an old one not yet gone): one line
 * naming the setting, the address and what to do, exit 1, no stack trace, no secret. A separate
 * process, as an operator runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const PASSWORD = 'Port9Busy4Secret7Kq';

async function serve(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  try {
    const { stderr } = await run(tsx, [cliPath, 'serve'], { env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

t.test('a port in use: one line naming server.port (PORT) and the address, exit 1', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const port = (holder.address() as { port: number }).port;
  const dir = mkdtempSync(path.join(tmpdir(), 'port-in-use-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  const { code, stderr } = await serve({
    DATA_DIR: dir,
    AUTH_PASSWORD: PASSWORD,
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  t.equal(code, 1, 'exit 1');
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${stderr}`);
  t.equal(
    lines[0],
    `configuration error: server.port (PORT): 127.0.0.1:${port} is already in use by another process (another mediator still running?); stop it or choose another PORT`,
  );
  t.notOk(stderr.includes(PASSWORD), 'no secret');
});
