/**
 * DHIS2's "not there, not you" refusals of tracker events, in the operator's words: the org unit
 * is not assigned to the program (E1029), is outside the mediator user's data capture org units
 * (E1000), or does not exist (E1011). None is the event's fault and none passes by itself: a
 * retry gets the same refusal until a DHIS2 administrator changes the program or the user, so
 * the write is refused (no blind retries) with what to change, and an operator retries the job
 * after. DHIS2's own words for E1000 name the user (its UID): they are not passed on, the words
 * here name the org unit and program only (dhis2-core ValidationCode, tags 2.38.0–2.43.1;
 * MessageFormatter renders the user by UID, the org unit and program by their identifiers).
 */
export interface TrackerPlace {
  /** The org unit the events were written at: its UID, and its code when known. */
  orgUnit: { id: string; code?: string };
  /** The program the events belong to. */
  program: string;
}

const RETRY = 'then retry the job';

/** A UID DHIS2's message quotes after `label`, e.g. OrganisationUnit: `DiszpKrYNg8`. */
function quoted(message: string, label: string): string | undefined {
  return new RegExp(`${label}: \`([^\`]+)\``).exec(message)?.[1];
}

/** The org unit by code and UID when it is the one written at, else as DHIS2 named it. */
function orgUnitName(uid: string | undefined, place: TrackerPlace): string {
  if (!uid || uid === place.orgUnit.id)
    return place.orgUnit.code ? `${place.orgUnit.code} (${place.orgUnit.id})` : place.orgUnit.id;
  return uid;
}

/** The refusal in operator words with DHIS2's code, or undefined when it is about something else. */
export function trackerRefusalWords(
  e: { errorCode?: string; message: string },
  place: TrackerPlace,
): string | undefined {
  const ou = orgUnitName(quoted(e.message, 'OrganisationUnit'), place);
  switch (e.errorCode) {
    case 'E1000':
      return `no access: org unit ${ou} is outside the DHIS2 user's data capture org units; a DHIS2 administrator adds it (or a parent) to the mediator user's data capture org units, ${RETRY} (DHIS2 E1000)`;
    case 'E1029': {
      const program = quoted(e.message, 'Program') ?? place.program;
      return `not assigned: org unit ${ou} is not assigned to program ${program}; a DHIS2 administrator assigns the org unit to the program (Maintenance, the program's organisation units), ${RETRY} (DHIS2 E1029)`;
    }
    case 'E1011':
      return `unknown org unit: DHIS2 has no org unit ${ou}; the facility's mapping to DHIS2 is corrected (or the org unit restored), ${RETRY} (DHIS2 E1011)`;
    default:
      return undefined;
  }
}
