/**
 * DHIS2's "not there, not you" refusals of tracker events, in the operator's words: the org unit
 * is not assigned to the program (E1029), is outside the mediator user's data capture org units
 * (E1000), or does not exist (E1011); the user lacks data sharing of the program (write E1091,
 * read E1096), of the stage (write E1095), of the tracked entity type (read E1104) or of a
 * category option of the events' attribute option combination (write E1099); or the
 * item's tracked entity is owned by an org unit outside the user's reach (E1102). None is the
 * event's fault and none passes by itself: a retry gets the same refusal until a DHIS2
 * administrator changes the program or the user, so the write is refused (no blind retries)
 * with what to change, and an operator retries the job after. DHIS2's own words name the user
 * (its UID): they are not passed on, the words here name the org unit, program, stage and item
 * only (dhis2-core ValidationCode and the event SecurityOwnershipValidator, tags 2.38.0–2.43.1;
 * MessageFormatter renders the user by UID, the rest by their identifiers).
 */
export interface TrackerPlace {
  /** The org unit the events were written at: its UID, and its code when known. */
  orgUnit: { id: string; code?: string };
  /** The program the events belong to. */
  program: string;
  /** The program stage they were written to. */
  stage?: string;
  /** Item codes by tracked entity UID, where the events are a tracker program's (E1102 names the entity). */
  items?: ReadonlyMap<string, string>;
}

const RETRY = 'then retry the job';

/** DHIS2's `default` category option (xYerKDKCefk in every instance): events sent without an attribute option combo have it. */
const DEFAULT_CATEGORY_OPTION = 'xYerKDKCefk';

/**
 * The refusals a DHIS2 administrator's change makes pass, the same events unchanged: the org
 * unit's assignment, the user's org units, its sharing, the item's ownership. A write refused so
 * is worth asking again after a while; one refused for its content (a value, an option) is not.
 */
export const ADMIN_FIXED_REFUSALS: ReadonlySet<string> = new Set([
  'E1000',
  'E1029',
  'E1091',
  'E1095',
  'E1096',
  'E1099',
  'E1102',
  'E1104',
]);

/**
 * DHIS2's code of a refusal an administrator fixes, read back from the words of this module (their
 * last `(DHIS2 Exxxx)`) in a refused job's issues, or undefined. Every issue must be one: a write
 * refused for anything else as well does not pass by the administrator's change alone.
 */
export function adminFixedRefusal(issues: readonly { diagnostics?: string }[]): string | undefined {
  const found = issues.map((i) => /\(DHIS2 (E\d{4})\)$/.exec(i.diagnostics ?? '')?.[1]);
  if (!found.length || !found.every((c) => c !== undefined && ADMIN_FIXED_REFUSALS.has(c))) return undefined;
  return found[0];
}

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

/** The tracked entity DHIS2 names, with its item code when the place knows it. */
function itemName(uid: string | undefined, place: TrackerPlace): string {
  if (!uid) return 'its tracked entity';
  const code = place.items?.get(uid);
  return code ? `item ${code} (tracked entity ${uid})` : `tracked entity ${uid}`;
}

/** What the user may not do, and where: program P (stage S) at org unit O. */
function programAt(program: string, ou: string, stage?: string): string {
  return `program ${program}${stage ? ` (stage ${stage})` : ''} at org unit ${ou}`;
}

/** The refusal in operator words with DHIS2's code, or undefined when it is about something else. */
export function trackerRefusalWords(
  e: { errorCode?: string; message: string },
  place: TrackerPlace,
): string | undefined {
  const ou = orgUnitName(quoted(e.message, 'OrganisationUnit'), place);
  const at = orgUnitName(undefined, place);
  const program = quoted(e.message, 'Program') ?? quoted(e.message, 'program') ?? place.program;
  switch (e.errorCode) {
    case 'E1000':
      return `no access: org unit ${ou} is outside the DHIS2 user's data capture org units; a DHIS2 administrator adds it (or a parent) to the mediator user's data capture org units, ${RETRY} (DHIS2 E1000)`;
    case 'E1029':
      return `not assigned: org unit ${ou} is not assigned to program ${program}; a DHIS2 administrator assigns the org unit to the program (Maintenance, the program's organisation units), ${RETRY} (DHIS2 E1029)`;
    case 'E1011':
      return `unknown org unit: DHIS2 has no org unit ${ou}; the facility's mapping to DHIS2 is corrected (or the org unit restored), ${RETRY} (DHIS2 E1011)`;
    case 'E1091':
      return `no data write access: the DHIS2 user may not write data of ${programAt(program, at, place.stage)}; a DHIS2 administrator gives the mediator user (or its user group) data write access in the program's sharing, ${RETRY} (DHIS2 E1091)`;
    case 'E1095': {
      const stage = quoted(e.message, 'ProgramStage') ?? place.stage;
      return `no data write access: the DHIS2 user may not write data of stage ${stage} of ${programAt(place.program, at)}; a DHIS2 administrator gives the mediator user (or its user group) data write access in the program stage's sharing, ${RETRY} (DHIS2 E1095)`;
    }
    case 'E1096':
      return `no data read access: the DHIS2 user may not read data of ${programAt(program, at, place.stage)}; a DHIS2 administrator gives the mediator user (or its user group) data read access in the program's sharing, ${RETRY} (DHIS2 E1096)`;
    case 'E1099': {
      const option = quoted(e.message, 'CategoryOption');
      return `no data write access: the DHIS2 user may not write data with category option ${option ?? '(of the events)'} of ${programAt(program, at, place.stage)} (the events' attribute option combination${option === DEFAULT_CATEGORY_OPTION ? ', the default one' : ''}); a DHIS2 administrator gives the mediator user (or its user group) data write access in the category option's sharing, ${RETRY} (DHIS2 E1099)`;
    }
    case 'E1104': {
      const type = quoted(e.message, 'TrackedEntityType');
      return `no data read access: the DHIS2 user may not read data of tracked entity type ${type ?? '(of the program)'} of ${programAt(program, at)}; a DHIS2 administrator gives the mediator user (or its user group) data read access in the tracked entity type's sharing, ${RETRY} (DHIS2 E1104)`;
    }
    case 'E1102': {
      const te = quoted(e.message, 'TrackedEntity') ?? quoted(e.message, 'the tracked entity');
      return `not the owner's: ${itemName(te, place)} is owned in ${programAt(program, at)} by an org unit outside the DHIS2 user's reach; a DHIS2 administrator adds the owning org unit (or a parent) to the mediator user's search org units (an open or audited program) or data capture org units (a protected or closed one), or transfers the ownership back to org unit ${at}, ${RETRY} (DHIS2 E1102)`;
    }
    default:
      return undefined;
  }
}
