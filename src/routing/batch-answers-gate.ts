import { currentRequestKey, currentWriteAccepted } from '../platform/call-recording.js';
import type { Store, TransactionEntries } from '../store/types.js';

/**
 * Whether a batch's answered entries (fhir/bundle.ts recordBatchAnswers) are worth keeping: only
 * when the request awaits its OpenHIM transaction's update, one of its writes answered before it
 * ended (202: noteWriteAccepted, what marks the envelope, openhim/plugin.ts awaitsOurUpdate). The
 * map is read only to build that update, and only the routed request's (routed-writes.ts); a batch
 * answered in full at once (only reads, refusals, or writes ended or answered from ended ones)
 * owes none. Kept, it lay in the store until the retention prune aged it, and a client choosing a
 * new X-OpenHIM-TransactionID for each such batch grew the table without bound (rows of up to a
 * Bundle's entries each): a batch of reads, or of reads beside one write already done. Known from
 * the request itself: no store read. Outside a recorded request (no OpenHIM envelope), by what the
 * store holds: whether the request recorded a write's entry under the transaction.
 */
export async function batchAnswersKept(store: Store, map: TransactionEntries): Promise<boolean> {
  const awaited = currentWriteAccepted();
  if (awaited !== undefined) return awaited;
  return requestWroteUnder(store, map);
}

/** Whether the same request recorded a write's entry under the transaction already. */
async function requestWroteUnder(store: Store, map: TransactionEntries): Promise<boolean> {
  const key = map.requestKey ?? currentRequestKey() ?? '';
  const recorded = await store.entriesOfTransaction(map.transactionId);
  return recorded.some((e) => e.jobId !== undefined && (e.requestKey ?? '') === key);
}
