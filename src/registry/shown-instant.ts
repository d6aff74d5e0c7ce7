import { InvalidInputError } from '../domain/errors.js';

/**
 * An ISO 8601 instant with its zone, as a row's `decidedAt` is written (RFC 3339 date-time).
 * Date.parse alone would take "1" (the year 2001) or "March 5" for one.
 */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A row's `decidedAt` as a caller was shown it (`seenDecidedAt` on a decision, `decidedAt` on an
 * undo): an instant, or empty for a row never decided. Anything else is a 400 at the field, not
 * a 409 saying a colleague changed the record.
 */
export function assertShownInstant(value: string | undefined, field: string): void {
  if (value === undefined || value === '') return;
  if (!INSTANT.test(value) || Number.isNaN(Date.parse(value)))
    throw new InvalidInputError(
      `${field} must be the instant the record was shown with (its decidedAt, ISO 8601 with a zone, e.g. 2026-12-05T07:23:49.663Z); got '${value}'`,
      field,
    );
}

/**
 * Whether the instant shown is the row's decidedAt: the same text, or the same moment written
 * another way (`+00:00` for `Z`, another zone), since a client may reformat what it was given.
 */
export function sameInstant(shown: string, decidedAt: string | undefined): boolean {
  const stored = decidedAt ?? '';
  if (shown === stored) return true;
  if (shown === '' || stored === '') return false;
  const a = Date.parse(shown);
  return !Number.isNaN(a) && a === Date.parse(stored);
}
