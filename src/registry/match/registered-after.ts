import type { ScoreReason } from '../crosswalk-types.js';
import type { PreparedRecord } from './prepare.js';

/**
 * A system list is often a dated copy of the registry (KenyaEMR ships the Kenya MFL as of
 * 2014-05-12, a DHIS2 instance loaded from the registry once). A registry record registered after
 * that date cannot be on the list under its registration: it is a new facility, or a listed one
 * registered again under a new code (the old code closed). Either way, pairing it with a listed
 * record by name alone would tie the old record to the new registration without anyone deciding,
 * so such a pick is never automatic: it goes to review, with this reason. On the Kenya training
 * lists 1 of 4,897 true pairs has a registry record registered after the 2014 list's date, and
 * most false automatches on unseen counties do (recoded facilities with the same name).
 *
 * Off unless the list's date is given (a live list is as of now) and the registry record says when
 * it was registered. An identifier agreement in the same namespace outranks it (the same code is
 * the same registration).
 */
export function registeredAfterList(asOfMs: number | undefined, registry: PreparedRecord): boolean {
  return asOfMs !== undefined && registry.registeredMs !== undefined && registry.registeredMs > asOfMs;
}

/** The list's date as epoch ms: the end of that day when only a date is given (registered that day is not after). */
export function listAsOfMs(asOf: string | undefined): number | undefined {
  if (!asOf) return undefined;
  const ms = Date.parse(asOf);
  if (!Number.isFinite(ms)) throw new RangeError(`list date ${asOf} is not an ISO date or instant`);
  return /^\d{4}-\d{2}-\d{2}$/.test(asOf.trim()) ? ms + 86_400_000 - 1 : ms;
}

export function registeredAfterReason(asOfMs: number, registry: PreparedRecord): ScoreReason {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    field: 'registered',
    weight: 0,
    detail:
      `registry record registered ${day(registry.registeredMs!)}, after the list was taken (${day(asOfMs)}): ` +
      'a new registration, possibly this facility registered again under a new code; never automatic',
  };
}
