/**
 * The crosswalk: which record of a system is which registry facility. Shared by the matcher
 * (which proposes rows), the store (which persists them) and review (which humans drive).
 *
 * States follow GOFR's manual workflow (reference/registry.md §2.2): auto match, manual match,
 * flagged "to be reviewed" (with comment), no-match, ignored, match broken (never auto-matched
 * again), plus `review` for a pair the matcher could not decide alone.
 */
export type CrosswalkState =
  'auto-match' | 'manual-match' | 'review' | 'flagged' | 'no-match' | 'ignored' | 'match-broken';

export type MatchZone = 'auto' | 'review' | 'no-match';

export interface ScoreReason {
  /** Which comparison: name, type, area, distance, identifier … */
  field: string;
  /** Log-likelihood weight it added (negative = evidence against). */
  weight: number;
  detail: string;
}

export interface Suggestion {
  registryId: string;
  score: number;
  reasons: ScoreReason[];
}

export interface CrosswalkRow {
  /** The system whose list was matched against the registry ('openlmis', 'dhis2', a CSV name …). */
  system: string;
  /** That system's id of the record. */
  systemId: string;
  /** The registry facility it is linked to; absent for no-match / review without a pick. */
  registryId?: string;
  state: CrosswalkState;
  zone: MatchZone;
  score?: number;
  reasons: ScoreReason[];
  /** Ranked alternatives for the review queue (best first). */
  suggestions: Suggestion[];
  /** 'auto' or the user who decided. A human decision is never overwritten by 'auto'. */
  decidedBy: string;
  decidedAt: string;
  /** The console session a human decision was made in (a tag, not its cookie; v67): absent otherwise. */
  decidedIn?: string;
  comment?: string;
  /** Hash of the inputs that produced an automatic row, so re-runs re-score only what changed. */
  inputHash?: string;
  /** Registry ids a human rejected or broke for this record: never proposed or auto-matched again. */
  rejectedRegistryIds?: string[];
}

/** States whose registryId is taken: a flag questions a link but does not release it. */
export function holdsRegistryId(state: CrosswalkState): boolean {
  return state === 'auto-match' || state === 'manual-match' || state === 'flagged';
}

export function isHumanDecision(row: Pick<CrosswalkRow, 'decidedBy'>): boolean {
  return row.decidedBy !== 'auto';
}

/** The inputHash a reconcile run gives the automatic row of a record gone from its system's list. */
export const GONE_FROM_LIST = 'gone';

/**
 * Whether a run retired the row: its record is no longer in the system's list. Nothing there to
 * link or to check, until the record is listed again (the next run re-scores it then).
 */
export function isGoneFromList(row: Pick<CrosswalkRow, 'decidedBy' | 'inputHash'>): boolean {
  return !isHumanDecision(row) && row.inputHash === GONE_FROM_LIST;
}
