import type { FastifyInstance } from 'fastify';
import type { Dhis2State, OrgUnit } from './state.js';
import type { SeedUser } from './seed.js';

/**
 * Who may write a tracker event where, as DHIS2's tracker import checks it (dhis2-core
 * `tracker/imports/validation/validator/event/`, tags 2.38.0–2.43.1 and main):
 * - E1029: the event's org unit is not one of the program's (DataRelationsValidator
 *   `validateProgramHasOrgUnit`);
 * - E1000: the org unit is outside the importing user's data capture org units and their
 *   descendants (SecurityOwnershipValidator `checkEventOrgUnitWriteAccess` for an event
 *   program, or a new event of a tracker program; `checkOrgUnitInCaptureScope` when an event of a
 *   tracker program moves to another org unit). A superuser is not exempt: the check is the org
 *   unit path against the user's;
 * - E1091, E1095, E1096, E1104, E1102: the same validator's sharing and ownership checks, on every
 *   create and update (sharingRefusals below);
 * - E1099: no data write sharing of a category option of the event's attribute option combo
 *   (`checkWriteCategoryOptionComboAccess`, last of the validator's checks); an event sent without
 *   one has the program's default combo, whose one option is DHIS2's `default` (xYerKDKCefk).
 * The event validators run in sequence (EventValidator `seq`): the first that refuses an event
 * ends its checks, so after E1029 nothing else, and no data value errors after any of these; the
 * security validator's own errors are all reported (a Set, in no set order; here in check order).
 * The user is named by its UID (MessageFormatter), the org unit, program, stage, tracked entity
 * and its type by their UIDs.
 * Words by version: "…, has no write access…" / "…, and Program…, don't match." up to 2.42.0;
 * without the commas and "do not match" from 2.42.1; "no capture scope access" from 2.43.0.
 */
type Json = Record<string, any>;

export interface EventTarget {
  program: string;
  /** The event's program stage (E1095 is about its sharing). */
  stage: string;
  orgUnit: string;
  /** A tracker program (with registration), not an event program. */
  tracker: boolean;
  existing?: { orgUnit: string };
  /** A tracker program's event: the tracked entity it is of, and its type (ownership, E1102/E1104). */
  trackedEntity?: { uid: string; orgUnit: string; type: string };
  /** The category options of the event's attribute option combo (E1099); default: DHIS2's `default` option. */
  categoryOptions?: string[];
}

/** DHIS2's `default` category option (of the default category combo, every instance the same UID). */
export const DEFAULT_CATEGORY_OPTION = 'xYerKDKCefk';

/** A program's access level (Maintenance → Program → Access): whose scope reaches its tracked entities. */
export type AccessLevel = 'OPEN' | 'AUDITED' | 'PROTECTED' | 'CLOSED';
export const ACCESS_LEVELS: AccessLevel[] = ['OPEN', 'AUDITED', 'PROTECTED', 'CLOSED'];

/** A user's data sharing of a program, program stage or tracked entity type: read and write, read only, none. */
export type DataAccess = 'rw' | 'r' | 'none';
export const DATA_ACCESS: DataAccess[] = ['rw', 'r', 'none'];

export interface ProgramAssignments {
  programOrgUnits: Map<string, Set<string>>;
  /** By program; a program not listed is OPEN, DHIS2's default. */
  programAccessLevels: Map<string, AccessLevel>;
  /** By metadata UID (program, stage, tracked entity type, category option), then username; not listed: rw, as the seed shares them. */
  dataSharing: Map<string, Map<string, DataAccess>>;
  /** `trackedEntity|program` → the owning org unit's UID; not listed: the org unit the entity was enrolled at. */
  owners: Map<string, string>;
}

export interface Refusal {
  errorCode: string;
  message: string;
}

/** `2.42.1` → [2, 42, 1]. */
function versionParts(version: string): number[] {
  return version.split('.').map((p) => Number.parseInt(p, 10) || 0);
}

