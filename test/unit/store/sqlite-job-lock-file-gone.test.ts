/**
 * SQLite's job lock is lost while its process lives only when its lock file is removed or
 * replaced under the run (an operator's rm): the lock stays on the old file and another process
 * makes a new one and takes it. The run hears it as PostgreSQL's lost lock is heard: its signal
 * aborts with AdvisoryLockLost (it "never reported a loss" [V2, s36]). Real files, a real second
 * taker (takeJobLock, as another process's store asks it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { AdvisoryLockLost } from '../../../src/store/pg-held-lock.js';
import { jobLockFile, takeJobLock } from '../../../src/store/sqlite-job-lock.js';
import { waitFor } from '../../support/wait-for.js';

const NAME = 'schedule:stockToDhis2';

async function storeIn(t: { teardown(fn: () => unknown): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-gone-'));
  const dbFile = path.join(dir, 'mediator.db');
  const store = await openStore({ databaseUrl: `sqlite:${dbFile}` });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store, dbFile };
}

const cases: [string, (file: string) => void, RegExp][] = [
  ['removed', (file) => fs.rmSync(file), /its lock file was removed/],
  [
    'replaced',
    (file) => {
      fs.writeFileSync(`${file}.new`, '');
      fs.renameSync(`${file}.new`, file);
    },
    /its lock file was replaced by another/,
  ],
];

for (const [how, change, said] of cases)
  t.test(`a lock whose file is ${how} under the run aborts its signal`, async (t) => {
    const { store, dbFile } = await storeIn(t);
    const got = await store.withAdvisoryLock(NAME, async (signal) => {
      t.equal(await takeJobLock(dbFile, NAME, 0), undefined, 'held: nobody else takes it');
      change(jobLockFile(dbFile, NAME));
      await waitFor('the loss heard', () => signal.aborted, 10_000);
      // the loss is real: another process now takes "the lock" on a new file
      const other = await takeJobLock(dbFile, NAME, 0);
      t.ok(other, 'another taker holds it beside this run');
      other?.();
      return signal.reason as unknown;
    });
    t.ok(got.ran);
    const reason = got.ran ? got.value : undefined;
    t.ok(reason instanceof AdvisoryLockLost, 'the same reason PostgreSQL gives');
    t.match((reason as Error).message, said);
    t.match((reason as Error).message, /^the lock schedule:stockToDhis2 was lost mid-run/);
  });
