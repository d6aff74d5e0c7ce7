import { currentRequestKey } from '../platform/call-recording.js';
import type { Store, TransactionEntries } from '../store/types.js';

/**
 * Whether a batch's answered entries (fhir/bundle.ts recordBatchAnswers) are worth keeping: only
 * when the same request recorded a write's entry under the transaction already. A batch that wrote
 * nothing (only reads, or every entry refused) is answered at once and owes OpenHIM no update, so
 * nothing ever reads its map; kept, it lay in the store until the retention prune aged it, and a
 * client choosing a new X-OpenHIM-TransactionID for each such batch grew the table without bound
 * (rows of up to a Bundle's entries each). A batch with a write records its entries as before: the
 * write's entry is recorded in the write's own store transaction, before the batch is answered.
 */
export async function requestWroteUnder(store: Store, map: TransactionEntries): Promise<boolean> {
  const key = map.requestKey ?? currentRequestKey() ?? '';
  const recorded = await store.entriesOfTransaction(map.transactionId);
  return recorded.some((e) => e.jobId !== undefined && (e.requestKey ?? '') === key);
}
