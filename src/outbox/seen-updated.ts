import { InvalidInputError } from '../domain/errors.js';

/**
 * An ISO 8601 instant with its zone, as the admin API writes a job's `updatedAt`. Date.parse alone
 * would take "1" (the year 2001) or "March 5" for one.
 */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * `?updatedAt=` on a retry or a drop: the job's `updatedAt` as the caller was shown it, in epoch
 * ms for the store's guard; absent when not given. Anything but an instant is a 400 at the
 * parameter, not a 409 saying the job changed.
 */
export function seenUpdatedAt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = INSTANT.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw new InvalidInputError(
      `updatedAt must be the job's updatedAt as it was shown (ISO 8601 with a zone, e.g. 2026-12-05T07:23:49.663Z); got '${value}'`,
      'updatedAt',
    );
  return ms;
}
