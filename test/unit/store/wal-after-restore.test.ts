/**
 * A SQLite database put back from a backup beside the WAL of the database it replaced: SQLite
 * applies that WAL on open (nothing ties a WAL to its file), so a write made after the backup comes
 * back. The store tells why before it opens such a file (wal-after-restore.ts; the server logs it
 * as a warning); a WAL a crash left beside its own database, and a restore that deleted the old
 * WAL as the README says, are not told. SQLite only: PostgreSQL keeps no such file.
 */
import fs from 'node:fs';
import t from 'tap';
import { createLogger } from '../../../src/platform/logger.js';
import { openStore } from '../../../src/store/index.js';
import { startMediatorIn } from '../../support/in-process-mediator.js';
import { LATER_WRITE_KEY, crashedAfterBackup } from '../../support/wal-left-behind.js';

/** Opens the store as the server does, the warnings it was told, and whether the later write is in it. */
async function open(file: string) {
  const warnings: string[] = [];
  const store = await openStore({ databaseUrl: `sqlite:${file}`, onWarning: (m) => warnings.push(m) });
  try {
    return { warnings, laterWrite: (await store.findJobsByKey(LATER_WRITE_KEY)).length };
  } finally {
    await store.close();
  }
}

t.test('a backup copied over the database beside the old WAL is told before it opens', async (t) => {
  const { file, backup } = await crashedAfterBackup(t);
  fs.copyFileSync(backup, file);
  const { warnings, laterWrite } = await open(file);
  t.equal(laterWrite, 1, 'SQLite applied the old WAL: the write made after the backup came back');
  t.equal(warnings.length, 1);
  t.ok(warnings[0].startsWith(`${file} was written `), 'names the database');
  t.match(warnings[0], `after the last write of ${file}-wal beside it, which SQLite now applies to it`);
  t.match(warnings[0], `delete ${file}-wal and ${file}-shm`, 'says what to do');
  t.match(warnings[0], 'or a mediator killed while it stopped, shows this too', 'and when nothing is wrong');
});

t.test('the server logs it as a warning at start', async (t) => {
  const { file, backup } = await crashedAfterBackup(t);
  fs.copyFileSync(backup, file);
  const lines: string[] = [];
  const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
  await startMediatorIn(t, 'wal-restore-server-', { DATABASE_URL: `sqlite:${file}`, AUTH_MODE: 'off' }, { logger });
  const warned = lines.map((l) => JSON.parse(l)).filter((l) => l.msg?.startsWith(`store: ${file} was written `));
  t.equal(warned.length, 1, 'one warning naming the database');
  t.equal(warned[0].level, 40, 'at warn level');
});

t.test('a WAL a crash left beside its own database is not told', async (t) => {
  const { file } = await crashedAfterBackup(t);
  const { warnings, laterWrite } = await open(file);
  t.equal(laterWrite, 1, 'the crashed write is kept');
  t.same(warnings, []);
});

t.test('a restore that deleted the old WAL and shm, as the README says, is not told', async (t) => {
  const { file, backup } = await crashedAfterBackup(t);
  fs.copyFileSync(backup, file);
  fs.rmSync(`${file}-wal`);
  fs.rmSync(`${file}-shm`, { force: true });
  const { warnings, laterWrite } = await open(file);
  t.equal(laterWrite, 0, 'the database is the backup');
  t.same(warnings, []);
});
