import type { FastifyInstance } from 'fastify';
import type { Dhis2State } from './state.js';

/**
 * Who may write a tracker event where, as DHIS2's tracker import checks it (dhis2-core
 * `tracker/imports/validation/validator/event/`, tags 2.38.0–2.43.1 and main):
 * - E1029: the event's org unit is not one of the program's (DataRelationsValidator
 *   `validateProgramHasOrgUnit`);
 * - E1000: the org unit is outside the importing user's data capture org units and their
 *   descendants (SecurityOwnershipValidator `checkEventOrgUnitWriteAccess` for an event
 *   program, or a new event of a tracker program; `checkOrgUnitInCaptureScope` when an event of a
 *   tracker program moves to another org unit). A superuser is not exempt: the check is the org
 *   unit path against the user's.
 * The event validators run in sequence (EventValidator `seq`): the first that refuses an event
 * ends its checks, so an event has at most one of these and no data value errors after them.
 * The user is named by its UID (MessageFormatter), the org unit and program by their UIDs.
 * Words by version: "…, has no write access…" / "…, and Program…, don't match." up to 2.42.0;
 * without the commas and "do not match" from 2.42.1; "no capture scope access" from 2.43.0.
 */
type Json = Record<string, any>;

export interface EventTarget {
  program: string;
  orgUnit: string;
  /** A tracker program (with registration), not an event program. */
  tracker: boolean;
  existing?: { orgUnit: string };
}

export interface ProgramAssignments {
  programOrgUnits: Map<string, Set<string>>;
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

/** Whether the capture scope is checked: event programs always; tracker programs on create or a move. */
function capturesChecked(target: EventTarget): boolean {
  return !target.tracker || !target.existing || target.existing.orgUnit !== target.orgUnit;
}

/** The refusal of an event the user may not write there, or undefined. The org unit exists (E1011 comes first). */
export function accessRefusal(
  state: Dhis2State,
  assignments: ProgramAssignments,
  target: EventTarget,
  username: string | undefined,
): { errorCode: string; message: string } | undefined {
  const ou = state.orgUnits.get(target.orgUnit);
  if (!ou) return undefined;
  const assigned = assignments.programOrgUnits.get(target.program);
  if (assigned && !assigned.has(ou.id))
    return { errorCode: 'E1029', message: e1029(state.version, ou.id, target.program) };
  const user = username ? state.userNamed(username) : undefined;
  if (user && capturesChecked(target) && !state.inCaptureHierarchy(user, ou))
    return { errorCode: 'E1000', message: e1000(state.version, state.userUid(user), ou.id) };
  return undefined;
}

/**
 * Control API (no auth): `PATCH /_sandbox/programs/:id {orgUnits}` assigns the program to these
 * org units (codes or UIDs) only, what a DHIS2 administrator does in Maintenance; `orgUnits: null`
 * assigns it to every org unit again. The user's capture org units: `PATCH /_sandbox/users/:username`
 * (entry-controls.ts).
 */
export function registerTrackerAccessControls(
  app: FastifyInstance,
  state: Dhis2State,
  assignments: ProgramAssignments,
): void {
  app.patch<{ Params: { id: string } }>('/_sandbox/programs/:id', async (request, reply) => {
    const b = (request.body ?? {}) as Json;
    const program = request.params.id;
    if (b.orgUnits === null) {
      assignments.programOrgUnits.delete(program);
      return { program, orgUnits: null };
    }
    if (!Array.isArray(b.orgUnits))
      return reply.code(400).send({ error: 'orgUnits: a list of codes or UIDs, or null for all' });
    const ids = (b.orgUnits as unknown[]).map(
      (k) => (state.orgUnitByCode(String(k)) ?? state.orgUnits.get(String(k)))?.id,
    );
    const unknown = (b.orgUnits as unknown[]).filter((_k, i) => !ids[i]);
    if (unknown.length) return reply.code(400).send({ error: `orgUnits: unknown ${unknown.join(', ')}` });
    assignments.programOrgUnits.set(program, new Set(ids as string[]));
    return { program, orgUnits: [...assignments.programOrgUnits.get(program)!] };
  });
}
