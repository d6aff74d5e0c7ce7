/**
 * SQLite: a process's outbox leases are released when its lock says it ended, and only then
 * (store/lease-holders.ts). A lock file nobody holds is what a SIGKILLed holder leaves (the
 * operating system drops its lock); a holder marked by another store object of this process
 * stands for a running one (SQLite's locks hold between connections of one process too). The
 * real SIGKILL, through a server and a CLI: test/e2e/outbox/killed-mid-attempt.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { LeaseHolderLocks } from '../../../src/store/lease-holders.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { inFlightJob } from '../../support/new-job.js';

const NOW = 1_000_000;

function tempFile(t: { teardown(fn: () => unknown): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'q-lease-holders-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'mediator.db');
}

const inFlight = (id: string, owner: string): NewJob =>
  inFlightJob(id, owner, { now: NOW - 5_000, leaseUntil: NOW + 120_000 });

async function open(t: { teardown(fn: () => unknown): void }, file: string): Promise<Store> {
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(() => store.close());
  return store;
}

t.test('only a holder that ended loses its leases, at once', async (t) => {
  const file = tempFile(t);
  const store = await open(t, file);
  const beside = await open(t, file); // another outbox of a running process
  for (const [id, owner] of [
    ['job-ended', 'host-101-aaaa:lease-1'],
    ['job-running', 'host-102-bbbb:lease-2'],
    ['job-own', 'host-103-cccc:lease-3'],
    ['job-unmarked', 'host-104-dddd:lease-4'],
  ])
    await store.recordWrite(inFlight(id, owner));
  const locks = new LeaseHolderLocks(file);
  fs.writeFileSync(locks.fileOf('host-101-aaaa'), ''); // its process was killed: the file, no lock
  beside.holdLeases!('host-102-bbbb');
  store.holdLeases!('host-103-cccc');
  // host-104-dddd: leased before this release recorded holders; nothing says it ended

  t.same(await store.releaseEndedLeases!(NOW), [{ holder: 'host-101-aaaa', jobs: 1 }], 'the ended one only');
  t.notOk(fs.existsSync(locks.fileOf('host-101-aaaa')), 'its lock file is gone');
  t.equal((await store.getJob('job-ended'))!.leaseUntil, NOW - 1, 'its lease ended');
  for (const id of ['job-running', 'job-own', 'job-unmarked'])
    t.match(await store.getJob(id), { status: 'in-flight', leaseUntil: NOW + 120_000 }, `${id} keeps its lease`);

  const claimed = await store.claimJobs({
    system: 'dhis2',
    flows: ['stock'],
    limit: 10,
    leaseOwner: 'host-105-eeee:lease-5',
    leaseMs: 120_000,
    now: NOW,
  });
  t.same(
    claimed.map((j) => [j.id, j.attempts, j.leaseTakenFrom]),
    [['job-ended', 2, 'host-101-aaaa:lease-1']],
    'the next claim takes it over, told whose lease it was; the live ones stay',
  );
  t.same(await store.releaseEndedLeases!(NOW), [], 'nothing more to release');
});

t.test("a store closed with a holder's job still in flight keeps its lock; an idle one's goes", async (t) => {
  const file = tempFile(t);
  const locks = new LeaseHolderLocks(file);
  const first = await openStore({ databaseUrl: `sqlite:${file}` });
  await first.recordWrite(inFlight('job-out', 'host-201-aaaa:lease-1'));
  first.holdLeases!('host-201-aaaa'); // an attempt still out when its store closes
  first.holdLeases!('host-202-bbbb'); // took leases, ended them all
  await first.close();
  t.ok(fs.existsSync(locks.fileOf('host-201-aaaa')), 'the lock of the holder with a job in flight stays');
  t.notOk(fs.existsSync(locks.fileOf('host-202-bbbb')), "the idle holder's lock file is removed");

  const later = await open(t, file);
  t.same(await later.releaseEndedLeases!(NOW), [], 'held till this process ends: its lease is not released');
  t.match(await later.getJob('job-out'), { status: 'in-flight', leaseUntil: NOW + 120_000 });
});

t.test('in memory there is nothing to mark or release', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(() => store.close());
  store.holdLeases!('host-301-aaaa');
  t.same(await store.releaseEndedLeases!(NOW), []);
});

t.test('the lock files of holders that ended idle are swept; held ones stay', async (t) => {
  const file = tempFile(t);
  const store = await open(t, file);
  const beside = await open(t, file);
  const locks = new LeaseHolderLocks(file);
  fs.writeFileSync(locks.fileOf('host-401-idle'), ''); // killed while it held no lease
  beside.holdLeases!('host-402-live');
  store.holdLeases!('host-403-self');
  t.same(await store.releaseEndedLeases!(NOW), [], 'no lease to release');
  t.notOk(fs.existsSync(locks.fileOf('host-401-idle')), "the idle ended holder's file is gone");
  t.ok(fs.existsSync(locks.fileOf('host-402-live')), "a running holder's stays");
  t.ok(fs.existsSync(locks.fileOf('host-403-self')), 'this store’s own stays');
  t.ok(fs.existsSync(file), 'the database itself untouched');
});
