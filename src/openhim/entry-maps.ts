import type { TransactionEntry } from '../store/types.js';

/**
 * The Bundle entry maps under one OpenHIM transaction id, one per request (store v48: by the
 * request's key; the maps recorded before v48 share none and read as one), in the order read.
 * A client reaching the mediator directly can send a real transaction's id, so more than one
 * request's map can lie under it, and each is read on its own.
 */
export function mapsByRequest(entries: readonly TransactionEntry[]): TransactionEntry[][] {
  const maps = new Map<string | undefined, TransactionEntry[]>();
  for (const e of entries) {
    const map = maps.get(e.requestKey);
    if (map) map.push(e);
    else maps.set(e.requestKey, [e]);
  }
  return [...maps.values()];
}
