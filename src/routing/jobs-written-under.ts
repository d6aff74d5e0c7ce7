import type { NumberedJobs } from '../store/numbered-keys.js';
import { keyNumber } from '../store/numbered-keys.js';
import type { OutboxJob, Store } from '../store/types.js';
import type { FlowSpec } from './flows.js';
import type { SearchCriteria } from './ports.js';

type KeyLookups = Pick<Store, 'findJobsByKey' | 'findJobsByKeyValue' | 'findNumberedJobs'>;

/**
 * The writes recorded under a searched identifier (FlowSpec.writtenUnder): by its key; without a
 * system (FHIR: the value in any system), by the value in any system (Store.findJobsByKeyValue).
 * `|value` (system ''), an identifier with no system, names no write: every key has one. Writes
 * numbered under a mark after the key (a delivery's drafts) are read through the newest of them
 * (Store.findNumberedJobs), with a system or without: numbers have holes and are reused, so no
 * search by number finds the newest.
 */
export async function jobsWrittenUnder<T>(
  store: KeyLookups,
  under: FlowSpec<T>['writtenUnder'],
  identifier: SearchCriteria['identifier'],
): Promise<OutboxJob[]> {
  if (!identifier || !under) return [];
  const key = under.key(identifier);
  if (!key && identifier.system !== undefined) return [];
  // the key's value is the identifier's with the mark after it (`DL-1|in-progress`)
  const jobsUnder = key
    ? (mark: string) => store.findJobsByKey(key + mark)
    : (mark: string) => store.findJobsByKeyValue(under.kind, identifier.value + mark);
  const numberedUnder = key
    ? (mark: string) => store.findNumberedJobs(key + mark)
    : (mark: string) => numberedInAnySystem(store, under.kind, identifier.value, mark);
  return [...(await jobsUnder('')), ...((await under.alsoUnder?.(jobsUnder, numberedUnder)) ?? [])];
}

/**
 * The newest job numbered after `mark` under `kind|<any system>|value` and the highest number in
 * use: Store.findNumberedJobs under each such key, the keys known by the value's first numbered
 * write and its unmarked one (a delivery's first draft and its completion, each one index look-up
 * by the key's value, v49). Not by one query over the value's range: PostgreSQL's index on the
 * key's value is in the database's collation, which serves no byte range (numbered-keys.ts), and
 * one in byte order would be a store version of its own. So a delivery whose first draft and
 * completion are both gone (retention) while later drafts are kept is not found without a system,
 * as before; with its system it is.
 */
export async function numberedInAnySystem(
  store: KeyLookups,
  kind: string,
  value: string,
  mark: string,
): Promise<NumberedJobs | undefined> {
  const first = await store.findJobsByKeyValue(kind, value + mark);
  const unmarked = await store.findJobsByKeyValue(kind, value);
  const keys = new Set([
    ...first.map((j) => j.idempotencyKey.slice(0, j.idempotencyKey.length - mark.length)),
    ...unmarked.map((j) => j.idempotencyKey),
  ]);
  let found: NumberedJobs | undefined;
  for (const key of [...keys].sort()) {
    const numbered = await store.findNumberedJobs(key + mark);
    if (!numbered) continue;
    found = found ? newer(found, numbered, mark) : numbered;
  }
  return found;
}

/**
 * Of two keys' numbered jobs the newer (created last; of one millisecond the higher number, then
 * the greater id, as the store orders one key's), with the highest number of both.
 */
function newer(a: NumberedJobs, b: NumberedJobs, mark: string): NumberedJobs {
  const highest = Math.max(a.highest, b.highest);
  const number = (j: OutboxJob) => keyNumber(mark, j.idempotencyKey.slice(j.idempotencyKey.lastIndexOf(mark)));
  const order =
    a.newest.createdAt - b.newest.createdAt ||
    number(a.newest) - number(b.newest) ||
    (a.newest.id < b.newest.id ? -1 : a.newest.id > b.newest.id ? 1 : 0);
  return { newest: (order >= 0 ? a : b).newest, highest };
}
