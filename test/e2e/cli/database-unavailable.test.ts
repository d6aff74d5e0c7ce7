/**
 * The mediator's database not there when `serve` or an operator command starts: one line saying
 * so and what to check, exit 1, no stack through pg-pool, no password of the URL. Separate
 * processes, as an operator runs them, against a port nothing listens on (PostgreSQL stopped).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort } from '../../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const PASSWORD = 'Vq8Lr3Nz6Tw1Yp5Hs9Kd';

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  try {
    const { stderr } = await run(tsx, [cliPath, ...args], { env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

t.test('PostgreSQL not there: one line, what to check, exit 1', async (t) => {
  const port = await freePort(); // nothing listens on it: the server is stopped
  const url = `postgres://mediator:${PASSWORD}@127.0.0.1:${port}/mediator`;
  const dir = mkdtempSync(path.join(tmpdir(), 'db-away-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const runs = {
    'outbox list': await cli(['outbox', 'list', '--database-url', url], {}),
    serve: await cli(['serve'], { DATABASE_URL: url, DATA_DIR: dir, AUTH_PASSWORD: 'not-relevant-here-42', PORT: '0' }),
  };
  for (const [name, { code, stderr }] of Object.entries(runs)) {
    t.equal(code, 1, `${name}: exit 1`);
    const lines = stderr.trim().split('\n');
    const said = lines.at(-1) ?? '';
    t.match(
      said,
      /^database unavailable: connect ECONNREFUSED 127\.0\.0\.1:\d+; check that it is running/,
      `${name}: ${said}`,
    );
    t.notOk(
      lines.some((l) => /^\s+at /.test(l)),
      `${name}: no stack trace`,
    );
    t.notOk(stderr.includes(PASSWORD), `${name}: the URL's password is not printed`);
  }
});
