import type { Facility } from '../domain/facility.js';
import { ConflictError } from '../domain/errors.js';
import { stableId } from '../domain/ids.js';
import { holdsRegistryId, isHumanDecision, type CrosswalkRow, type CrosswalkState } from './crosswalk-types.js';

/**
 * The review state machine (GOFR's manual workflow, reference/registry.md §2.2), pure: each
 * operation takes a row and returns a new one, or throws ConflictError (409) for a transition
 * the current state does not allow. Every operation records who decided and when; from then on
 * the row is a human decision that automatic re-runs never overwrite.
 */
export type ReviewOperation =
  | { op: 'accept'; registryId?: string }
  | { op: 'reject'; registryId?: string }
  | { op: 'no-match' }
  | { op: 'flag'; comment: string }
  | { op: 'break' }
  | { op: 'ignore' };

export interface Actor {
  user: string;
  at: string;
  /** The console session deciding (its tag, v67); absent through the API alone. */
  session?: string;
}

const ALLOWED: Record<ReviewOperation['op'], CrosswalkState[]> = {
  accept: ['review', 'flagged', 'no-match', 'auto-match', 'match-broken', 'ignored'],
  reject: ['review', 'flagged', 'auto-match'],
  'no-match': ['review', 'flagged', 'ignored'],
  flag: ['review', 'auto-match', 'manual-match', 'no-match', 'match-broken', 'flagged'],
  break: ['auto-match', 'manual-match'],
  ignore: ['review', 'flagged', 'no-match', 'match-broken', 'auto-match', 'manual-match'],
};

function guard(row: CrosswalkRow, op: ReviewOperation['op']): void {
  if (!ALLOWED[op].includes(row.state)) {
    throw new ConflictError(`cannot ${op} a crosswalk row in state '${row.state}' (${row.system}/${row.systemId})`);
  }
}

function decided(row: CrosswalkRow, actor: Actor, patch: Partial<CrosswalkRow>): CrosswalkRow {
  if (!actor.user || actor.user === 'auto') throw new ConflictError('a review decision needs a named user');
  const decision = { ...row, ...patch, decidedBy: actor.user, decidedAt: actor.at };
  // a decision made elsewhere is not the session's that made the one before
  delete decision.decidedIn;
  return actor.session ? { ...decision, decidedIn: actor.session } : decision;
}

function withRejected(row: CrosswalkRow, registryId: string | undefined): string[] {
  const list = new Set(row.rejectedRegistryIds ?? []);
  if (registryId) list.add(registryId);
  return [...list];
}

export function applyReview(row: CrosswalkRow, operation: ReviewOperation, actor: Actor): CrosswalkRow {
  guard(row, operation.op);
  switch (operation.op) {
    case 'accept': {
      const registryId = operation.registryId ?? row.registryId ?? row.suggestions[0]?.registryId;
      if (!registryId) throw new ConflictError(`nothing to accept for ${row.system}/${row.systemId}: no suggestion`);
      const picked = row.suggestions.find((s) => s.registryId === registryId);
      return decided(row, actor, {
        state: 'manual-match',
        registryId,
        score: picked?.score ?? row.score,
        reasons: picked?.reasons ?? row.reasons,
        rejectedRegistryIds: (row.rejectedRegistryIds ?? []).filter((id) => id !== registryId),
      });
    }
    case 'reject': {
      const registryId = operation.registryId ?? row.registryId ?? row.suggestions[0]?.registryId;
      if (!registryId) throw new ConflictError(`nothing to reject for ${row.system}/${row.systemId}`);
      const suggestions = row.suggestions.filter((s) => s.registryId !== registryId);
      // another candidate of a linked record: the link stands (it moved the row to review, unlinked)
      if (row.registryId && row.registryId !== registryId && holdsRegistryId(row.state))
        return decided(row, actor, { suggestions, rejectedRegistryIds: withRejected(row, registryId) });
      // the linked one: unlinked, so what the link drove follows (propagation/propagator.ts followLink)
      return decided(row, actor, {
        state: suggestions.length > 0 ? 'review' : 'no-match',
        registryId: row.registryId === registryId ? undefined : row.registryId,
        suggestions,
        rejectedRegistryIds: withRejected(row, registryId),
      });
    }
    case 'no-match':
      return decided(row, actor, { state: 'no-match', registryId: undefined });
    case 'flag':
      return decided(row, actor, { state: 'flagged', comment: operation.comment });
    case 'break':
      // The broken pair is remembered so no later run can auto-match it again.
      return decided(row, actor, {
        state: 'match-broken',
        registryId: undefined,
        rejectedRegistryIds: withRejected(row, row.registryId),
      });
    case 'ignore':
      return decided(row, actor, { state: 'ignored' });
  }
}

