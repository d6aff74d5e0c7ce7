import type { Facility } from '../domain/facility.js';
import type { Store } from '../store/types.js';
import { canonicalJson, stableId } from '../domain/ids.js';
import {
  GONE_FROM_LIST,
  holdsRegistryId,
  isHumanDecision,
  type CrosswalkRow,
  type MatchZone,
} from './crosswalk-types.js';
import { toCrosswalkRows } from './crosswalk.js';
import { blockedRightIndices, matchFacilities, type MatchOptions, type MatchResult } from './match/matcher.js';
import { toMatchRecord, type MatchRecord } from './match/prepare.js';
import { closedForLiveRecord } from './match/closed-in-registry.js';
import { defaultWeights } from './match/weights.js';
import { facilityInputHash, mergeRun } from './review.js';
import { StoreCrosswalkRepository } from './store-crosswalk.js';
import { demoteClaimedMeanwhile } from './claimed-meanwhile.js';
import { runWriteUnderReviewLock } from './review-lock.js';

/** How long a run's write waits for review decisions being written (each takes milliseconds). */
const RUN_LOCK_WAIT_MS = 60_000;

/**
 * Incremental reconciliation into the store.
 *
 * Each automatic row carries a fingerprint in `inputHash`: `<record hash>.<context hash>`, where
 * the record hash covers what the matcher reads from the system's record and the context hash
 * covers the matcher configuration and the registry records the row points at (its pick and its
 * suggestions). A re-run re-scores only:
 *  - records that are new or whose own inputs changed;
 *  - automatic rows whose context changed (a referenced registry record changed or vanished, or
 *    the weights changed);
 *  - automatic rows a registry record added or changed since the last run could now match (found
 *    by blocking that registry record against the system's list, the matcher's own blocking);
 *  - everything, on the first run or with `full`.
 * Everything else keeps its row and is not rewritten. Human rows are never re-scored and never
 * overwritten (the store refuses an automatic row over a human one, and this code never tries);
 * the registry records they or kept auto-matches link to are withheld from the re-scored set so
 * one-to-one still holds. The registry snapshot used by a run is kept in that run's audit entry.
 */
export interface StoreReconcileOptions extends Pick<
  MatchOptions,
  'weights' | 'vocabulary' | 'suggestions' | 'onProgress'
> {
  /** Re-score every automatic row (e.g. after a weights change the fingerprint cannot see). */
  full?: boolean;
  at?: string;
  /** How long the run's write waits for the review lock (RUN_LOCK_WAIT_MS); a test's shorter wait. */
  lockWaitMs?: number;
}

export interface StoreReconcileSummary {
  system: string;
  left: number;
  right: number;
  /** Records re-scored this run. */
  rescored: number;
  /** Candidate pairs the matcher scored for them (0 when nothing was re-scored). */
  pairsCompared: number;
  /** Rows written (new or changed). */
  written: number;
  /** Rows left as they were (unchanged fingerprint, unchanged outcome, or a human decision). */
  kept: number;
  /** Human rows kept (subset of kept). */
  human: number;
  /** Automatic rows whose record left the system's list: now no-match, their link released. */
  retired: number;
  zones: Record<'auto' | 'review' | 'no-match', number>;
  firstRun: boolean;
}

const RUN_AUDIT_ACTION = 'reconcile.run';
const runAuditSubject = (system: string) => `crosswalk/${system}`;

/** SHA-256 hex prefix (stableId of one part is the first 32): the lengths stored fingerprints have. */
const sha = (s: string, n = 16) => stableId(s).slice(0, n);

/** What the matcher reads from one record (facility fields and its area level keys). */
function recordInputHash(input: Facility | MatchRecord): string {
  const r = toMatchRecord(input);
  return sha(facilityInputHash(r.facility) + JSON.stringify(r.areaLevels ?? []), 24);
}

/** Maps and Sets (compiled vocabulary) as arrays, so the config hash sees their content. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return [...value];
  if (value instanceof Set) return [...value];
  if (value instanceof RegExp) return value.source;
  return value;
}

function configHash(options: Pick<MatchOptions, 'weights' | 'vocabulary'>): string {
  return sha(JSON.stringify([options.weights ?? defaultWeights(), options.vocabulary ?? null], replacer));
}

function referencedIds(row: Pick<CrosswalkRow, 'registryId' | 'suggestions'>): string[] {
  const ids = new Set(row.suggestions.map((s) => s.registryId));
  if (row.registryId) ids.add(row.registryId);
  return [...ids].sort();
}

function contextHash(
  row: Pick<CrosswalkRow, 'registryId' | 'suggestions'>,
  registryHashes: Map<string, string>,
  config: string,
): string {
  return sha(config + JSON.stringify(referencedIds(row).map((id) => [id, registryHashes.get(id) ?? null])));
}

export function fingerprint(
  row: Pick<CrosswalkRow, 'registryId' | 'suggestions'>,
  recordHash: string,
  registryHashes: Map<string, string>,
  config: string,
): string {
  return `${recordHash}.${contextHash(row, registryHashes, config)}`;
}

const idOf = (input: Facility | MatchRecord, i: number) => toMatchRecord(input).facility.id ?? String(i);

/**
 * An automatic link of a record live in its system to a registry facility the registry has closed:
 * no run makes one (match/closed-in-registry.ts), but a row kept from a run before that rule is
 * not re-scored by its fingerprint (neither side changed), and the next propagation of the
 * facility would deactivate the live record. Re-scored, it goes to review.
 */
