/**
 * The SQLite store checkpoints its WAL every WAL_CHECKPOINT_FRAMES frames, not at SQLite's default
 * 1,000 (sqlite-connection.ts: the checkpoint runs inside a COMMIT on the event loop, so fewer,
 * larger ones hold it less). Seen from the WAL file: SQLite reuses the file from its start after a
 * checkpoint and never shrinks it here, so its size tells the most frames it has held.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { WAL_CHECKPOINT_FRAMES } from '../../../src/store/sqlite-connection.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import type { NewJob } from '../../../src/store/types.js';

const PAGE = 4096;
/** A WAL file: a 32-byte header, then frames of a 24-byte header and one page. */
const framesIn = (file: string) => (fs.statSync(file).size - 32) / (PAGE + 24);

function job(i: number): NewJob {
  return {
    id: `job-${String(i).padStart(6, '0')}`,
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: `ORD-${i}`,
    payloadHash: `h-${i}`,
    payload: { orderNumber: `ORD-${i}`, lines: [{ product: 'C100', quantity: i }], note: 'x'.repeat(600) },
    status: 'pending',
    attempts: 0,
    nextAttemptAt: i,
    createdAt: i,
  };
}

t.test('the WAL grows past 1,000 frames, and is checkpointed and reused near WAL_CHECKPOINT_FRAMES', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-checkpoint-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mediator.db');
  const store = new SqliteStore(file);
  t.teardown(() => store.close());
  store.migrate();
  t.equal(WAL_CHECKPOINT_FRAMES, 4_000);

  // one write per commit, each a few frames (the job, its key, its link, their indexes)
  let i = 0;
  // bounded: with checkpoints at 1,000 frames the WAL would never reach 2,000
  const writeUntil = async (frames: number) => {
    while (framesIn(`${file}-wal`) < frames && i < 3_000) {
      i += 1;
      await store.recordWrites([job(i)], [{ flow: 'orders', fhirId: `sr-${i}`, system: 'openlmis', jobId: job(i).id }]);
    }
  };
  await writeUntil(2_000);
  t.ok(framesIn(`${file}-wal`) >= 2_000, 'the WAL holds 2,000 frames: no checkpoint reused it at 1,000');
  const perWrite = framesIn(`${file}-wal`) / i;

  await writeUntil(WAL_CHECKPOINT_FRAMES);
  const written = i;
  // well past the threshold: each commit after it checkpoints, and the next write starts the file over
  for (let n = 0; n < Math.min(3 * (WAL_CHECKPOINT_FRAMES / perWrite), 3_000); n += 1) {
    i += 1;
    await store.recordWrites([job(i)], []);
  }
  t.ok(i > written * 2, `${i - written} writes after the WAL reached the threshold, more than before it (${written})`);
  t.ok(
    framesIn(`${file}-wal`) < WAL_CHECKPOINT_FRAMES + 50,
    `the WAL never held much more than ${WAL_CHECKPOINT_FRAMES} frames (${framesIn(`${file}-wal`)}): it was checkpointed and reused`,
  );
  t.equal((await store.listJobs({ limit: 1_000_000 })).length, i, 'every write is there');
});
