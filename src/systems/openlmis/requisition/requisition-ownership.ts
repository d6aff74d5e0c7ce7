import type { RequisitionDto } from './requisition-dto.js';
import type { InitiateNote } from './write-ledger.js';

/**
 * Which draft requisition is ours to adopt (issue 9 item 2). A search shows who initiated a
 * requisition (statusChanges.INITIATED.authorId, or statusHistory on servers that send that; see
 * openlmis-requisition BasicRequisitionDto / StatusChangeDto) but not for which of our orders. A
 * clerk's draft has another author; a draft of ours is attributed through the ledger's notes
 * (write-ledger.ts): it belongs to the latest note that did not list it.
 */

/** Tolerated difference between our clock and OpenLMIS's when comparing createdDate with a note. */
export const CLOCK_SKEW_MS = 60_000;

interface StatusChangeEntry {
  authorId?: string | null;
}

export function initiatorOf(r: RequisitionDto): string | undefined {
  const changes = r.statusChanges as Record<string, StatusChangeEntry | null> | undefined | null;
  const fromMap =
    changes && typeof changes === 'object' && !Array.isArray(changes) ? changes.INITIATED?.authorId : undefined;
  if (fromMap) return fromMap;
  const history = r.statusHistory as ({ status?: string } & StatusChangeEntry)[] | undefined | null;
  return (Array.isArray(history) ? history.find((h) => h?.status === 'INITIATED')?.authorId : undefined) ?? undefined;
}

/** Initiated and never filled by us: no order number in extraData yet. */
export function isUnmarkedDraft(r: RequisitionDto): boolean {
  return r.status === 'INITIATED' && !r.extraData?.fhirOrderNumber;
}

/** Our unmarked drafts among a search's results (none when our user id is unknown: nothing is provably ours). */
export function ourUnmarkedDrafts(found: RequisitionDto[], me: string | undefined): RequisitionDto[] {
  return me ? found.filter((r) => isUnmarkedDraft(r) && initiatorOf(r) === me) : [];
}

/**
 * The write a draft of ours belongs to: the owner of the newest note that did not list it (the
 * draft appeared after that note, while that write held the lock), provided the draft is not
 * older than the note (less clock skew). Undefined: it predates our notes, so nobody adopts it.
 */
export function ownerOf(draft: RequisitionDto, notesNewestFirst: InitiateNote[]): string | undefined {
  const note = notesNewestFirst.find((n) => !n.before.includes(draft.id));
  if (!note) return undefined;
  const created = draft.createdDate ? Date.parse(draft.createdDate) : Number.NaN;
  if (!(created >= Date.parse(note.at) - CLOCK_SKEW_MS)) return undefined;
  return note.owner;
}