function atLeast(version: string, min: number[]): boolean {
  const v = versionParts(version);
  for (let i = 0; i < min.length; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  return true;
}

function e1029(version: string, orgUnit: string, program: string): string {
  return atLeast(version, [2, 42, 1])
    ? `Event OrganisationUnit: \`${orgUnit}\` and Program: \`${program}\`, do not match.`
    : `Event OrganisationUnit: \`${orgUnit}\`, and Program: \`${program}\`, don't match.`;
}

function e1000(version: string, user: string, orgUnit: string): string {
  if (atLeast(version, [2, 43]))
    return `User: \`${user}\` has no capture scope access to OrganisationUnit: \`${orgUnit}\`.`;
  return atLeast(version, [2, 42, 1])
    ? `User: \`${user}\` has no write access to OrganisationUnit: \`${orgUnit}\`.`
    : `User: \`${user}\`, has no write access to OrganisationUnit: \`${orgUnit}\`.`;
}

/**
 * The sharing and ownership refusals' words (ValidationCode E1091, E1095, E1096, E1099, E1102, E1104):
 * up to 2.42.0 with a comma after the user (and E1102 "the tracked entity: …, Program: …,
 * combination.", E1104 "program:"), from 2.42.1 without, as E1000's.
 */
function sharingWords(version: string, code: string, user: string, args: string[]): string {
  const old = !atLeast(version, [2, 42, 1]);
  const who = old ? `User: \`${user}\`,` : `User: \`${user}\``;
  switch (code) {
    case 'E1091':
      return `${who} has no data write access to Program: \`${args[0]}\`.`;
    case 'E1095':
      return `${who} has no data write access to ProgramStage: \`${args[0]}\`.`;
    case 'E1096':
      return `${who} has no data read access to Program: \`${args[0]}\`.`;
    case 'E1099':
      return `${who} has no write access to CategoryOption: \`${args[0]}\`.`;
    case 'E1104':
      return `${who} has no data read access to ${old ? 'program' : 'Program'}: \`${args[0]}\`, TrackedEntityType: \`${args[1]}\`.`;
    default:
      return old
        ? `${who} does not have access to the tracked entity: \`${args[0]}\`, Program: \`${args[1]}\`, combination.`
        : `${who} does not have access to the TrackedEntity: \`${args[0]}\` and Program: \`${args[1]}\`.`;
  }
}

/** Whether a user may capture data for the org unit: it or one of its ancestors is one of the user's. */
function inScope(state: Dhis2State, units: string[], ou: OrgUnit): boolean {
  const mine = new Set(units.map((code) => state.orgUnitByCode(code)?.id ?? code));
  return mine.has(ou.id) || state.ancestorsOf(ou).some((a) => mine.has(a.id));
}

/** Capture scope on create (any program) or a move (a tracker program's event); an event program's every write. */
function capturesChecked(target: EventTarget): boolean {
  return !target.tracker || !target.existing || target.existing.orgUnit !== target.orgUnit;
}

function dataAccess(model: ProgramAssignments, uid: string, user: SeedUser): DataAccess {
  return model.dataSharing.get(uid)?.get(user.username) ?? 'rw';
}

/**
 * Ownership (TrackerOwnershipManager.hasAccess): an OPEN or AUDITED program's tracked entity is the
 * user's when its owner is in the user's effective search scope (search and capture org units);
 * a PROTECTED or CLOSED one's only in the capture scope (temporary access is not simulated).
 */
function ownsReach(state: Dhis2State, model: ProgramAssignments, target: EventTarget, user: SeedUser): boolean {
  const te = target.trackedEntity!;
  const owner = state.orgUnits.get(model.owners.get(`${te.uid}|${target.program}`) ?? te.orgUnit);
  if (!owner) return true;
  const level = model.programAccessLevels.get(target.program) ?? 'OPEN';
  const scope =
    level === 'OPEN' || level === 'AUDITED'
      ? [...user.captureOrgUnits, ...(user.searchOrgUnits ?? [])]
      : user.captureOrgUnits;
  return inScope(state, scope, owner);
}

/**
 * What SecurityOwnershipValidator refuses of a user's event beyond its org unit (2.38–2.42; in
 * 2.43 SecuritySingleEventValidator / SecurityTrackerEventValidator, the same checks): an event
 * program's data write sharing (E1091); a tracker program's stage data write (E1095), program
 * data read (E1096), tracked entity type data read (E1104) and the tracked entity's owner
 * (E1102); then either's attribute option combo's category options, data write (E1099). A
 * superuser passes them all (AclService, canSkipOwnershipCheck); E1000 it does not.
 */
function sharingRefusals(state: Dhis2State, model: ProgramAssignments, target: EventTarget, user: SeedUser): Refusal[] {
  if (user.superuser) return [];
  const uid = state.userUid(user);
  const refuse = (code: string, ...args: string[]) => ({
    errorCode: code,
    message: sharingWords(state.version, code, uid, args),
  });
  const out: Refusal[] = [];
  if (!target.tracker) {
    if (dataAccess(model, target.program, user) !== 'rw') out.push(refuse('E1091', target.program));
  } else {
    if (dataAccess(model, target.stage, user) !== 'rw') out.push(refuse('E1095', target.stage));
    if (dataAccess(model, target.program, user) === 'none') out.push(refuse('E1096', target.program));
    const te = target.trackedEntity;
    if (te && dataAccess(model, te.type, user) === 'none') out.push(refuse('E1104', target.program, te.type));
    if (te && !ownsReach(state, model, target, user)) out.push(refuse('E1102', te.uid, target.program));
  }
  for (const option of target.categoryOptions ?? [DEFAULT_CATEGORY_OPTION])
    if (dataAccess(model, option, user) !== 'rw') out.push(refuse('E1099', option));
  return out;
}

/**
 * The refusals of an event the user may not write there (none: it may). The org unit exists (E1011
 * comes first). E1029 is DataRelationsValidator's, and ends the event's checks (seq); the others
 * are one validator's, reported together (a Set: E1000 once although two checks may find it).
 */
export function accessRefusals(
  state: Dhis2State,
  assignments: ProgramAssignments,
  target: EventTarget,
  username: string | undefined,
): Refusal[] {
  const ou = state.orgUnits.get(target.orgUnit);
  if (!ou) return [];
  const assigned = assignments.programOrgUnits.get(target.program);
  if (assigned && !assigned.has(ou.id))
    return [{ errorCode: 'E1029', message: e1029(state.version, ou.id, target.program) }];
  const user = username ? state.userNamed(username) : undefined;
  if (!user) return [];
  const out: Refusal[] = [];
  if (capturesChecked(target) && !state.inCaptureHierarchy(user, ou))
    out.push({ errorCode: 'E1000', message: e1000(state.version, state.userUid(user), ou.id) });
  return [...out, ...sharingRefusals(state, assignments, target, user)];
}

/** `{username: 'rw' | 'r' | 'none' | null}` into the object's sharing (null: back to the seed's rw); an error, or undefined. */
function applySharing(model: ProgramAssignments, uid: string, body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return `dataAccess: {username: ${DATA_ACCESS.join(' | ')} | null}`;
  const entries = Object.entries(body as Json);
  const bad = entries.filter(([, v]) => v !== null && !DATA_ACCESS.includes(v));
  if (bad.length) return `dataAccess: ${bad.map(([u]) => u).join(', ')}: one of ${DATA_ACCESS.join(', ')}, or null`;
  const users = model.dataSharing.get(uid) ?? new Map<string, DataAccess>();
  for (const [username, access] of entries) {
    if (access === null) users.delete(username);
    else users.set(username, access as DataAccess);
  }
  model.dataSharing.set(uid, users);
  return undefined;
}

const sharingOf = (model: ProgramAssignments, uid: string) => Object.fromEntries(model.dataSharing.get(uid) ?? []);

/**
 * Control API (no auth), what a DHIS2 administrator does in Maintenance:
 * - `PATCH /_sandbox/programs/:id {orgUnits?, accessLevel?, dataAccess?}`: assigns the program to
 *   these org units (codes or UIDs) only (`orgUnits: null`: to every org unit again); its access
 *   level (OPEN, AUDITED, PROTECTED, CLOSED); users' data sharing of it (`{mediator: 'r'}`);
 * - `PATCH /_sandbox/programStages/:id {dataAccess}`, `PATCH /_sandbox/trackedEntityTypes/:id
 *   {dataAccess}`, `PATCH /_sandbox/categoryOptions/:id {dataAccess}`: users' data sharing of a
 *   stage, of a tracked entity type, of a category option (`xYerKDKCefk`, the default one: E1099);
 * - `PATCH /_sandbox/trackedEntities/:id {program, owner}`: the entity's owner in the program (an
 *   org unit code or UID; null: where it was enrolled), as an ownership transfer leaves it.
 * The user's capture and search org units: `PATCH /_sandbox/users/:username` (entry-controls.ts).
 */
export function registerTrackerAccessControls(
  app: FastifyInstance,
  state: Dhis2State,
  assignments: ProgramAssignments,
): void {
  const orgUnitId = (k: unknown) => (state.orgUnitByCode(String(k)) ?? state.orgUnits.get(String(k)))?.id;
  app.patch<{ Params: { id: string } }>('/_sandbox/programs/:id', async (request, reply) => {
    const b = (request.body ?? {}) as Json;
    const program = request.params.id;
    if (b.orgUnits === undefined && b.accessLevel === undefined && b.dataAccess === undefined)
      return reply.code(400).send({ error: 'orgUnits, accessLevel or dataAccess' });
    if (b.orgUnits !== undefined && b.orgUnits !== null && !Array.isArray(b.orgUnits))
      return reply.code(400).send({ error: 'orgUnits: a list of codes or UIDs, or null for all' });
    if (b.accessLevel !== undefined && !ACCESS_LEVELS.includes(b.accessLevel))
      return reply.code(400).send({ error: `accessLevel: one of ${ACCESS_LEVELS.join(', ')}` });
    const ids = Array.isArray(b.orgUnits) ? (b.orgUnits as unknown[]).map(orgUnitId) : [];
    const unknown = Array.isArray(b.orgUnits) ? (b.orgUnits as unknown[]).filter((_k, i) => !ids[i]) : [];
    if (unknown.length) return reply.code(400).send({ error: `orgUnits: unknown ${unknown.join(', ')}` });
    if (b.dataAccess !== undefined) {
      const error = applySharing(assignments, program, b.dataAccess);
      if (error) return reply.code(400).send({ error });
    }
    if (b.orgUnits === null) assignments.programOrgUnits.delete(program);
    else if (Array.isArray(b.orgUnits)) assignments.programOrgUnits.set(program, new Set(ids as string[]));
    if (b.accessLevel !== undefined) assignments.programAccessLevels.set(program, b.accessLevel);
    const assigned = assignments.programOrgUnits.get(program);
    return {
      program,
      orgUnits: assigned ? [...assigned] : null,
      accessLevel: assignments.programAccessLevels.get(program) ?? 'OPEN',
      dataAccess: sharingOf(assignments, program),
    };
  });
  for (const kind of ['programStages', 'trackedEntityTypes', 'categoryOptions']) {
    app.patch<{ Params: { id: string } }>(`/_sandbox/${kind}/:id`, async (request, reply) => {
      const error = applySharing(assignments, request.params.id, ((request.body ?? {}) as Json).dataAccess);
      if (error) return reply.code(400).send({ error });
      return { id: request.params.id, dataAccess: sharingOf(assignments, request.params.id) };
    });
  }
  app.patch<{ Params: { id: string } }>('/_sandbox/trackedEntities/:id', async (request, reply) => {
    const b = (request.body ?? {}) as Json;
    if (typeof b.program !== 'string' || b.owner === undefined)
      return reply.code(400).send({ error: 'program (UID) and owner (org unit code or UID, or null)' });
    const key = `${request.params.id}|${b.program}`;
    if (b.owner === null) {
      assignments.owners.delete(key);
      return { trackedEntity: request.params.id, program: b.program, owner: null };
    }
    const owner = orgUnitId(b.owner);
    if (!owner) return reply.code(400).send({ error: `owner: unknown org unit ${b.owner}` });
    assignments.owners.set(key, owner);
    return { trackedEntity: request.params.id, program: b.program, owner };
  });
}
