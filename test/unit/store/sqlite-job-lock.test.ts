/**
 * The SQLite job lock (sqlite-job-lock.ts) with real files and processes. A lock file this process
 * may not write (a `sudo jobs run` left it root's) was opened read-only by SQLite without a word,
 * and its "exclusive" lock then taken by every such process at once; one it may not read failed
 * with SQLITE_CANTOPEN, naming no file. Both are now a configuration error naming the lock file.
 * And an attempt meeting a lock that is being given back at that moment waits for it, rather than
 * being refused (the tick dropped, `jobs run` told "running elsewhere" while nothing runs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { jobLockFile, pauseWithin, takeJobLock } from '../../../src/store/sqlite-job-lock.js';

const lockModule = new URL('../../../src/store/sqlite-job-lock.ts', import.meta.url).pathname;
const NOBODY = 65534;

/**
 * `node` as a user other than the lock file's: root's file and `nobody` when we are root (root may
 * write any file), else ourselves on a file whose mode denies us. Undefined when that cannot be had.
 */
function otherUserNode(): string[] | undefined {
  if (process.getuid?.() !== 0) return [process.execPath];
  const setpriv = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
  if (spawnSync('setpriv', [...setpriv, 'true']).status !== 0) return undefined;
  return ['setpriv', ...setpriv, process.execPath];
}

