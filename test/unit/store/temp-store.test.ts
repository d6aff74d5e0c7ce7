/**
 * The SQLite store keeps its temporary storage in memory (sqlite-connection.ts): a write whose
 * savepoint must keep more than 64 KiB of page images to be undoable (its sub-journal) gets no
 * file. SQLite creates such files in SQLITE_TMPDIR and unlinks them at once, so the test looks at
 * the process's open descriptors while the write's batch is still open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';

// SQLite reads SQLITE_TMPDIR when it first initialises: set before the store's driver loads
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-tmpdir-'));
process.env.SQLITE_TMPDIR = tempDir;
const { SqliteStore } = await import('../../../src/store/sqlite.js');
type CrosswalkRow = import('../../../src/registry/crosswalk-types.js').CrosswalkRow;

/** Files under SQLITE_TMPDIR this process holds open (unlinked ones show as "… (deleted)"). */
function openTempFiles(): string[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(tempDir));
}

const row = (i: number, note: string): CrosswalkRow => ({
  system: 'openlmis',
  systemId: `F-${String(i).padStart(5, '0')}`,
  registryId: `R-${i}`,
  state: 'auto-match',
  zone: 'auto',
  score: 1,
  reasons: [],
  suggestions: [],
  decidedBy: 'auto',
  decidedAt: '2026-12-03T00:00:00Z',
  comment: note,
});

t.test('a write undoable only through a large sub-journal creates no temporary file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temp-store-'));
  t.teardown(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tempDir, { recursive: true, force: true });
  });
  const store = new SqliteStore(path.join(dir, 'mediator.db'));
  t.teardown(() => store.close());
  store.migrate();

  const n = 3000;
  await store.upsertCrosswalkMany(Array.from({ length: n }, (_, i) => row(i, 'first')));
  // one write changing every row: its savepoint must be able to restore every page it touches
  const changed = store.upsertCrosswalkMany(Array.from({ length: n }, (_, i) => row(i, 'second, longer')));
  // still the same turn: the batch is open, nothing committed, its sub-journal as big as it gets
  t.same(openTempFiles(), [], 'no temporary file is open while the write is undoable');
  t.equal((await changed).written, n, 'and the write itself went through');
  t.equal((await store.getCrosswalk('openlmis', 'F-00007'))?.registryId, 'R-7');
});
