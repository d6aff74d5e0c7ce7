/**
 * `serve` with a setting that names something unusable — a DATABASE_URL of another database
 * (mysql://), a DATA_DIR that cannot be a directory, TLS files that are not there — says so in
 * one line naming the setting, exit 1: no stack trace through the store or fs, and never the
 * DATABASE_URL itself (it carries the database password). Separate processes, as an operator
 * runs them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { cliToEnd, serveEnv, tempDir } from '../../support/minimal-env-cli.js';

const DB_PASSWORD = 'Db7Pw3Secret9Xq';

/** `cli …args` (serve by default) with what serve needs and `env` over it, run to its end. */
const serve = async (env: Record<string, string>, args = ['serve']) => cliToEnd(args, await serveEnv(env));

t.test('unusable store and TLS settings: one line naming the setting, exit 1', async (t) => {
  const dir = tempDir(t, 'start-up-files');
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
  const dir = tempDir(t, 'start-up-files-cli');
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
