/**
 * The worker, as it starts on SQLite, ends the leases a process that ended left (lease-holding.ts):
 * the job is delivered at once, not when its lease runs out; a lock file that is no lock, or a
 * store that cannot say, leaves leases to run out and never stops the worker delivering.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { LeaseHolderLocks } from '../../../src/store/lease-holders.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { until } from '../../support/net.js';
import { inFlightJob } from '../../support/new-job.js';

const HOUR = 3_600_000;

async function storeOnFile(t: { teardown(fn: () => unknown): void }): Promise<{ store: Store; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'q-ended-lease-'));
  const file = path.join(dir, 'mediator.db');
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store, file };
}

/** In flight under `owner`, its lease an hour from now, as a killed process left it. */
const leftInFlight = (id: string, owner: string): NewJob =>
  inFlightJob(id, owner, { now: Date.now(), leaseUntil: Date.now() + HOUR });

function outboxOn(t: { teardown(fn: () => unknown): void }, store: Store, seen: string[]): Outbox {
  const outbox = new Outbox({ store, options: { pollMs: 20, leaseMs: HOUR, attemptTimeoutMs: HOUR - 1 } });
  outbox.register('stock', 'dhis2', async (job, _journal, ctx) => {
    seen.push(`${job.id}@${ctx.attempt}`);
    return { system: 'dhis2', ids: {} };
  });
  t.teardown(() => outbox.stop(1_000));
  return outbox;
}

t.test("a killed process's job is taken over as the worker starts, its attempt told it is not the first", async (t) => {
  const { store, file } = await storeOnFile(t);
  await store.recordWrite(leftInFlight('job-killed', 'host-9-dead:lease'));
  fs.writeFileSync(new LeaseHolderLocks(file).fileOf('host-9-dead'), ''); // the lock the OS dropped
  const seen: string[] = [];
  outboxOn(t, store, seen).startWorker();
  await until('the job delivered', async () => (await store.getJob('job-killed'))?.status === 'done');
  t.same(seen, ['job-killed@2'], 'delivered once, as a second attempt (the handler looks before writing)');
});

t.test(
  'a file that is no lock, or a store that cannot say, leaves leases to run out; the worker goes on',
  async (t) => {
    const { store, file } = await storeOnFile(t);
    await store.recordWrite(leftInFlight('job-unsure', 'host-8-garbled:lease'));
    fs.writeFileSync(new LeaseHolderLocks(file).fileOf('host-8-garbled'), 'not a SQLite file at all, '.repeat(40));
    t.same(await store.releaseEndedLeases!(Date.now()), [], 'not known to have ended');
    // a due job of its own, and a store whose release fails: the worker still delivers
    await store.recordWrite({
      ...leftInFlight('job-due', 'x'),
      status: 'pending',
      attempts: 0,
      leaseOwner: undefined,
      leaseUntil: undefined,
    });
    store.releaseEndedLeases = async () => {
      throw new Error('disk I/O error');
    };
    const seen: string[] = [];
    outboxOn(t, store, seen).startWorker();
    await until('the due job delivered', async () => (await store.getJob('job-due'))?.status === 'done');
    t.same(seen, ['job-due@1'], 'the pending job delivered; the job in flight left to its lease');
    t.match(await store.getJob('job-unsure'), { status: 'in-flight', attempts: 1 });
  },
);
