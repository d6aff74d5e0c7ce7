/**
 * Which writes of an OpenHIM transaction its update is owed to. The mediator keeps the
 * X-OpenHIM-TransactionID a request carried with its writes, and inbound auth is one shared
 * credential: a client reaching the mediator directly could send the id of a transaction that
 * really awaits our update, and its writes would be kept under that id too. Read by id alone, the
 * update would then carry their ends as well (a Bundle of both, its status theirs too).
 *
 * Core stores the properties of the envelope it was answered with on the transaction it routed
 * (openhim-core-js src/middleware/messageStore.js storeResponse), and an answer sent to a client
 * directly never reaches core. So the envelope of a request whose transaction awaits our update
 * names its writes (transaction-id.ts AWAITS_UPDATE_OF_PROPERTY, the random end of each job id),
 * and the update is built from those writes alone: another request's writes under the same id,
 * before or after it, are left out and their debts refused. The envelope names the routed
 * request's key too (transaction-id.ts AWAITS_UPDATE_OF_REQUEST_PROPERTY): another request with
 * exactly the same writes is told apart by it, and shapes nothing of the update. A transaction
 * marked by a release that named no writes is owed the update of all its writes, as then.
 */
import type { OutboxJob, TransactionEntry, TransactionRequest } from '../store/types.js';
import type { UpdateAnswer, Waiting } from './transaction-update-sweep.js';
import { mapsByRequest } from './entry-maps.js';
import { writeTag } from './transaction-id.js';

/**
 * The writes the update is built from, and the debts of those it is not owed to (job ids);
 * `contentType`: the type the routed request was answered with (v47), its FHIR release.
 */
export type RoutedWrites =
  | {
      kind: 'owed';
      jobs: OutboxJob[];
      entries: TransactionEntry[];
      foreign: string[];
      contentType?: string;
      /** The routed request was a Bundle whose entry map is not kept: its writes make a Bundle alone. */
      bundle?: boolean;
    }
  | Extract<UpdateAnswer, { kind: 'refused' }>
  | Waiting;

const owes = (job: OutboxJob) => job.transactionUpdate?.state === 'owed';
const unfinished = (job: OutboxJob) => job.status === 'pending' || job.status === 'in-flight';

/**
 * `jobs` (and `entries`) of transaction `transactionId` split by `named`, the write tags core keeps
 * for it (undefined: a transaction marked before writes were named; every write is owed). Waiting
 * while a routed write has not ended, or while `stillAnswering` says the routed request's own map
 * is a batch still being answered. `requests`: those kept under the id (v47); `routedKey`: the key
 * core keeps of the routed request (transaction-id.ts AWAITS_UPDATE_OF_REQUEST_PROPERTY), whose row
 * and map alone are its; without it (marked by an earlier release), the one naming the routed
 * writes tells which entries are its, and its type.
 */
export function routedWritesOf(
  transactionId: string,
  jobs: OutboxJob[],
  entries: TransactionEntry[],
  named: ReadonlySet<string> | undefined,
  requests: readonly TransactionRequest[] = [],
  stillAnswering?: (map: TransactionEntry[]) => boolean,
  routedKey?: string,
): RoutedWrites {
  if (!named) {
    if (jobs.some(unfinished)) return { kind: 'waiting' };
    return answered({ kind: 'owed', jobs, entries: mapOfUnnamed(entries), foreign: [] }, stillAnswering);
  }
  const routed = jobs.filter((j) => named.has(writeTag(j.id)));
  if (routed.some(unfinished)) return { kind: 'waiting' };
  const foreign = jobs.filter((j) => !named.has(writeTag(j.id)) && owes(j)).map((j) => j.id);
  if (!routed.some(owes))
    return {
      kind: 'refused',
      reason: `OpenHIM transaction ${transactionId} awaits no update of these writes: they came with its id in a request OpenHIM did not route to the mediator (not updated)`,
    };
  const { request, own } =
    routedKey === undefined ? unkeyedRequestOf(entries, named, requests) : keyedRequestOf(entries, requests, routedKey);
  if (!own)
    return {
      kind: 'refused',
      reason: `OpenHIM transaction ${transactionId}: a request OpenHIM did not route recorded Bundle entries under its id too (not updated)`,
    };
  // a Bundle of one entry keeps no map (fhir/bundle.ts): its update is that write's answer, as before;
  // a shared row keeps a count both requests had (store SHARED_REQUEST_KEY): a Bundle either way
  const bundle = (request?.entries ?? 0) > 1 && own.length === 0;
  return answered(
    {
      kind: 'owed',
      jobs: routed,
      entries: own,
      foreign,
      ...(request?.contentType ? { contentType: request.contentType } : {}),
      ...(bundle ? { bundle } : {}),
    },
    stillAnswering,
  );
}