const rowKey = (r: Pick<CrosswalkRow, 'system' | 'systemId'>) => `${r.system}\u0000${r.systemId}`;

/**
 * Merges a fresh automatic run into the stored crosswalk:
 *  - a human row is kept as it is (only its suggestions are refreshed, minus rejected ids, while
 *    it still waits in review or flagged);
 *  - an automatic row is replaced by the fresh one;
 *  - a fresh auto-match that picks a registry id a human rejected or broke for that record, or a
 *    registry id a human already linked to another record, is demoted to review with a reason;
 *  - stored automatic rows whose record is gone are dropped; human rows are kept.
 */
export function mergeRun(stored: CrosswalkRow[], fresh: CrosswalkRow[]): CrosswalkRow[] {
  const byKey = new Map(stored.map((r) => [rowKey(r), r]));
  const humanClaims = new Map<string, string>();
  for (const r of stored) {
    if (isHumanDecision(r) && r.state === 'manual-match' && r.registryId)
      humanClaims.set(`${r.system}\u0000${r.registryId}`, r.systemId);
  }
  const out: CrosswalkRow[] = [];
  const seen = new Set<string>();
  for (const f of fresh) {
    const key = rowKey(f);
    seen.add(key);
    const old = byKey.get(key);
    if (old && isHumanDecision(old)) {
      out.push(refreshSuggestions(old, f));
      continue;
    }
    const rejected = new Set(old?.rejectedRegistryIds ?? []);
    const suggestions = f.suggestions.filter((s) => !rejected.has(s.registryId));
    let row: CrosswalkRow = {
      ...f,
      suggestions,
      rejectedRegistryIds: old?.rejectedRegistryIds ?? f.rejectedRegistryIds,
    };
    const claimedBy = f.registryId ? humanClaims.get(`${f.system}\u0000${f.registryId}`) : undefined;
    if (
      f.state === 'auto-match' &&
      f.registryId &&
      (rejected.has(f.registryId) || (claimedBy && claimedBy !== f.systemId))
    ) {
      row = {
        ...row,
        state: 'review',
        zone: 'review',
        registryId: undefined,
        reasons: [
          ...f.reasons,
          {
            field: 'review',
            weight: 0,
            detail: rejected.has(f.registryId)
              ? 'this pair was rejected or broken by a reviewer'
              : `registry record already matched by a reviewer to ${claimedBy}`,
          },
        ],
        suggestions: suggestions.filter((s) => s.registryId !== f.registryId || !rejected.has(s.registryId)),
      };
    }
    out.push(row);
  }
  for (const r of stored) if (!seen.has(rowKey(r)) && isHumanDecision(r)) out.push(r);
  return out;
}

function refreshSuggestions(human: CrosswalkRow, fresh: CrosswalkRow): CrosswalkRow {
  if (human.state !== 'review' && human.state !== 'flagged') return human;
  const rejected = new Set(human.rejectedRegistryIds ?? []);
  return { ...human, suggestions: fresh.suggestions.filter((s) => !rejected.has(s.registryId)) };
}

/** A stable hash of what the matcher reads from a facility: name, areas, type, position, identifiers, status. */
export function facilityInputHash(f: Facility): string {
  const material = JSON.stringify([
    f.name,
    [...(f.aliases ?? [])].sort(),
    f.areaPath ?? [],
    (f.types ?? []).map((t) => t.code),
    f.position ? [f.position.latitude, f.position.longitude] : null,
    [...f.identifiers].map((i) => `${i.system}|${i.value}`).sort(),
    f.status,
  ]);
  // stableId of one part is SHA-256 of it, 32 hex: the value stored rows already carry.
  return stableId(material);
}

/**
 * Which system records must be re-scored: new ones, and automatic rows whose input hash changed.
 * Human decisions are never re-scored (mergeRun would keep them anyway). A changed registry list
 * changes every hash when callers mix the registry snapshot hash into it (see crosswalk.ts).
 */
export function rowsToRescore(stored: CrosswalkRow[], currentHashes: Map<string, string>, system: string): string[] {
  const bySystemId = new Map(stored.filter((r) => r.system === system).map((r) => [r.systemId, r]));
  const out: string[] = [];
  for (const [systemId, hash] of currentHashes) {
    const row = bySystemId.get(systemId);
    if (!row) out.push(systemId);
    else if (!isHumanDecision(row) && row.inputHash !== hash) out.push(systemId);
  }
  return out;
}
