/**
 * Another process holds the SQLite write lock (an operator's `sqlite3` shell in a transaction, a
 * long backup) while the mediator serves (README "When the mediator's own database is away").
 * Writes wait for it without stopping the process: /health answers meanwhile, and a write goes
 * through once the lock is back within 5 s; held longer, the write is a 503 saying what holds
 * it, and the same write sent again afterwards is delivered. /ready names the store while the
 * lock is held; an operator's command beside it that cannot write says what holds it, not to
 * check DATABASE_URL. Through the real mediator and the OpenLMIS sandbox. SQLite only: PostgreSQL has
 * no file lock (its outages: ready-store-writes.test.ts, pg-restart.test.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { damagedStock, RIG_AUTH, startRig, why } from '../../support/openlmis-e2e.js';

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A second process in a write transaction on `file` until `release()` (or our end closes its
 * stdin); resolves once it holds the lock. Released on our word, not a timer: what the mediator
 * does meanwhile is then told by the order of events, never by how long anything took.
 */
async function holdWriteLock(file: string): Promise<{ release(): Promise<unknown>; isHeld(): boolean }> {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(${JSON.stringify(file)});
       db.exec('BEGIN IMMEDIATE'); console.log('locked');
       process.stdin.once('data', () => { db.exec('COMMIT'); process.exit(0); });
       process.stdin.once('end', () => process.exit(0));`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => holder.once('exit', r));
  await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
  let held = true;
  return {
    isHeld: () => held,
    release() {
      held = false;
      holder.stdin!.end('release\n');
      return exited;
    },
  };
}

/** `p`, and whether it has settled yet (read at any later point). */
function watched<T>(p: Promise<T>): { value: Promise<T>; settled(): boolean } {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { value: p, settled: () => settled };
}

t.test('SQLite write lock held by another process: writes wait off the event loop', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'locked-elsewhere-'));
  const file = path.join(dir, 'mediator.db');
  const rig = await startRig({ DATABASE_URL: `sqlite:${file}`, OUTBOX_DEADLINE_MS: '10000' });
  t.teardown(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const facility = rig.lmis.seed.facilities['LK-HC-101'];
  const url = rig.mediator.url;
  const ready = async () => {
    const res = await fetch(`${url}/ready`, { headers: { authorization: RIG_AUTH } });
    const body = (await res.json()) as any;
    return { status: res.status, store: body.checks.find((c: any) => c.name === 'store') };
  };
  t.equal((await ready()).status, 200, 'ready before');

  await t.test('held a while: the write waits and goes through; the process answers meanwhile', async (t) => {
    const lock = await holdWriteLock(file);
    const write = watched(rig.fhir('POST', '/fhir/R5/InventoryReport', damagedStock(facility, 'LOCK-1', 1)));
    await sleep(300);
    // the write cannot end while the lock is held (well within its 5 s wait): an event loop
    // blocked by its wait would answer nothing else before it
    const health = await fetch(`${url}/health`);
    t.equal(health.status, 200);
    t.notOk(write.settled(), '/health answered while the write waits for the lock');
    const during = await ready();
    t.equal(during.status, 503, 'not ready while writes cannot go');
    t.equal(during.store?.status, 'down', 'the store is named');
    t.match(during.store?.reason, /another process holds the SQLite database's write lock/);
    t.notOk(write.settled(), '/ready answered while the write waits for the lock');
    const released = lock.release();
    const done = await write.value;
    t.equal(done.status, 201, why(done));
    await released;
    t.equal((await ready()).status, 200, 'ready again');
  });

  await t.test('held past the wait: a 503 naming the lock, then the same write delivered', async (t) => {
    const lock = await holdWriteLock(file);
    const write = watched(rig.fhir('POST', '/fhir/R5/InventoryReport', damagedStock(facility, 'LOCK-2', 1)));
    await sleep(300);
    await fetch(`${url}/health`);
    t.notOk(write.settled(), '/health answered while the write waits for the lock');
    const refused = await write.value;
    t.equal(refused.status, 503, why(refused));
    t.match(refused.body?.issue?.[0]?.diagnostics, /another process .* holds its write lock/);
    // the lock is released only below: the answer came from the wait's end, not from the release
    t.ok(lock.isHeld(), 'answered after the wait, while the lock was still held');
    await lock.release();
    const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', damagedStock(facility, 'LOCK-2', 1));
    t.equal(again.status, 201, why(again));
  });

  await t.test("an operator's command that cannot write names the lock, exit 1", async (t) => {
    const lock = await holdWriteLock(file);
    const root = path.resolve(import.meta.dirname, '../../..');
    const cli = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, 'src/cli/index.ts'), 'jobs', 'run', 'outboxPrune'],
      { env: { PATH: process.env.PATH ?? '', DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'silent' }, timeout: 60_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    t.equal(cli.code, 1);
    t.match(cli.stderr, /another process holds the SQLite database's write lock/);
    t.match(cli.stderr, /end the other process's transaction/);
    t.notMatch(cli.stderr, /DATABASE_URL/, 'nothing to check in the settings');
    await lock.release();
  });
});
