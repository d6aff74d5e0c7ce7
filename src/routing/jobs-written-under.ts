import { keyPart, keyPartText } from '../domain/business-key.js';
import { sameIdentifier, type Identifier } from '../domain/index.js';
import type { OutboxJob, Store } from '../store/types.js';
import type { FlowSpec } from './flows.js';
import type { SearchCriteria } from './ports.js';

type KeyLookups = Pick<Store, 'findJobsByKey' | 'findJobsByKeyValue' | 'findKeysOfMarkedValue' | 'findNumberedJobs'>;
type WrittenUnder<T> = NonNullable<FlowSpec<T>['writtenUnder']>;

/**
 * The writes recorded under a searched identifier (FlowSpec.writtenUnder): by its key; without a
 * system (FHIR: the value in any system), under each key of the value in any system. `|value`
 * (system ''), an identifier with no system, names no write: every key has one. Writes numbered
 * under a mark after the key (a delivery's drafts, alsoUnder) are read under that key alone, as a
 * search with its system reads them: two apps' deliveries of one number are two deliveries, each
 * found through its own newest draft, never one's draft number read in the other's.
 */
export async function jobsWrittenUnder<T>(
  store: KeyLookups,
  under: FlowSpec<T>['writtenUnder'],
  identifier: SearchCriteria['identifier'],
): Promise<OutboxJob[]> {
  if (!identifier || !under) return [];
  const key = under.key(identifier);
  if (key) {
    const own = { system: identifier.system!, value: identifier.value };
    return [...(await store.findJobsByKey(key)), ...(await markedUnder(store, under, key, own))].filter(of(own));
  }
  if (identifier.system !== undefined) return [];
  const unmarked = await store.findJobsByKeyValue(under.kind, identifier.value);
  const found = unmarked.filter((j) => identifierOf(j)?.value === identifier.value);
  const valuePart = keyPart(identifier.value);
  for (const k of await keysOfValue(store, under, identifier.value, unmarked)) {
    // `kind|system|value`, each part escaped (domain/business-key.ts)
    const own = {
      system: keyPartText(k.slice(under.kind.length + 1, k.length - valuePart.length - 1)),
      value: identifier.value,
    };
    found.push(...(await markedUnder(store, under, k, own)).filter(of(own)));
  }
  return found;
}

/**
 * The jobs under `key` with a mark after it (alsoUnder), read by that key, of `identifier`'s
 * writes only: keys stored before v68 escaped no identifier value, and one an older instance
 * still running wrote after it escapes none either, so another value's key can be one of them (a
 * delivery `DL-1|in-progress` was recorded under DL-1's first draft key).
 */
async function markedUnder<T>(
  store: KeyLookups,
  under: WrittenUnder<T>,
  key: string,
  identifier: Identifier,
): Promise<OutboxJob[]> {
  return (
    (await under.alsoUnder?.(
      async (mark) => (await store.findJobsByKey(key + mark)).filter(of(identifier)),
      (mark) => store.findNumberedJobs(key + mark, identifier),
    )) ?? []
  );
}

/** The identifier a job's write carries (every flow with writtenUnder has one: deliveries). */
function identifierOf(job: OutboxJob): Identifier | undefined {
  return (job.payload as { identifier?: Identifier } | undefined)?.identifier;
}

/** Whether a job is a write of `identifier`, not another value's under the same key. */
const of = (identifier: Identifier) => (job: OutboxJob) => sameIdentifier(identifierOf(job), identifier);

/**
 * The keys `kind|<any system>|value` writes were recorded under, sorted (the same order every
 * time): those of its unmarked writes (a delivery's completion) and of any marked one
 * (`firstMark` and what is numbered after it: a delivery's drafts), the latter one range of the
 * key's value in byte order (Store.findKeysOfMarkedValue, v66). Not the first marked write's key
 * alone: once retention deleted a delivery's first draft and its completion, the drafts kept
 * after them were found with its system and not without.
 */
async function keysOfValue<T>(
  store: KeyLookups,
  under: WrittenUnder<T>,
  value: string,
  unmarked: OutboxJob[],
): Promise<string[]> {
  if (!under.alsoUnder) return [];
  const marked = under.firstMark ? await store.findKeysOfMarkedValue(under.kind, value, under.firstMark) : [];
  const keys = new Set([...unmarked.map((j) => j.idempotencyKey), ...marked]);
  return [...keys].sort();
}