/** takeJobLock in another process, as that user: whether it got the lock, or the error it threw. */
function tryInOtherProcess(node: string[], dbFile: string): { got?: boolean; error?: string; kind?: string } {
  const code = `import(process.argv[1]).then((m) => m.takeJobLock(process.argv[2], 'schedule:x')).then(
    (release) => console.log(JSON.stringify({ got: !!release })),
    (e) => console.log(JSON.stringify({ error: e.message, kind: e.constructor.name })),
  );`;
  const r = spawnSync(node[0], [...node.slice(1), '--import', 'tsx', '-e', code, lockModule, dbFile], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the other process failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * Another process taking the job lock of schedule:x, then running `release` (JavaScript with
 * `release` in scope) to give it back: what it said (held, refused), once it has said it.
 */
async function holdInOtherProcess(
  dbFile: string,
  release: string,
): Promise<{ process: ChildProcess; said: string; exited: Promise<unknown> }> {
  const code = `import(process.argv[1]).then((m) => m.takeJobLock(process.argv[2], 'schedule:x')).then((release) => {
    console.log(release ? 'held' : 'refused');
    ${release};
  });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code, lockModule, dbFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const said = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
  return { process: child, said, exited };
}

/** A directory every user may enter, with a lock file of `mode` for job schedule:x in it. */
function lockFileOfMode(t: { teardown(fn: () => unknown): void }, mode: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  const dbFile = path.join(dir, 'mediator.db');
  fs.writeFileSync(jobLockFile(dbFile, 'schedule:x'), '');
  fs.chmodSync(jobLockFile(dbFile, 'schedule:x'), mode);
  return dbFile;
}

const otherUser = otherUserNode();

t.test(
  'a lock file this process may not use: a configuration error naming it',
  { skip: otherUser ? false : 'running as root without setpriv: no other user to try it as' },
  async (t) => {
    const node = otherUser!;

    const usable = lockFileOfMode(t, 0o666);
    t.same(tryInOtherProcess(node, usable), { got: true }, 'a file it may write: the lock is taken');

    for (const [mode, what] of [
      [0o444, 'readable, not writable (root 0644 after a sudo run)'],
      [0o000, 'not readable (root 0600)'],
    ] as const) {
      const dbFile = lockFileOfMode(t, mode);
      const file = jobLockFile(dbFile, 'schedule:x');
      const answer = tryInOtherProcess(node, dbFile);
      t.equal(
        answer.kind,
        'LockFileUnusable', // a ConfigError, said as one by the CLI
        `${what}: refused as a configuration error`,
      );
      t.match(answer.error, file, `${what}: the lock file named`);
      t.match(answer.error, /chown/, `${what}: what to do said`);
    }

    // a directory it may not write, no lock file in it yet: the directory is the problem, named
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    // root's 0755 keeps nobody out; as ourselves, a mode that keeps us out
    fs.chmodSync(dir, process.getuid?.() === 0 ? 0o755 : 0o555);
    t.teardown(() => fs.chmodSync(dir, 0o755));
    const answer = tryInOtherProcess(node, path.join(dir, 'mediator.db'));
    const what = 'a directory not writable, no lock file yet';
    t.equal(
      answer.kind,
      'LockFileUnusable', // a ConfigError, said as one by the CLI
      `${what}: refused as a configuration error`,
    );
    t.match(answer.error, `the directory ${dir} is not writable`, `${what}: the directory named as the problem`);
    t.notMatch(answer.error, /cannot be read and written|chown/, `${what}: not told to chown a file that is not there`);
  },
);

t.test('a lock given back while another attempt meets it: that attempt waits and takes it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'mediator.db');
  // a few rounds: a holder's release can be late on a loaded machine; one round taken is the proof
  let taken = 0;
  for (let round = 0; round < 3 && !taken; round++) {
    // another process holds the lock and gives it back a moment after saying so
    const holder = await holdInOtherProcess(dbFile, 'setTimeout(() => release?.(), 20)');
    t.equal(holder.said, 'held', 'the other process holds the lock');
    const release = await takeJobLock(dbFile, 'schedule:x');
    if (release) taken++;
    release?.();
    await holder.exited;
  }
  t.equal(taken, 1, 'the lock was taken once its holder gave it back, not refused at once');
});

t.test('a lock another process holds: the wait for it lets the event loop turn, and is refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'mediator.db');
  const store = await openStore({ databaseUrl: `sqlite:${dbFile}` });
  t.teardown(() => store.close());
  // another process (a `jobs run`) holds the job's lock until its stdin ends
  const holder = await holdInOtherProcess(dbFile, "process.stdin.resume().on('end', () => release?.())");
  t.teardown(async () => {
    holder.process.stdin!.end();
    await holder.exited;
  });
  t.equal(holder.said, 'held', 'the other process holds the lock');

  // turns of the event loop while this process waits for the lock: none when the wait blocks it
  let turns = 0;
  let waiting = true;
  const turn = (): void => {
    if (!waiting) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  let ran = false;
  const result = await store.withAdvisoryLock('schedule:x', async () => {
    ran = true;
  });
  waiting = false;
  t.same(result, { ran: false }, 'refused: the other process runs the job');
  t.notOk(ran, 'the job did not run here');
  t.ok(turns > 0, `the event loop turned while it waited (${turns} turns)`);
});

t.test('the store closed while the lock was awaited: the job is not run on it, the lock given back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'mediator.db');
  const store = await openStore({ databaseUrl: `sqlite:${dbFile}` });
  // another process holds the lock a moment; this store closes while it waits for it
  const holder = await holdInOtherProcess(dbFile, 'setTimeout(() => release?.(), 40)');
  t.equal(holder.said, 'held', 'the other process holds the lock');
  let ran = false;
  const waited = store
    .withAdvisoryLock('schedule:x', async () => {
      ran = true;
    })
    .catch((err: Error) => err);
  await store.close();
  const outcome = await waited;
  await holder.exited;
  if (outcome instanceof Error) {
    t.match(outcome.message, /the store was closed while the lock schedule:x was awaited/);
    const again = await takeJobLock(dbFile, 'schedule:x');
    t.ok(again, 'the lock was given back');
    again?.();
  } else t.same(outcome, { ran: false }, 'or it was refused while the other process held it');
  t.notOk(ran, 'the job did not run on a closed store');
});

t.test('the pauses between asks never run past the wait: the last ask is at its end', async (t) => {
  // the longest pause drawn (10 ms) with 3 ms left: the wait ended ~118 ms in, not 100, before
  t.equal(pauseWithin(3, 0.999), 3, 'cut to what is left of the wait');
  t.ok(pauseWithin(50, 0.999) <= 10, 'a whole pause while there is time');
  t.ok(pauseWithin(50, 0) >= 2, 'never a busy spin');
});

t.test('a lock held throughout: refused at the end of the wait, the last ask there, no pause past it', async (t) => {
  // a fake clock: each pause moves it on by what was asked, at once; the wait itself, not
  // pauseWithin alone
  let clock = 1_000_000;
  const pauses: number[] = [];
  const { takeJobLock: takeOnFakeClock, JOB_LOCK_WAIT_MS } = await t.mockImport<
    typeof import('../../../src/store/sqlite-job-lock.js')
  >('../../../src/store/sqlite-job-lock.js', {
    'node:timers/promises': {
      setTimeout: async (ms: number) => {
        pauses.push(ms);
        clock += ms;
      },
    },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'mediator.db');
  const held = await takeJobLock(dbFile, 'schedule:x'); // another connection holds it (SQLite: BUSY)
  t.ok(held, 'held');
  const realNow = Date.now;
  const realRandom = Math.random;
  Date.now = () => clock;
  Math.random = () => 0.999; // the longest pauses: a whole one from near the end ran past the wait
  let refused: unknown;
  try {
    refused = await takeOnFakeClock(dbFile, 'schedule:x');
  } finally {
    Date.now = realNow;
    Math.random = realRandom;
    held!();
  }
  t.equal(refused, undefined, 'refused');
  const waited = pauses.reduce((a, b) => a + b, 0);
  t.equal(Math.round(waited), JOB_LOCK_WAIT_MS, `the wait is ${JOB_LOCK_WAIT_MS} ms, then one last ask`);
  t.ok(pauses.length >= JOB_LOCK_WAIT_MS / 10, `asked throughout (${pauses.length + 1} asks)`);
});
