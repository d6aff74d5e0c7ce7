/**
 * The review lock of a system holds across processes on one database: a `reconcile --store` run
 * from the CLI and the server's review decisions, on one SQLite file too. Before: on SQLite the
 * lock was an in-process mutex, so a decision in one process read the crosswalk while another
 * process held "the" lock and was about to write it (the run's write, or a decision): both passed
 * their checks on the old row, and a facility could end up linked to two records. Here the other
 * process is a real one (review-lock-holder-child.ts); the lock it held is given back by the
 * operating system when it is killed, so a crashed CLI never blocks the server's decisions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openStore } from '../../../src/store/index.js';
import { oneReviewAtATime } from '../../../src/registry/review-lock.js';
import { engineCases } from '../../support/outbox-engines.js';
import { jobLockFile } from '../../../src/store/sqlite-job-lock.js';
import { crosswalkRow } from '../../support/crosswalk-row.js';
import { killHard } from '../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../..');

/** The child on `databaseUrl`, and a wait for a line it prints. */
function holder(t: Test, databaseUrl: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'test/unit/registry/review-lock-holder-child.ts')],
    { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.teardown(() => killHard(child));
  const lines: string[] = [];
  const waiters: [string, () => void][] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const [want, resolve] of waiters) if (want === line) resolve();
    }
  });
  const printed = (want: string) =>
    lines.includes(want) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push([want, resolve]));
  return { child, lines, printed };
}

/** Lets this process run whatever is ready (a lock taken at once would have run its callback by now). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a decision waits for the other process's write, and reads it`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());
      const other = holder(t, db.databaseUrl);
      await other.printed('held');

      const events: string[] = [];
      const decided = oneReviewAtATime(store, 'emr', async () => {
        events.push('decision reads');
        return store.getCrosswalk('emr', 'L1');
      });
      await settle();
      events.push('other process writes');
      other.child.stdin!.write('go\n');
      const seen = await decided;
      t.same(
        events,
        ['other process writes', 'decision reads'],
        'the decision ran only once the other process was done',
      );
      t.equal(seen?.registryId, 'R1', "the decision's read is the other process's link");
      t.equal(seen?.decidedBy, 'amina');
      await other.printed('released');
    },
  );

  t.test(`${engine.name}: a process killed holding the lock holds it no more`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const other = holder(t, db.databaseUrl);
    await other.printed('held');
    const decided = oneReviewAtATime(store, 'emr', async () => 'decided');
    const gone = new Promise((resolve) => other.child.once('exit', resolve));
    other.child.kill('SIGKILL');
    await gone;
    t.equal(await decided, 'decided', 'taken once the holder is gone, without a wait of 15 s');
    t.notOk(other.lines.includes('written'), 'the killed process wrote nothing');
  });
}

/**
 * The review lock's file removed while the other process holds it (an operator's rm, a cleanup
 * cron): the lock stays on the old file and this process takes "the" lock on a new one beside it.
 * Before, both then wrote the same review rows (the other's write overruled this decision);
 * now the holder whose file is gone refuses its write, and this process's decision stands.
 */
t.test('sqlite: the lock file removed under the holder: its write is refused', async (t) => {
  const db = await engineCases()[0].freshDatabase();
  t.teardown(db.drop);
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());
  const other = holder(t, db.databaseUrl);
  await other.printed('held');
  const dbFile = db.databaseUrl.replace(/^sqlite:/, '');
  fs.rmSync(jobLockFile(dbFile, 'shared-lock:review:emr'));

  await oneReviewAtATime(store, 'emr', async () => {
    const row = { system: 'emr', systemId: 'L1', registryId: 'R2', state: 'manual-match' as const };
    await store.upsertCrosswalk(crosswalkRow({ ...row, decidedBy: 'bo', decidedAt: '2026-12-07T10:01:00Z' }));
  });
  t.notOk(other.lines.includes('released'), 'taken here while the other process still held its old file');

  other.child.stdin!.write('go\n');
  await other.printed('released');
  t.notOk(other.lines.includes('written'), "the other process's write refused");
  t.match(
    other.lines.find((l) => l.startsWith('refused: ')),
    /the review lock of emr was lost while held: its lock file \S+ was removed or replaced/,
  );
  const row = await store.getCrosswalk('emr', 'L1');
  t.equal(row?.registryId, 'R2', 'the decision taken on the new file stands');
  t.equal(row?.decidedBy, 'bo');
});
