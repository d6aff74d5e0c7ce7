import { constants } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import path from 'node:path';

/**
 * Free space below which the database's disk counts as full: a commit appends whole pages to the
 * WAL (and a checkpoint copies them back), so writes fail well before the last byte is taken.
 */
const MIN_FREE_BYTES = 1024 * 1024;

/**
 * Whether the SQLite file can take writes, asked without writing: a probe write would wait
 * busy_timeout (5 s, on the event loop) whenever another process holds the write lock, stalling
 * the whole process at each /ready. A full disk and a file or file system turned read-only (a
 * remount after I/O errors) are what leave reads working while every write fails. The errors
 * carry the SQLite codes a write would have met, so they are taken for the store being away.
 */
export async function checkSqliteWritable(file: string): Promise<void> {
  if (file === ':memory:') return;
  const disk = await statfs(path.dirname(file));
  const free = disk.bavail * disk.bsize;
  if (free < MIN_FREE_BYTES)
    throw Object.assign(
      new Error(`the disk holding the database is full (${Math.floor(free / 1024)} KB free): writes are refused`),
      { code: 'SQLITE_FULL' },
    );
  try {
    await access(file, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // not created yet: the first write creates it
    throw Object.assign(new Error(`the database file cannot be written (${code}): writes are refused`), {
      code: 'SQLITE_READONLY',
    });
  }
}