/**
 * Waiting while the routed request's own map is short of its entries (a batch still being
 * answered: transaction-update-sweep.ts stillAnswering); another request's map under the id, short
 * or whole, holds nothing back.
 */
function answered(
  writes: Extract<RoutedWrites, { kind: 'owed' }>,
  stillAnswering: ((map: TransactionEntry[]) => boolean) | undefined,
): RoutedWrites {
  return writes.entries.length && stillAnswering?.(writes.entries) ? { kind: 'waiting' } : writes;
}

/**
 * The entry map of a transaction marked before writes were named: its routed request was answered
 * by a release of then, its map kept without a key (before v48, or by such a release running on
 * during the upgrade: key ''). Every map under the id passed on would repeat entry positions, one
 * per request after the upgrade: the only map, else the one of then, else none (its writes alone).
 */
function mapOfUnnamed(entries: TransactionEntry[]): TransactionEntry[] {
  const maps = mapsByRequest(entries);
  if (maps.length <= 1) return maps[0] ?? [];
  return maps.find((map) => map[0].requestKey === undefined) ?? [];
}

/** The routed request's row and entries, and whether they can be told (undefined: refused). */
interface RoutedRequest {
  request?: TransactionRequest;
  own?: TransactionEntry[];
}

/**
 * The routed request named by its key (core's copy): its row and the map recorded under its key,
 * whatever other requests under the id recorded, before or after it. Its row not kept (the store
 * failed as it was answered): its map alone, else its writes' own answers, its type not known
 * (plain FHIR JSON); never a row or map of another request, which may share all its writes.
 */
function keyedRequestOf(
  entries: TransactionEntry[],
  requests: readonly TransactionRequest[],
  routedKey: string,
): RoutedRequest {
  const request = requests.find((r) => r.apart && r.requestKey === routedKey);
  return { ...(request ? { request } : {}), own: entries.filter((e) => e.requestKey === routedKey) };
}

/**
 * The routed request of a transaction marked without its key: answered before v50, or by an
 * instance of an earlier release still running during the upgrade; told by its writes among the
 * rows such a release kept (v47's table), by the rules of then. The rows this release keeps
 * (`apart`) and their maps are other requests': this release names the key of every request it
 * marks, so none of them is the one core routed (a forger's Bundle with its writes, answered
 * here, would otherwise be taken for it while the earlier release's row is missing).
 */
function unkeyedRequestOf(
  all: TransactionEntry[],
  named: ReadonlySet<string>,
  requests: readonly TransactionRequest[],
): RoutedRequest {
  const apart = new Set(requests.filter((r) => r.apart).map((r) => r.requestKey));
  const entries = all.filter((e) => e.requestKey === undefined || !apart.has(e.requestKey));
  const earlier = requests.filter((r) => !r.apart);
  const request = routedRequestOf(earlier, named);
  return {
    ...(request ? { request } : {}),
    own: request ? entriesOfRequest(entries, named, request) : routedEntries(entries, named),
  };
}

