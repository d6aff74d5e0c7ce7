import { setTimeout as sleep } from 'node:timers/promises';
import type { OutboxJob, Propagation, Store } from '../../store/types.js';
import { LINK_TAKEN_BACK } from './link-taken-back.js';

/** A version's change to one system, and its job's key (propagationKey). */
type Change = Pick<Propagation, 'registryId' | 'system' | 'version'> & { key: string };

/** How long a plan waits for the delivery in flight under its key to end (a hold ends in moments). */
const IN_FLIGHT_WAIT_MS = 5_000;
const IN_FLIGHT_POLL_MS = 25;

/**
 * A change just planned queued whose key a job already held (`earlier`, read before the accept;
 * a fresh key has none, and its new job goes as any other): that job must go now. One left
 * waiting (before, the job of a change whose link was taken back waited and looked again) is
 * made due at once. One in flight may be the very delivery that found the change held and is
 * ending refused (LinkTakenBack) as this plan is recorded: once it has, its key is free and
 * `accept` makes the job again; otherwise the change, queued, would have only that refused job
 * and never be written.
 */
export async function sendNow(
  store: Store,
  change: Change,
  earlier: OutboxJob[],
  accept: () => Promise<unknown>,
  now: number,
): Promise<void> {
  const { key } = change;
  for (const job of earlier) {
    if (job.status === 'pending' && job.nextAttemptAt > now)
      await store.requeueJob(
        job.id,
        { actor: 'propagation', action: 'propagation.replan', subject: `outbox/${job.id}`, details: { key } },
        now,
        'pending',
      );
    if (job.status === 'in-flight' && endedHeld(await endOf(store, job.id)) && (await stillQueued(store, change)))
      await accept();
  }
}

/**
 * Whether the change is still planned queued: a plan made before the link was taken back (the
 * job it made is the one that found it held) is followed by that job's hold, which stands.
 */
async function stillQueued(store: Store, change: Change): Promise<boolean> {
  const row = await store.getPropagation(change.registryId, change.system);
  return row?.state === 'queued' && row.version === change.version;
}

/** A job that ended refused because its change is held (LinkTakenBack), not because a system refused it. */
function endedHeld(job: OutboxJob | undefined): boolean {
  return job?.status === 'rejected' && job.error?.name === LINK_TAKEN_BACK;
}

/** The job once it is no longer in flight, or as it is after IN_FLIGHT_WAIT_MS. */
async function endOf(store: Store, id: string): Promise<OutboxJob | undefined> {
  const until = Date.now() + IN_FLIGHT_WAIT_MS;
  for (;;) {
    const job = await store.getJob(id);
    if (job?.status !== 'in-flight' || Date.now() > until) return job;
    await sleep(IN_FLIGHT_POLL_MS);
  }
}
