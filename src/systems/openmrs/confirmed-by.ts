import { ConflictError } from '../../domain/errors.js';
import { sameIdentifier, type Delivery, type Identifier } from '../../domain/index.js';
import { DELIVERIES, keysOfWrite } from '../../routing/flows.js';
import type { JobStatus, Store } from '../../store/types.js';
import { unknownWriteOutcome } from '../../upstream/errors.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import { laterSender, writesDelivery, type SenderStore } from './later-senders.js';

/**
 * What the store knows of deliveries confirmed through the mediator: the number whose
 * confirmation completed an operation (`completedBy`: undefined when none did, completed in
 * OpenMRS's own UI or by a write this store does not hold), and whether a write under a number is
 * recorded already (`recorded`: its job waiting, in flight, done or dead).
 */
export interface ConfirmedBy {
  completedBy(operationUuid: string): Promise<Identifier | undefined>;
  recorded(delivery: Delivery): Promise<boolean>;
  /**
   * Whether another delivery's write, still to run, sent its completing action to this operation
   * after this delivery's write sent its own (later-senders.ts): until it ends, who completed the
   * operation is not known. Absent: none is known.
   */
  laterSender?(operationUuid: string, delivery: Delivery): Promise<boolean>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

/**
 * A recorded write that still stands: every one but a refused one, which alone gives up its key
 * (the outbox); a dead one keeps it, and a resend is that write, for an operator to retry.
 */
const stands = (status: JobStatus) => status !== 'rejected';

/**
 * ConfirmedBy from the store. completedBy: the link a finished delivery write leaves from its FHIR
 * ids to the operation it acted on (Store.linksToUpstream, newest first), and that write's outbox
 * job, whose payload is the delivery as the client sent it; a refused write completed nothing.
 * recorded: a job to OpenMRS standing under the delivery's outbox key (routing's DELIVERIES.key).
 */
export function storeConfirmations(store: Pick<Store, 'linksToUpstream' | 'getJob'> & SenderStore): ConfirmedBy {
  return {
    async completedBy(operationUuid) {
      for (const link of await store.linksToUpstream('deliveries', OPENMRS, [operationUuid])) {
        const job = link.jobId ? await store.getJob(link.jobId) : undefined;
        if (job?.status === 'done') return (job.payload as Delivery).identifier;
      }
      return undefined;
    },
    async recorded(delivery) {
      // as this release keys it, or a release before v68 did (an instance of it still running);
      // of this delivery: that release's key for DL-1|openmrs is DL-1's copy key for OpenMRS, and
      // that copy is not its write
      const keys = keysOfWrite(DELIVERIES, delivery);
      const jobs = (await Promise.all(keys.map((key) => store.findJobsByKey(key)))).flat();
      return jobs.some((job) => job.system === OPENMRS && stands(job.status) && writesDelivery(job, delivery));
    },
    laterSender: (operationUuid, delivery) => laterSender(store, operationUuid, delivery),
  };
}

const named = (id: Identifier) => `${id.system}|${id.value}`;

/**
 * Whether another delivery's write still to run sent its completing action to `op` (later than
 * this write's own, if any: laterSender): the operation may be that write's, its answer lost, so
 * the refusal must not say "completed in OpenMRS, not through the mediator".
 */
const otherWriteSent = async (op: Json, delivery: Delivery, confirmedBy: ConfirmedBy | undefined) =>
  (await confirmedBy?.laterSender?.(String(op.uuid), delivery)) === true;

/**
 * A confirmation under the app's own delivery number of an operation OpenMRS holds completed
 * already is refused (409) unless that completion was this very number's: another number
 * confirming it applied nothing (the stock came in with the first), and answering it "completed"
 * told its app it had. The same number again is a resend, answered as applied; so is the
 * operation's own number (`ownNumber`): it names that delivery itself, whoever completed it. Who
 * completed it is named where the mediator wrote it: an app that lost DL-1's answer and sent it
 * again as DL-2 learns that DL-1 stands. `sentBefore`: this write's own earlier attempt sent the
 * completing action (checked inside the write, at that action: deliveries.ts completeOnce).
 */
export async function refuseCompletedByAnother(
  op: Json,
  delivery: Delivery,
  ownNumber: Identifier,
  confirmedBy: ConfirmedBy | undefined,
  sentBefore = false,
): Promise<void> {
  if (op.status !== 'COMPLETED' || sameIdentifier(ownNumber, delivery.identifier)) return;
  const by = await confirmedBy?.completedBy(String(op.uuid));
  if (sameIdentifier(by, delivery.identifier)) return;
  // this write sent its action before (its answer lost) and no other delivery is known to have
  // completed it: it is taken as this write's own, as a retry must (a UI completion in between
  // cannot be told from it), unless another delivery's write that sent its action later is still
  // to run: its action may be the one that landed, so this write waits for it to end (transient)
  if (sentBefore && !by) {
    if (!(await confirmedBy?.laterSender?.(String(op.uuid), delivery))) return;
    throw unknownWriteOutcome({
      system: OPENMRS,
      make: makeOpenMrsError,
      diagnostics: `OpenMRS stock operation ${ownNumber.value} (${String(op.uuid)}) is completed and another delivery's write that sent its completing action after this one has not ended: who completed it is known when it does; retried`,
    });
  }
  const what = `OpenMRS stock operation ${ownNumber.value} (${String(op.uuid)})`;
  const who = by
    ? `by delivery ${named(by)}: this delivery (${named(delivery.identifier)}) applies nothing more; if it is that delivery sent again, read it by its number instead`
    : (await otherWriteSent(op, delivery, confirmedBy))
      ? `either by another delivery's write through the mediator, which sent its completing action and has not ended (its answer lost, retried), or in OpenMRS: this delivery (${named(delivery.identifier)}) applies nothing more`
      : `in OpenMRS, not by a delivery confirmed through the mediator: the stock was received there, this delivery (${named(delivery.identifier)}) applies nothing more`;
  throw new ConflictError(`${what} was already completed ${who}`, 409, ['Delivery.identifier']);
}