/**
 * The kept request (v47) core routed: the one whose writes are exactly those the envelope named.
 * Only when none is, the first sharing a write with them: a forged Bundle kept first can share
 * the routed single write's job (its entry carried that write's idempotency key) and must not
 * make that write's update its Bundle, in its Content-Type. At most one has exactly those writes
 * (v47's table is keyed by them: a second request's made the row SHARED_REQUEST_KEY's).
 */
function routedRequestOf(
  requests: readonly TransactionRequest[],
  named: ReadonlySet<string>,
): TransactionRequest | undefined {
  const exact = (r: TransactionRequest) => {
    const tags = new Set(r.jobIds.map(writeTag));
    return tags.size === named.size && [...tags].every((tag) => named.has(tag));
  };
  return requests.find(exact) ?? requests.find((r) => r.jobIds.some((id) => named.has(writeTag(id))));
}

/**
 * The routed request's entries, its request kept (v47): none when it was no Bundle (a Bundle's
 * map under the id is another request's), or when another request had exactly its writes (store
 * SHARED_REQUEST_KEY): which of the two core routed is not known, so the update is its writes'
 * answers alone, never the other's entries, and no short map of the other's holds it back. Of a Bundle kept with its key (v48), the map recorded
 * under that key, whatever other requests recorded under the id before or after it. Kept before
 * v48, of the maps of before: those below its entry count when each is of that count and names
 * no other write; else another request's map came first and the routed one's was never kept:
 * none, the update a Bundle of its writes alone (not refused, not another's).
 */
function entriesOfRequest(
  entries: TransactionEntry[],
  named: ReadonlySet<string>,
  request: TransactionRequest,
): TransactionEntry[] {
  // two requests had these writes: no map is known to be the routed one's, none shapes or holds it
  if (request.shared) return [];
  const count = request.entries;
  if (count === undefined) return [];
  if (request.requestKey !== undefined) return entries.filter((e) => e.requestKey === request.requestKey);
  const own = entries.filter((e) => e.requestKey === undefined && e.entry < count);
  const ours = (e: TransactionEntry) => e.jobId === undefined || named.has(writeTag(e.jobId));
  return own.every((e) => e.count === count && ours(e)) ? own : [];
}

/**
 * The Bundle entries of the routed request, no request kept for it, or undefined when whose are
 * whose cannot be told. Each request's map has its own key (v48; the maps of before share one):
 * the one map naming a routed write, else the only map. Within a map of before v48, which kept the
 * first request's entry at each position (store v24), a request under the same id after the routed
 * one adds only positions past the routed Bundle's count (the count its entries naming routed
 * writes were recorded with): those are dropped, as their jobs are. Below that count every entry
 * must be of that count and name no other write: one that does came first, and the routed
 * request's entry at its position was never kept.
 */
function routedEntries(all: TransactionEntry[], named: ReadonlySet<string>): TransactionEntry[] | undefined {
  const ours = (e: TransactionEntry) => e.jobId === undefined || named.has(writeTag(e.jobId));
  const maps = mapsByRequest(all);
  const naming = maps.filter((m) => m.some((e) => e.jobId !== undefined && ours(e)));
  const entries =
    naming.length === 1 ? naming[0] : naming.length === 0 && maps.length <= 1 ? (maps[0] ?? []) : undefined;
  if (!entries) return undefined;
  const counts = new Set(entries.filter((e) => e.jobId !== undefined && ours(e)).map((e) => e.count));
  // no entry names a routed write (a Bundle of reads, its writes a fan-out): one map, all of it ours
  const count = counts.size === 0 ? entries[0]?.count : counts.size === 1 ? [...counts][0] : undefined;
  if (count === undefined) return entries.length ? undefined : entries;
  const own = counts.size === 0 ? entries : entries.filter((e) => e.entry < count);
  return own.every((e) => e.count === count && ours(e)) ? own : undefined;
}
