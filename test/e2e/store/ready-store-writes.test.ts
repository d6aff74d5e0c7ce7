/**
 * /ready names the store when the mediator's own database cannot take writes, not only when it
 * cannot be read (README "When the mediator's own database is away"): PostgreSQL failed over onto
 * a read-only standby, SQLite's disk full. Reads still work in both, so a read alone says "ok"
 * while every write is answered 503. Through the real mediator and the OpenLMIS sandbox.
 * The disk-full case needs a small tmpfs (root); it says so when it is skipped. Asking costs no
 * write: with another process holding SQLite's write lock, /ready answers within a second and
 * names the lock (sqlite-locked-elsewhere.test.ts: what writes get meanwhile).
 */
import { execSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { damagedStock, RIG_AUTH, startRig, why, type Rig } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ready(rig: Rig): Promise<{ status: number; store: any }> {
  const res = await fetch(`${rig.mediator.url}/ready`, { headers: { authorization: RIG_AUTH } });
  const body = (await res.json()) as any;
  return { status: res.status, store: body.checks.find((c: any) => c.name === 'store') };
}

/** One injectable found damaged at LK-HC-101: a write the store must record. */
const damaged = (rig: Rig, id: string) => damagedStock(rig.lmis.seed.facilities['LK-HC-101'], id, 1);

const postgres = engineCases().find((e) => e.name === 'postgres')!;

t.test('PostgreSQL read-only after a failover: /ready names the store', { skip: postgres.skip }, async (t) => {
  // the rig's own database, by its URL: CI runs test files side by side on one server, so "the
  // newest test database" may be another file's (which this test would then make read-only)
  const db = await postgres.freshDatabase();
  const rig = await startRig({ DATABASE_URL: db.databaseUrl });
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  t.teardown(() => admin.end());
  const name = decodeURIComponent(new URL(db.databaseUrl).pathname.slice(1));
  const readOnly = async (on: boolean) => {
    await admin.query(`ALTER DATABASE "${name}" SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
    // each cut session waited for (up to 10 s) until its backend has exited: a loaded server can take
    // longer than any fixed pause, and a session still open would answer the next query itself
    await admin.query('SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = $1', [name]);
    await sleep(300); // the pool hears its connections end: the next query connects anew
  };
  t.equal((await ready(rig)).status, 200, 'ready before');
  await readOnly(true);
  const write = await rig.fhir('POST', '/fhir/R5/InventoryReport', damaged(rig, 'RO-1'));
  t.equal(write.status, 503, `a write is refused: ${why(write)}`);
  const during = await ready(rig);
  t.equal(during.status, 503, 'not ready');
  t.equal(during.store?.status, 'down', 'the store is named');
  t.match(during.store?.reason, /read-only/, during.store?.reason);
  await readOnly(false);
  t.equal((await ready(rig)).status, 200, 'ready again, without a restart');
  const after = await rig.fhir('POST', '/fhir/R5/InventoryReport', damaged(rig, 'RO-1'));
  t.equal(after.status, 201, why(after));
});

/** A 3 MB tmpfs to fill for real, or undefined where none can be mounted (not root). */
function smallDisk(): string | undefined {
  const mount = path.join(tmpdir(), `ready-full-${process.pid}`);
  mkdirSync(mount, { recursive: true });
  try {
    execSync(`mount -t tmpfs -o size=3m tmpfs ${mount}`, { stdio: 'ignore' });
    return mount;
  } catch {
    rmSync(mount, { recursive: true, force: true });
    return undefined;
  }
}

const mount = smallDisk();

t.test(
  'SQLite disk full: /ready names the store',
  { skip: mount ? false : 'needs a small tmpfs (mount -t tmpfs, as root) to fill the disk for real' },
  async (t) => {
    const unmount = () => {
      execSync(`umount ${mount}`, { stdio: 'ignore' });
      rmSync(mount!, { recursive: true, force: true });
    };
    const rig = await startRig({ DATABASE_URL: `sqlite:${path.join(mount!, 'mediator.db')}` }).catch((err) => {
      unmount();
      throw err;
    });
    // the mediator closes its database before the disk goes
    t.teardown(async () => {
      await rig.close();
      unmount();
    });
    t.equal((await ready(rig)).status, 200, 'ready before');
    const filler = path.join(mount!, 'filler');
    // fill what is left of the disk
    for (let i = 0; ; i++) {
      try {
        writeFileSync(`${filler}-${i}`, Buffer.alloc(64 * 1024));
      } catch {
        break;
      }
    }
    const write = await rig.fhir('POST', '/fhir/R5/InventoryReport', damaged(rig, 'FULL-1'));
    t.equal(write.status, 503, `a write is refused: ${why(write)}`);
    const during = await ready(rig);
    t.equal(during.status, 503, 'not ready');
    t.equal(during.store?.status, 'down', 'the store is named');
    t.match(during.store?.reason, /full/, during.store?.reason);
    execSync(`rm -f ${filler}-*`);
    t.equal((await ready(rig)).status, 200, 'ready again, without a restart');
    const after = await rig.fhir('POST', '/fhir/R5/InventoryReport', damaged(rig, 'FULL-1'));
    t.equal(after.status, 201, why(after));
  },
);

t.test('SQLite locked by another process: /ready names the lock within a second, without a write', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ready-locked-'));
  const file = path.join(dir, 'mediator.db');
  const rig = await startRig({ DATABASE_URL: `sqlite:${file}` });
  t.teardown(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // an operator's sqlite3 shell in a write transaction, until the test ends it (its stdin)
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)});
       db.exec('BEGIN EXCLUSIVE'); console.log('locked');
       process.stdin.once('data', () => { db.exec('COMMIT'); process.exit(0); });`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => holder.once('exit', r));
  const release = () => {
    if (!holder.stdin!.writableEnded) holder.stdin!.end('release\n');
    return exited;
  };
  t.teardown(release);
  await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
  const during = await ready(rig);
  t.equal(during.store?.status, 'down', 'writes cannot go: the store is named');
  t.match(during.store?.reason, /another process holds the SQLite database's write lock/, during.store?.reason);
  // the store's own account of its wait: its 1 s probe, not SQLite's 5 s busy wait or the writes' 5 s
  t.match(during.store?.reason, /for over 1000 ms/, 'named after the probe of a second');
  t.notMatch(during.store?.reason, /full/, 'nothing says the disk is full');
  await release();
  t.equal((await ready(rig)).status, 200, 'ready once the lock is given back');
});
