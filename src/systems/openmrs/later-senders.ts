import { sameIdentifier, type Delivery } from '../../domain/index.js';
import { eachLimited } from '../../platform/each-limited.js';
import { DELIVERIES, keysOfWrite, secondaryKey } from '../../routing/flows.js';
import type { JournalStep, OutboxJob, Store } from '../../store/types.js';
import { OPENMRS } from './errors.js';

/** What later-senders reads of the store: the jobs still to run and their journals. */
export type SenderStore = Pick<Store, 'findJobsByKey' | 'listJobs' | 'listSteps'>;

/** A job still to run: waiting for a retry or in flight, its outcome not recorded. */
const STILL_TO_RUN = ['pending', 'in-flight'] as const;
const PAGE = 500;
/** Journals read at once: a share of a PostgreSQL pool (10 by default), not all of it. */
export const JOURNAL_READS = 4;
/** The step naming the operation a confirmation chose (deliveries.ts pinned): a uuid, or {uuid} (1770052). */
const CHOICE = 'find-operation';
/** `complete-transfer-sent`, `approve-receipt-sent`: journaled just before the completing action is sent. */
const SENT = /^(complete-transfer|approve-receipt)-sent$/;

const chosenUuid = (steps: JournalStep[]): unknown => {
  const chosen = steps.find((s) => s.step === CHOICE)?.result;
  return typeof chosen === 'string' ? chosen : (chosen as { uuid?: unknown } | null)?.uuid;
};
const sentStep = (steps: JournalStep[]) => steps.find((s) => SENT.test(s.step) && s.result === true);

/** Marks ordered by when they were journaled, then by job id: two marks never tie. */
const after = (a: { at: number; id: string }, b: { at: number; id: string }) =>
  a.at > b.at || (a.at === b.at && a.id > b.id);

/** Whether job `job` writes `delivery`: its payload's identifier the same system and value. */
export const writesDelivery = (job: OutboxJob, delivery: Delivery): boolean =>
  sameIdentifier((job.payload as Delivery | undefined)?.identifier, delivery.identifier);

async function stillToRun(store: SenderStore): Promise<OutboxJob[]> {
  const jobs: OutboxJob[] = [];
  for (const status of STILL_TO_RUN)
    for (let offset = 0; ; offset += PAGE) {
      const page = await store.listJobs({ status, system: OPENMRS, flow: DELIVERIES.outboxFlow, limit: PAGE, offset });
      jobs.push(...page);
      if (page.length < PAGE) break;
    }
  return jobs;
}

/**
 * Whether another delivery's write, still to run, sent the action completing this operation after
 * this write sent its own (both marks journaled, neither outcome recorded): that later one may be
 * the action that landed (DL-1's COMPLETE lost on the way, 502, DL-2's applied, its job not yet
 * done), so who completed the operation is not known yet. Only a later sender counts, so that of
 * two writes whose answers were both lost exactly one waits for the other, never both. A write
 * journaled before marks existed has none and is taken as the earliest. Read only where a write
 * finds its operation completed after sending (confirmed-by.ts), so the listing is rare.
 *
 * Why crediting the later sender is safe, though its action may be the one that did not land
 * (DL-1's COMPLETE applied, DL-2's sent after it refused, both answers lost: OpenMRS records no
 * caller that tells them apart, both come as the integration user): the module completes an
 * operation once (its action only from DISPATCHED or SUBMITTED), so nothing is applied twice; both
 * writes chose this operation (its uuid journaled), so the credit links the right object; and the
 * retry that takes the credit has checked the write's lines against the operation as it read it
 * (deliveries.ts checkLines: a transfer's received as shipped, a receipt's no more than it holds).
 * The other number is refused naming it (409).
 */
export async function laterSender(store: SenderStore, operationUuid: string, delivery: Delivery): Promise<boolean> {
  // this write's own job: under the delivery's key, or (OpenMRS a secondary target) that key for
  // OpenMRS, each as this release keys it or as one before v68 did (an instance of it still
  // running); missed, the write took its own mark for a later sender and waited on itself until
  // dead. Of this delivery only: the key a release before v68 gave delivery `DL-1|openmrs` is
  // DL-1's copy key for OpenMRS, and its write is another's, a later sender like any other
  const ownKeys = keysOfWrite(DELIVERIES, delivery).flatMap((key) => [key, secondaryKey(key, OPENMRS)]);
  const isOwn = (j: OutboxJob) => ownKeys.includes(j.idempotencyKey) && writesDelivery(j, delivery);
  const own = (await Promise.all(ownKeys.map((k) => store.findJobsByKey(k))))
    .flat()
    .find((j) => j.system === OPENMRS && (STILL_TO_RUN as readonly string[]).includes(j.status) && isOwn(j));
  const ownSent = own && sentStep(await store.listSteps(own.id));
  const mine = { at: ownSent?.completedAt ?? -Infinity, id: own?.id ?? '' };
  const others = (await stillToRun(store)).filter((job) => !isOwn(job));
  let later = false;
  // a few journals read at once: one after the other, 1,000 waiting deliveries took about 1 s on
  // PostgreSQL (a round trip each), while this write's attempt waited
  await eachLimited(others, JOURNAL_READS, async (job) => {
    if (later) return;
    const steps = await store.listSteps(job.id);
    if (chosenUuid(steps) !== operationUuid) return;
    const sent = sentStep(steps);
    if (sent && after({ at: sent.completedAt, id: job.id }, mine)) later = true;
  });
  return later;
}