function linksLiveToClosed(
  row: CrosswalkRow,
  record: Facility | MatchRecord,
  registryStatus: Map<string, Facility['status']>,
): boolean {
  const status = row.state === 'auto-match' && row.registryId ? registryStatus.get(row.registryId) : undefined;
  return status !== undefined && closedForLiveRecord({ a: toMatchRecord(record).facility, b: { status } });
}

/** Registry ids added or changed since the snapshot of the last run. */
function changedRegistryIds(previous: Record<string, string> | undefined, current: Map<string, string>): Set<string> {
  const out = new Set<string>();
  if (!previous) return out;
  for (const [id, h] of current) if (previous[id] !== h.slice(0, 12)) out.add(id);
  return out;
}

/** System records a changed registry record could now match: the matcher's blocking, run the other way round (no scoring). */
function reachedBy(
  changedRegistry: (Facility | MatchRecord)[],
  left: (Facility | MatchRecord)[],
  options: StoreReconcileOptions,
): Set<number> {
  if (changedRegistry.length === 0) return new Set<number>();
  return blockedRightIndices(changedRegistry, left, { vocabulary: options.vocabulary });
}

/**
 * A record new in the system's list since the last run that nothing in the registry matches goes
 * to the review queue (issue 14: "new unmatched records go to the review queue"): a facility
 * opened in a system but missing from the registry is for a person to look at (link it, say no
 * match, or flag it for the registry). On the first run every record is new, so the queue would
 * hold every unmatched record at once: those stay automatic no-matches.
 */
function newUnmatchedToReview(row: CrosswalkRow, system: string): CrosswalkRow {
  if (row.state !== 'no-match') return row;
  return {
    ...row,
    state: 'review',
    zone: 'review',
    reasons: [...row.reasons, { field: 'review', weight: 0, detail: `${NEW_IN} ${system}${NEW_REASON}` }],
  };
}

const NEW_IN = 'new in';
const NEW_REASON =
  ' since the last run and no registry facility matches it: link it, say no match, or flag it for the registry';

/** A record never seen before, or one still queued as new (re-scored, it stays in the queue until a person decides). */
function queuedAsNew(stored: CrosswalkRow | undefined): boolean {
  if (!stored) return true;
  return stored.state === 'review' && stored.reasons.some((r) => r.field === 'review' && r.detail.startsWith(NEW_IN));
}

/** Comparable content of a row: everything but when it was decided (an empty rejected list = none). */
function canonical(row: CrosswalkRow): string {
  const { decidedAt: _at, ...rest } = row;
  if (!rest.rejectedRegistryIds?.length) delete rest.rejectedRegistryIds;
  // keys sorted at every depth: PostgreSQL's JSONB hands nested objects back in its own key order
  return canonicalJson(rest);
}

function emptyResult(right: number, options: StoreReconcileOptions): MatchResult {
  const zones = { auto: 0, review: 0, 'no-match': 0 };
  const candidatesByKey = { area: 0, spatial: 0, token: 0, phonetic: 0 };
  return {
    decisions: [],
    stats: { left: 0, right, pairsCompared: 0, candidatesByKey, zones, deterministic: 0 },
    thresholds: (options.weights ?? defaultWeights()).thresholds,
  };
}

/**
 * Zones of the list's rows once this run's rows are written, without reading the crosswalk back:
 * the rows listed at the start with the written ones over them. The store refuses only an
 * automatic row over a human one and `changed` holds none; like `written`, this assumes no
 * reviewer decides one of the rows while the run is between its read and its write (the count is
 * off by such a decision; the links are not: claimed-meanwhile.ts).
 */
function zonesAfter(
  stored: Map<string, CrosswalkRow>,
  written: CrosswalkRow[],
  leftIds: Set<string>,
): Record<MatchZone, number> {
  const after = new Map(stored);
  for (const row of written) after.set(row.systemId, row);
  const zones = { auto: 0, review: 0, 'no-match': 0 };
  for (const r of after.values()) if (leftIds.has(r.systemId)) zones[r.zone]++;
  return zones;
}

