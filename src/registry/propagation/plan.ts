import type { Facility } from '../../domain/facility.js';
import type { CrosswalkRow } from '../crosswalk-types.js';
import { isHumanDecision } from '../crosswalk-types.js';
import type { Propagation } from '../../store/types.js';
import { sameCodeHoldReason } from './same-code-hold.js';

/**
 * What one registry change means for one system, decided from the crosswalk alone (pure):
 *  - the system's record is linked (auto or manual match): update it, or deactivate it when the
 *    registry closed the facility;
 *  - a person still has to decide (the record is flagged, in review with this facility as its pick
 *    or a suggestion, or an automatic no-match that suggests it): hold, and say why;
 *  - nothing links it: create it where routing.json says it belongs, unless it is closed;
 *    elsewhere there is nothing to do. A create in a system that needs a parent area waits (held)
 *    while the registry has not published the facility's parent jurisdiction.
 * Areas (jurisdictions) are never written: each system keeps its own area tree, and a facility's
 * move is carried as its new parent.
 */
export type Decision = Pick<Propagation, 'action' | 'state' | 'reason' | 'systemId'>;

export interface PlanInput {
  facility: Facility;
  system: string;
  /** The system's crosswalk rows that name this registry facility (pick or suggestion). */
  rows: CrosswalkRow[];
  /** Whether routing.json sends a new facility like this one to the system. */
  routedHere: boolean;
  /** Why the system takes no facility writes at all (its API has none), if so: reported, as skipped. */
  readOnly?: string;
  /** Why the system cannot create a facility (it can update one), if so: a create is reported, as skipped. */
  cannotCreate?: string;
  /** Whether the system's list was ever reconciled against the registry (it has crosswalk rows). */
  reconciled: boolean;
  /**
   * A record of the system, not linked to any registry facility, that carries this facility's
   * code; looked up only for a create. A code alone (another namespace) does not make a match.
   */
  sameCode?: string;
  /** The crosswalk row of that record, if it has one (a person's reject or no-match of it). */
  sameCodeRow?: CrosswalkRow;
  /**
   * Why the system's list could not be read for that look-up (it is down): the create waits,
   * planned again by the next run, rather than risk a twin or stop the other systems' changes.
   */
  codeUnchecked?: string;
  /** Why the system refuses a new record without a parent area, if it does (createNeedsParent). */
  createNeedsParent?: string;
  /**
   * The registry jurisdiction the facility's partOf names when the registry has not published it
   * yet (a facility pushed before its district) and nothing else places it (no area path).
   */
  unpublishedParent?: string;
}

/** How a create held for its unpublished registry parent begins its reason. */
const WAITING_FOR_PARENT = 'waiting for registry parent';

const LINKED = new Set(['auto-match', 'manual-match']);

export function plan(input: PlanInput): Decision {
  const { facility, rows } = input;
  if (facility.kind === 'area')
    return { action: 'none', state: 'skipped', reason: 'a jurisdiction: each system keeps its own area tree' };
  const linked = rows.find((r) => LINKED.has(r.state) && r.registryId === facility.id);
  const closing = facility.status === 'inactive';
  if (linked) {
    const action = closing ? 'deactivate' : 'update';
    if (input.readOnly)
      return { action, state: 'skipped', reason: notSupported(input.readOnly), systemId: linked.systemId };
    return { action, state: 'queued', systemId: linked.systemId };
  }
  const waiting = rows.find((r) => awaitsDecision(r, facility.id!));
  if (waiting) return { action: closing ? 'deactivate' : 'update', state: 'held', reason: holdReason(waiting) };
  if (closing) return { action: 'none', state: 'skipped', reason: 'closed in the registry; this system never had it' };
  if (!input.routedHere) return { action: 'none', state: 'skipped', reason: 'routing.json does not place it here' };
  const noCreate = input.readOnly ?? input.cannotCreate;
  if (noCreate) return { action: 'create', state: 'skipped', reason: notSupported(noCreate) };
  // before the first reconciliation every registry facility looks new: creating them would make twins
  if (!input.reconciled)
    return { action: 'create', state: 'held', reason: 'this system was never reconciled against the registry' };
  // a system that refuses a parentless create would only fail it; the jurisdiction's arrival plans it again
  if (input.createNeedsParent && input.unpublishedParent)
    return {
      action: 'create',
      state: 'held',
      reason: `${WAITING_FOR_PARENT} ${input.unpublishedParent}, a jurisdiction the registry has not published yet (${input.createNeedsParent}): planned again once it is`,
    };
  if (input.codeUnchecked)
    return {
      action: 'create',
      state: 'held',
      reason: `${input.system}'s facility list could not be read to look for a record with this code (${input.codeUnchecked}): planned again at the next run`,
    };
  if (input.sameCode)
    return {
      action: 'create',
      state: 'held',
      reason: sameCodeHoldReason(input.system, facility.id!, input.sameCode, input.sameCodeRow),
    };
  return { action: 'create', state: 'queued' };
}

/** A system whose API takes no facility writes: reported as not supported, never silently dropped. */
function notSupported(why: string): string {
  return `not supported: ${why}`;
}

/** A row a person has yet to settle for this registry facility. */
function awaitsDecision(row: CrosswalkRow, registryId: string): boolean {
  const named = row.registryId === registryId || row.suggestions.some((s) => s.registryId === registryId);
  if (!named) return false;
  if (row.state === 'flagged' || row.state === 'review') return true;
  // a person's no-match says the record is not this facility; the matcher's is only a guess
  return row.state === 'no-match' && !isHumanDecision(row);
}

function holdReason(row: CrosswalkRow): string {
  const what = `record ${row.systemId}`;
  if (row.state === 'flagged') return `${what} is flagged for review${row.comment ? `: ${row.comment}` : ''}`;
  if (row.state === 'review') return `${what} is in the review queue: a person must accept or reject the match`;
  return `${what} may be this facility (no automatic match): a person must decide before it is created`;
}
