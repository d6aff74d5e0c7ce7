/**
 * An operator command run first on a SQLite backup put back beside the WAL of the database it
 * replaced says so on stderr, as the server logs it (wal-after-restore.ts). SQLite applies that
 * WAL when the command opens the file and deletes it when the command closes, so the server
 * started next has nothing to warn about: before, the command said nothing and the rows written
 * after the backup were back for good. A WAL a crash left beside its own database is not told.
 * The real CLI; SQLite only (PostgreSQL keeps no such file).
 */
import fs from 'node:fs';
import t from 'tap';
import { cliProcess } from '../../support/cli-process.js';
import { LATER_WRITE_KEY, crashedAfterBackup } from '../../support/wal-left-behind.js';

const outboxList = (file: string) =>
  cliProcess(['outbox', 'list', '--json', '--database-url', `sqlite:${file}`], { DATABASE_URL: '', DATA_DIR: '' });

t.test('outbox list on a backup put back beside the old WAL warns on stderr', async (t) => {
  const { file, backup } = await crashedAfterBackup(t);
  fs.copyFileSync(backup, file);
  const r = await outboxList(file);
  t.equal(r.code, 0, 'exit 0');
  t.match(r.out, LATER_WRITE_KEY, 'SQLite applied the old WAL: the write made after the backup is listed');
  // a script reading --json must still parse it: the warning goes to stderr alone
  t.ok(Array.isArray(JSON.parse(r.out)), 'stdout is the JSON list alone');
  const warned = r.err.split('\n').filter((l) => l.startsWith(`store: ${file} was written `));
  t.equal(warned.length, 1, 'one line naming the database');
  t.match(warned[0], `delete ${file}-wal and ${file}-shm`, 'says what to do');
  t.notOk(fs.existsSync(`${file}-wal`), 'the command deleted the WAL: no later start can see it');
});

t.test('outbox list on a WAL a crash left beside its own database says nothing of it', async (t) => {
  const { file } = await crashedAfterBackup(t);
  const r = await outboxList(file);
  t.equal(r.code, 0, r.err);
  t.match(r.out, LATER_WRITE_KEY, 'the crashed write is kept');
  t.notMatch(r.err, /store: /);
});
