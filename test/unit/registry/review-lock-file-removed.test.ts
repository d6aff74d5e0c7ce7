/**
 * The review lock's file beside a SQLite database removed while this process holds it (an
 * operator's rm, a cleanup cron): another process may now take the lock on a new file
 * (review-lock-across-processes.test.ts shows it with a real one), so a write under the old one
 * is refused, not made beside theirs. Said as what it is: a review decision's 503 (send it
 * again), a reconcile run's 409 (run it again), nothing written either way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { jobLockFile } from '../../../src/store/sqlite-job-lock.js';
import { oneReviewAtATime, reviewLockName, runWriteUnderReviewLock } from '../../../src/registry/review-lock.js';
import { crosswalkRow } from '../../support/crosswalk-row.js';

t.test('a write under a review lock whose file was removed is refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-lock-removed-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'mediator.db');
  const store = await openStore({ databaseUrl: `sqlite:${dbFile}` });
  t.teardown(() => store.close());
  const lockFile = jobLockFile(dbFile, `shared-lock:${reviewLockName('emr')}`);
  const link = (systemId: string) =>
    store.upsertCrosswalk(
      crosswalkRow({ system: 'emr', systemId, registryId: 'R1', state: 'manual-match', decidedBy: 'amina' }),
    );

  await t.rejects(
    oneReviewAtATime(store, 'emr', async () => {
      fs.rmSync(lockFile);
      await link('L1');
    }),
    { status: 503, message: /review lock of emr was lost while held.*this decision was not written: send it again/ },
    "a decision's write: a 503",
  );
  t.equal(await store.getCrosswalk('emr', 'L1'), undefined, 'nothing decided');

  await t.rejects(
    runWriteUnderReviewLock(
      store,
      'emr',
      async () => {
        fs.writeFileSync(`${lockFile}.new`, '');
        fs.renameSync(`${lockFile}.new`, lockFile); // replaced, as a restore from a backup does
        await link('L2');
      },
      1_000,
    ),
    { status: 409, message: /review lock of emr was lost while held.*nothing of this reconcile run was written/ },
    "a run's write: a 409",
  );
  t.equal(await store.getCrosswalk('emr', 'L2'), undefined, 'nothing of the run written');

  await oneReviewAtATime(store, 'emr', () => link('L3'));
  t.equal((await store.getCrosswalk('emr', 'L3'))?.registryId, 'R1', 'taken again on the file as it is now: written');
});
