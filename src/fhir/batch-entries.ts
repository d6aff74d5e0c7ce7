import type { TransactionEntries } from '../store/types.js';

/**
 * One entry of a batch Bundle through OpenHIM with more than one entry (bundle.ts): each entry is
 * its own write, so each records its own row of the Bundle's entry map (store v24) in its write's
 * store transaction; the entries answered without a write are recorded once the batch is answered.
 */
export interface BatchEntry {
  transactionId: string;
  /** How many entries the batch has. */
  count: number;
  index: number;
}

const STATUS_TEXT: Record<number, string> = { 200: '200 OK', 201: '201 Created' };

/**
 * The entry map a batch entry's write records: this entry, decided by the write's system of record
 * job (the first of its jobs), answered `status` at `location` once delivered. None outside a batch.
 */
export function writtenEntries(
  entry: BatchEntry | undefined,
  status: 200 | 201,
  location: string,
): TransactionEntries | undefined {
  if (!entry) return undefined;
  return {
    transactionId: entry.transactionId,
    count: entry.count,
    entries: [{ entry: entry.index, job: 0, answer: { status: STATUS_TEXT[status], location } }],
  };
}
