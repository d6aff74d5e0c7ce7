/**
 * `serve` with a setting that names something unusable — a DATABASE_URL of another database
 * (mysql://), a DATA_DIR that cannot be a directory, TLS files that are not there — says so in
 * one line naming the setting, exit 1: no stack trace through the store or fs, and never the
 * DATABASE_URL itself (it carries the database password). Separate processes, as an operator
 * runs them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort } from '../../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const DB_PASSWORD = 'Db7Pw3Secret9Xq';

async function serve(
  env: Record<string, string>,
  args = ['serve'],
): Promise<{ code: number | string; stderr: string }> {
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AUTH_PASSWORD: 'Inbound5Secret8Pw',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
  };
  return run(tsx, [cliPath, ...args], { env: { ...base, ...env }, timeout: 30_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number | null; stderr: string; killed?: boolean }) => ({
      code: err.killed ? 'still running' : (err.code ?? 'signal'),
      stderr: err.stderr,
    }),
  );
}

t.test('unusable store and TLS settings: one line naming the setting, exit 1', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'start-up-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const aFile = path.join(dir, 'a-file');
  writeFileSync(aFile, 'not a directory');
  const cases: [string, Record<string, string>, string][] = [
    [
      'DATABASE_URL of another database',
      { DATA_DIR: dir, DATABASE_URL: `mysql://mediator:${DB_PASSWORD}@db.example.org/mediator` },
      'configuration error: store.databaseUrl (DATABASE_URL) must start with postgres://, postgresql:// or sqlite: (got another scheme)',
    ],
    [
      'DATA_DIR under a file',
      { DATA_DIR: path.join(aFile, 'data') },
      `configuration error: store.dataDir (DATA_DIR): the SQLite database ${path.join(aFile, 'data', 'mediator.db')} cannot be opened (ENOTDIR: not a directory)`,
    ],
    [
      'TLS files not there',
      { DATA_DIR: dir, TLS_CERT_FILE: path.join(dir, 'none.pem'), TLS_KEY_FILE: path.join(dir, 'none.key') },
      `configuration error: server.tlsCertFile (TLS_CERT_FILE): ${path.join(dir, 'none.pem')} cannot be read (ENOENT: no such file or directory)`,
    ],
  ];
  for (const [name, env, said] of cases) {
    const { code, stderr } = await serve(env);
    t.equal(code, 1, `${name}: exit 1`);
    t.equal(stderr.trim(), said, `${name}: one line`);
    t.notOk(stderr.includes(DB_PASSWORD), `${name}: no database password`);
  }
});

t.test('the operator CLI says the same of its --database-url and --data-dir', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'start-up-files-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const aFile = path.join(dir, 'a-file');
  writeFileSync(aFile, 'not a directory');
  const url = `mysql://mediator:${DB_PASSWORD}@db.example.org/mediator`;
  const byUrl = await serve({}, ['outbox', 'list', '--database-url', url]);
  t.equal(byUrl.code, 1);
  t.equal(
    byUrl.stderr.trim(),
    'configuration error: store.databaseUrl (DATABASE_URL, --database-url) must start with postgres://, postgresql:// or sqlite: (got another scheme)',
  );
  t.notOk(byUrl.stderr.includes(DB_PASSWORD), 'no database password');
  const byDir = await serve({}, ['outbox', 'list', '--data-dir', path.join(aFile, 'data')]);
  t.equal(byDir.code, 1);
  t.equal(
    byDir.stderr.trim(),
    `configuration error: store.dataDir (DATA_DIR): the SQLite database ${path.join(aFile, 'data', 'mediator.db')} cannot be opened (ENOTDIR: not a directory)`,
  );
});
