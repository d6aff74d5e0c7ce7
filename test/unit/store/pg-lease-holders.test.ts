/**
 * PostgreSQL: a process's outbox leases end when its session advisory lock is free and its
 * attempt is over by its timeout, and only then (store/pg-lease-holders.ts). A holder marked by
 * another store object of this process stands for a running one (its own session holds the lock);
 * a holder never marked is one whose process ended (the server dropped its lock with its session).
 * The real SIGKILL, through a server and a CLI: test/e2e/outbox/killed-cli-lease.test.ts.
 */
import { execSync } from 'node:child_process';
import pg from 'pg';
import t from 'tap';
import { openStore, type Store } from '../../../src/store/index.js';
import { inFlightJob } from '../../support/new-job.js';
import { until } from '../../support/net.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { ownPgServer } from '../../e2e/outbox/pg-outage-rig.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;
const NOW = 1_000_000;
/** leaseMs 120 s and attemptTimeoutMs 60 s: a lease running to before this started over 60 s ago. */
const ATTEMPTS_OVER_BEFORE = NOW + 60_000;
/** A lease taken 61 s ago (its attempt over) and one taken 10 s ago (its attempt may still write). */
const OVER = NOW + 59_000;
const RUNNING = NOW + 110_000;

/** The lease-holder locks granted on this server now ('LEAS', the key space of pg-lease-holders.ts). */
async function holderLocks(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 1279607123 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    return rows[0].n;
  } finally {
    await c.end();
  }
}

t.test(
  'only a holder whose lock is free loses its leases, and only those whose attempt is over',
  {
    skip: postgres.skip,
  },
  async (t) => {
    const { store, databaseUrl } = await freshStore(postgres, t);
    const beside = await openStore({ databaseUrl }); // another outbox of a running process
    t.teardown(() => beside.close());
    for (const [id, owner, leaseUntil] of [
      ['job-ended', 'host-101-aaaa:lease-1', OVER],
      ['job-ended-young', 'host-101-aaaa:lease-2', RUNNING],
      ['job-running', 'host-102-bbbb:lease-3', OVER],
      ['job-own', 'host-103-cccc:lease-4', OVER],
    ] as const)
      await store.recordWrite(inFlightJob(id, owner, { now: NOW - 5_000, leaseUntil }));
    beside.holdLeases!('host-102-bbbb');
    store.holdLeases!('host-103-cccc');
    await until('both holders hold their locks', async () => (await holderLocks(databaseUrl)) === 2);
    // host-101-aaaa: its process ended (or is an older release without a lock): nobody holds its lock

    t.same(
      await store.releaseEndedLeases!(NOW, ATTEMPTS_OVER_BEFORE),
      [{ holder: 'host-101-aaaa', jobs: 1 }],
      'the ended one only',
    );
    t.equal((await store.getJob('job-ended'))!.leaseUntil, NOW - 1, 'its lease whose attempt is over ended');
    t.match(
      await store.getJob('job-ended-young'),
      { status: 'in-flight', leaseUntil: RUNNING },
      'its lease whose attempt may still run is kept: a free lock may be a live holder reconnecting',
    );
    for (const id of ['job-running', 'job-own'])
      t.match(await store.getJob(id), { status: 'in-flight', leaseUntil: OVER }, `${id} keeps its lease`);
    t.equal(await holderLocks(databaseUrl), 2, 'the lock taken to end them is given back');

    const claimed = await store.claimJobs({
      system: 'dhis2',
      flows: ['stock'],
      limit: 10,
      leaseOwner: 'host-104-dddd:lease-5',
      leaseMs: 120_000,
      now: NOW,
    });
    t.same(
      claimed.map((j) => [j.id, j.leaseTakenFrom]),
      [['job-ended', 'host-101-aaaa:lease-1']],
      'the next claim takes it over',
    );
    t.same(await store.releaseEndedLeases!(NOW), [], 'without attemptsOverBefore nothing ends');
  },
);

t.test(
  'a holder takes its lock again after PostgreSQL restarts, and keeps its leases',
  {
    skip: postgres.skip,
  },
  async (t) => {
    const server = ownPgServer();
    t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
    const holder: Store = await openStore({ databaseUrl: server.url });
    t.teardown(() => holder.close());
    const peer: Store = await openStore({ databaseUrl: server.url });
    t.teardown(() => peer.close());
    await holder.recordWrite(inFlightJob('job-held', 'host-201-aaaa:lease-1', { now: NOW - 5_000, leaseUntil: OVER }));
    holder.holdLeases!('host-201-aaaa');
    await until('the holder holds its lock', async () => (await holderLocks(server.url)) === 1);

    execSync(server.down, { stdio: 'ignore' });
    execSync(server.up, { stdio: 'ignore' });
    await until('the holder holds its lock again', async () => (await holderLocks(server.url)) === 1, 30_000);
    t.same(await peer.releaseEndedLeases!(NOW, ATTEMPTS_OVER_BEFORE), [], 'a peer finds it running');
    t.match(await peer.getJob('job-held'), { status: 'in-flight', leaseUntil: OVER }, 'its lease is kept');
  },
);
