import type { Migration } from './migrations.js';

/**
 * v67: which console session made a crosswalk row's human decision (`crosswalk.decided_in`, a tag
 * of the session, never its cookie: admin/ui/session.ts decisionTag). The console's "Sent twice"
 * (admin/ui/sent-twice.ts) took a stale-form refusal for its own double click when the record
 * was exactly what the form asked for and decided under the same name; two people signed in
 * under one name could not be told apart, so the second was told "your first send decided" a
 * decision a colleague made. NULL for automatic rows, for decisions through the API alone, and
 * for decisions made before v67 (nothing backfilled: those are "Not decided", the safe side).
 * ADD COLUMN without a default rewrites nothing (both engines).
 */
export const DECIDED_IN: Migration = {
  version: 67,
  name: 'crosswalk: the console session a human decision was made in (decided_in)',
  sql: 'ALTER TABLE crosswalk ADD COLUMN decided_in TEXT;',
};