export async function reconcileIntoStore(
  store: Store,
  system: string,
  left: (Facility | MatchRecord)[],
  registry: (Facility | MatchRecord)[],
  options: StoreReconcileOptions = {},
): Promise<StoreReconcileSummary> {
  const repo = new StoreCrosswalkRepository(store);
  const at = options.at ?? new Date().toISOString();
  const config = configHash(options);
  const stored = new Map((await repo.listBySystem(system)).map((r) => [r.systemId, r]));
  const registryHashes = new Map(registry.map((f, i) => [idOf(f, i), recordInputHash(f)]));
  const leftHashes = left.map(recordInputHash);
  const lastRun = (await store.listAudit({ subject: runAuditSubject(system), limit: 1 })).find(
    (e) => e.action === RUN_AUDIT_ACTION,
  );
  const previousSnapshot = lastRun?.details.registry as Record<string, string> | undefined;
  const firstRun = !previousSnapshot || stored.size === 0;

  // Which records to re-score.
  const changedRegistry = changedRegistryIds(previousSnapshot, registryHashes);
  const reached =
    options.full || firstRun
      ? new Set<number>()
      : reachedBy(
          registry.filter((f, i) => changedRegistry.has(idOf(f, i))),
          left,
          options,
        );
  const registryStatus = new Map(registry.map((f, i) => [idOf(f, i), toMatchRecord(f).facility.status]));
  const dirty: number[] = [];
  left.forEach((f, i) => {
    const row = stored.get(idOf(f, i));
    if (row && isHumanDecision(row)) return;
    const stale =
      !row ||
      options.full ||
      firstRun ||
      reached.has(i) ||
      row.inputHash !== fingerprint(row, leftHashes[i], registryHashes, config) ||
      linksLiveToClosed(row, f, registryStatus);
    if (stale) dirty.push(i);
  });

  // Registry records already linked by rows that stay: not on offer to the re-scored records.
  const dirtyIds = new Set(dirty.map((i) => idOf(left[i], i)));
  const leftIds = new Set(left.map(idOf));
  const claimed = new Set<string>();
  for (const row of stored.values()) {
    const stays = isHumanDecision(row) || (!dirtyIds.has(row.systemId) && leftIds.has(row.systemId));
    if (stays && holdsRegistryId(row.state) && row.registryId) claimed.add(row.registryId);
  }
  const offered = registry.filter((f, i) => !claimed.has(idOf(f, i)));
  const dirtyRecords = dirty.map((i) => left[i]);
  const result: MatchResult =
    dirtyRecords.length > 0 ? matchFacilities(dirtyRecords, offered, options) : emptyResult(offered.length, options);
  const fresh = toCrosswalkRows(
    result,
    system,
    dirtyRecords.map((r) => toMatchRecord(r).facility),
    {
      at,
      inputHash: (row, k) => fingerprint(row, leftHashes[dirty[k]], registryHashes, config),
    },
  );
  const merged = mergeRun(
    fresh.map((r) => stored.get(r.systemId)).filter((r): r is CrosswalkRow => !!r),
    firstRun ? fresh : fresh.map((r) => (queuedAsNew(stored.get(r.systemId)) ? newUnmatchedToReview(r, system) : r)),
  );

  const changed = merged.filter((row) => {
    const old = stored.get(row.systemId);
    return !(old && (isHumanDecision(old) || canonical(old) === canonical(row)));
  });
  // Records gone from the system's list: their automatic rows stop linking anything.
  const gone = [...stored.values()]
    .filter((row) => !leftIds.has(row.systemId) && !isHumanDecision(row) && row.inputHash !== GONE_FROM_LIST)
    .map((row) => ({
      ...row,
      state: 'no-match' as const,
      zone: 'no-match' as const,
      registryId: undefined,
      suggestions: [],
      comment: 'record no longer in the list',
      inputHash: GONE_FROM_LIST,
      decidedAt: at,
    }));
  const human = [...stored.values()].filter((r) => isHumanDecision(r) && leftIds.has(r.systemId)).length;
  const snapshot = Object.fromEntries([...registryHashes].map(([id, h]) => [id, h.slice(0, 12)]));
  let summary!: StoreReconcileSummary;
  // Under the review lock, against the crosswalk as it is now: a person, or another run, may have
  // linked one of the facilities this run offered while it matched (claimed-meanwhile.ts).
  await runWriteUnderReviewLock(
    store,
    system,
    async () => {
      const rows = demoteClaimedMeanwhile(changed, await repo.listBySystem(system), gone);
      const zones = zonesAfter(stored, rows, leftIds);
      // One transaction for the whole run, its audit entry included: a crash leaves the previous
      // run's rows and entry, never half of this one, nor rows without the entry (the next run's
      // snapshot). (gone rows are automatic, so each of them is written; the rest is this run's.)
      await repo.writeMany([...rows, ...gone], (total) => {
        const written = total - gone.length;
        summary = {
          system,
          left: left.length,
          right: registry.length,
          rescored: dirty.length,
          pairsCompared: result.stats.pairsCompared,
          written,
          kept: left.length - written,
          human,
          retired: gone.length,
          zones,
          firstRun,
        };
        return {
          actor: 'auto',
          action: RUN_AUDIT_ACTION,
          subject: runAuditSubject(system),
          details: { ...summary, config, registry: snapshot },
        };
      });
    },
    options.lockWaitMs ?? RUN_LOCK_WAIT_MS,
  );
  return summary;
}
