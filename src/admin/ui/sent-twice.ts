import { problemOf, type AdminApi, type ApiAnswer } from './api.js';
import { decisionTag, type Session } from './session.js';

/** The state each review action leaves a record in. */
const STATE_AFTER: Record<string, string> = {
  accept: 'manual-match',
  reject: 'review',
  'no-match': 'no-match',
  flag: 'flagged',
  break: 'match-broken',
  ignore: 'ignored',
};

/** A decide form as sent: its action and what it chose (`registryId`, `comment`). */
export interface SentDecision {
  system: string;
  systemId: string;
  op: string;
  payload: Record<string, string>;
}

/**
 * A decision refused as stale (409) because the record is now exactly what this form asked for,
 * decided by this person: the same form sent twice (a double click, whose second send read the
 * session before the first's decision was in it), not a colleague's change. The record is read
 * again to say so: a 409 "by <this name>" alone is no proof, since another tab of the session (or
 * a colleague signed in under the same name) may have decided it otherwise, accepting another
 * registry facility or flagging it: that person must see "Not decided" and the record as it is.
 * Nor is the same decision under the same name: a colleague of that name may have made it, and is
 * told apart by the session the decision was made in (its tag, crosswalk.decided_in, v67).
 */
export async function sentTwice(api: AdminApi, session: Session, sent: SentDecision, answer: ApiAnswer) {
  if (answer.status !== 409 || !problemOf(answer).includes(`, by ${session.user} at `)) return false;
  const now = await api.get(
    `/admin/reconcile/${encodeURIComponent(sent.system)}/crosswalk?at=${encodeURIComponent(sent.systemId)}&limit=1`,
  );
  const row = now.status === 200 ? now.body.rows?.[0] : undefined;
  if (!row || row.systemId !== sent.systemId || row.decidedBy !== session.user) return false;
  // decided in this session (v67): a colleague signed in under the same name is another session
  if (row.decidedIn !== decisionTag(session)) return false;
  if (row.state !== STATE_AFTER[sent.op]) return false;
  const { registryId, comment } = sent.payload;
  if (sent.op === 'accept' && registryId !== undefined && row.registryId !== registryId) return false;
  if (sent.op === 'reject' && registryId !== undefined && !row.rejectedRegistryIds?.includes(registryId)) return false;
  if (sent.op === 'flag' && (comment ?? '').trim() !== row.comment) return false;
  return true;
}
