import fs from 'node:fs';

/** A WAL holding no more than its header holds no frame: nothing to apply. */
const WAL_HEADER_BYTES = 32;

/**
 * How much later than its WAL's last write a database file may have been written and still be
 * the one that WAL belongs to. SQLite writes the database only when it checkpoints: a COMMIT's
 * autocheckpoint copies frames it just wrote, a few milliseconds after. A close's checkpoint may
 * copy frames written long before (a server idle, then stopped), but the close then deletes the
 * WAL: only a process killed between the two leaves such a pair (the message names it).
 */
export const WAL_GAP_MS = 60_000;

/**
 * Why a SQLite database about to be opened may have been put back from a backup beside the WAL
 * of the database it replaced, or undefined. SQLite keeps nothing that ties a WAL to its file, so
 * on open it applies any valid WAL beside it: rows written after the backup come back, or pages of
 * the other file damage it (README "Backups, restores and downgrades": delete both). Only a sign,
 * by modification times: a database written well after the last write of a WAL with frames (a
 * restore by copying; one that keeps the backup's time is not seen). Said, never refused: a
 * database and its WAL copied in that order after a crash look the same.
 */
export function restoredBesideOldWal(file: string): string | undefined {
  if (file === ':memory:') return undefined;
  const wal = statOf(`${file}-wal`);
  const db = statOf(file);
  if (!wal || !db || wal.size <= WAL_HEADER_BYTES) return undefined;
  const gapMs = db.mtimeMs - wal.mtimeMs;
  if (gapMs <= WAL_GAP_MS) return undefined;
  return (
    `${file} was written ${Math.round(gapMs / 1000)} s after the last write of ${file}-wal beside it, which SQLite now applies to it. ` +
    `If ${file} was put back from a backup, that WAL is the replaced database's: rows written after the backup come back, or the file is damaged. ` +
    `Then stop the mediator, put the backup in place again, delete ${file}-wal and ${file}-shm, and start it. ` +
    `A database copied after its WAL following a crash, or a mediator killed while it stopped, shows this too: then nothing is wrong`
  );
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined; // no such file: nothing to compare
  }
}
