/**
 * A SQLite store with a backup of it taken before a write, and that write left in the WAL beside
 * the database by a process killed (test/unit/store/wal-left-child.ts), its WAL and file dated a
 * while back: put the backup in place and the old WAL stays beside it (wal-after-restore.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { openStore } from '../../src/store/index.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The idempotency key of the child's write, made after the backup. */
export const LATER_WRITE_KEY = 'stock|after-backup';

/** The store file and its backup; the child's write is in `${file}-wal`. */
export async function crashedAfterBackup(t: Test): Promise<{ file: string; backup: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-restore-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mediator.db');
  const backup = path.join(dir, 'backup.db');
  await (await openStore({ databaseUrl: `sqlite:${file}` })).close();
  fs.copyFileSync(file, backup); // the mediator stopped: the file alone is the whole database
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/unit/store/wal-left-child.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: `sqlite:${file}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const signal = await new Promise((resolve) => child.once('exit', (_code, s) => resolve(s)));
  t.equal(signal, 'SIGKILL', 'the writing process was killed');
  t.ok(fs.statSync(`${file}-wal`).size > 32, 'its write is in the WAL beside the database');
  // the crash was a while before the restore: its WAL was last written then
  const crashed = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(`${file}-wal`, crashed, crashed);
  fs.utimesSync(file, crashed, crashed);
  return { file, backup };
}
