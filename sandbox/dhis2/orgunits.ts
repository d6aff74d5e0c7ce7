import { type Dhis2State, type OrgUnit } from './state.js';
import { wallTime } from './server-zone.js';
import { SandboxError, objectReport, webMessage, type ErrorReport } from './webmessage.js';

/**
 * Org unit create and update with DHIS2's validation (dhis2-core `OrganisationUnit.hbm.xml`,
 * `feedback/ErrorCode.java`): name, shortName and openingDate required (E4000), lengths (E4001),
 * a UID a client supplies must be valid (E4014) and unused, a unique code (E5003), a parent that
 * exists (E5002). Errors are a 409 WebMessage around an ObjectReport; success a 201 (create) or
 * 200 (update) ObjectReport.
 */
type Json = Record<string, any>;
const KLASS = 'org.hisp.dhis.organisationunit.OrganisationUnit';
const UID = /^[a-zA-Z][a-zA-Z0-9]{10}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/;

function newUid(state: Dhis2State): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const all = `0123456789${letters}`;
  for (;;) {
    let id = letters[Math.floor(Math.random() * letters.length)];
    for (let i = 0; i < 10; i++) id += all[Math.floor(Math.random() * all.length)];
    if (!state.orgUnits.has(id)) return id;
  }
}

const toTimestamp = (d: string) => (d.includes('T') ? d : `${d}T00:00:00.000`);

/** An org unit's created/lastUpdated: wall time in the server's zone, as DHIS2 keeps every timestamp. */
const stamp = (state: Dhis2State) => wallTime(new Date(), state.timeZone);

function validate(state: Dhis2State, body: Json, id: string, self?: OrgUnit): ErrorReport[] {
  const errors: ErrorReport[] = [];
  const err = (errorCode: string, message: string, errorProperty?: string, value?: string) =>
    errors.push({
      message,
      mainKlass: KLASS,
      errorCode,
      errorProperty,
      errorProperties: errorProperty ? [errorProperty] : [],
      value,
    });
  for (const p of ['name', 'shortName', 'openingDate']) {
    if (typeof body[p] !== 'string' || !body[p].trim()) err('E4000', `Missing required property \`${p}\`.`, p);
  }
  if (typeof body.name === 'string' && body.name.length > 230)
    err('E4001', `Maximum length of property \`name\`is 230, but given length was ${body.name.length}.`, 'name');
  if (typeof body.shortName === 'string' && body.shortName.length > 50)
    err(
      'E4001',
      `Maximum length of property \`shortName\`is 50, but given length was ${body.shortName.length}.`,
      'shortName',
    );
  if (body.code !== undefined && body.code !== null && String(body.code).length > 50)
    err('E4001', `Maximum length of property \`code\`is 50, but given length was ${String(body.code).length}.`, 'code');
  for (const p of ['openingDate', 'closedDate']) {
    if (body[p] !== undefined && body[p] !== null && (typeof body[p] !== 'string' || !DATE.test(body[p])))
      err('E4000', `Property \`${p}\` is not a valid date: ${String(body[p])}.`, p);
  }
  if (!UID.test(id)) err('E4014', `Invalid UID \`${id}\` for property \`OrganisationUnit\``, 'id', id);
  if (body.code) {
    const other = state.orgUnitByCode(String(body.code));
    if (other && other.id !== id)
      err(
        'E5003',
        `Property \`code\` with value \`${body.code}\` on object ${body.name} [${id}] (OrganisationUnit) already exists on object ${other.id}.`,
        'code',
        String(body.code),
      );
  }
  const parentId = body.parent?.id;
  if (parentId !== undefined && parentId !== null) {
    if (!state.orgUnits.has(String(parentId)))
      err(
        'E5002',
        `Invalid reference [${parentId}] (OrganisationUnit) on object ${body.name} [${id}] (OrganisationUnit) for association \`parent\`.`,
        'parent',
        String(parentId),
      );
    else if (
      self &&
      (parentId === self.id || state.ancestorsOf(state.orgUnits.get(String(parentId))!).some((a) => a.id === self.id))
    )
      err('E5002', 'An organisation unit cannot be its own ancestor.', 'parent');
  } else if (state.orgUnits.size && !self?.parentId && self === undefined) {
    // DHIS2 allows a second root, but the hierarchy a mediator writes into always has a parent
    err('E4000', 'Missing required property `parent`.', 'parent');
  }
  const g = body.geometry;
  if (
    g !== undefined &&
    g !== null &&
    (typeof g !== 'object' || typeof g.type !== 'string' || !Array.isArray(g.coordinates))
  )
    err('E4000', 'Property `geometry` is not valid GeoJSON.', 'geometry');
  if (
    g?.type === 'Point' &&
    (!Number.isFinite(g.coordinates[0]) ||
      !Number.isFinite(g.coordinates[1]) ||
      Math.abs(g.coordinates[0]) > 180 ||
      Math.abs(g.coordinates[1]) > 90)
  ) {
    err('E4000', 'Property `geometry` is not a valid point [longitude, latitude].', 'geometry');
  }
  return errors;
}

function refused(id: string, errors: ErrorReport[]): SandboxError {
  return new SandboxError(
    409,
    webMessage(409, 'ERROR', 'One or more errors occurred, please see full details in import report.', {
      response: objectReport(KLASS, id, errors),
    }),
  );
}

function geometryFrom(state: Dhis2State, body: Json): OrgUnit['geometry'] {
  if (body.geometry) return body.geometry;
  // servers before 2.32 took featureType + a coordinates string
  if (state.major() < 32 && typeof body.coordinates === 'string') {
    try {
      return { type: 'Point', coordinates: JSON.parse(body.coordinates) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function createOrgUnit(state: Dhis2State, body: Json): Json {
  if (!body || typeof body !== 'object')
    throw refused('', [{ message: 'Request body is not an object', mainKlass: KLASS, errorCode: 'E4000' }]);
  const id = body.id === undefined ? newUid(state) : String(body.id);
  const errors = validate(state, body, id);
  if (state.orgUnits.has(id))
    errors.push({
      message: `Property \`uid\` with value \`${id}\` on object ${body.name} [${id}] (OrganisationUnit) already exists on object ${id}.`,
      mainKlass: KLASS,
      errorCode: 'E5003',
      errorProperty: 'uid',
      errorProperties: ['uid'],
      value: id,
    });
  if (errors.length) throw refused(id, errors);
  const now = stamp(state);
  state.orgUnits.set(id, {
    id,
    code: body.code ?? undefined,
    name: body.name,
    shortName: body.shortName,
    parentId: body.parent?.id ?? undefined,
    openingDate: toTimestamp(body.openingDate),
    closedDate: body.closedDate ? toTimestamp(body.closedDate) : undefined,
    geometry: geometryFrom(state, body),
    description: body.description ?? undefined,
    created: now,
    lastUpdated: now,
  });
  return webMessage(201, 'OK', undefined, { response: objectReport(KLASS, id) });
}

/** PUT replaces the object: what the body leaves out is cleared (except the identity and creation stamp). */
export function replaceOrgUnit(state: Dhis2State, id: string, body: Json): Json {
  const self = state.orgUnits.get(id);
  if (!self)
    throw new SandboxError(404, webMessage(404, 'ERROR', `OrganisationUnit with id ${id} could not be found.`));
  if (!body || typeof body !== 'object')
    throw refused(id, [{ message: 'Request body is not an object', mainKlass: KLASS, errorCode: 'E4000' }]);
  const errors = validate(state, { parent: self.parentId ? { id: self.parentId } : undefined, ...body }, id, self);
  if (errors.length) throw refused(id, errors);
  state.orgUnits.set(id, {
    ...self,
    code: body.code ?? undefined,
    name: body.name,
    shortName: body.shortName,
    parentId: body.parent?.id ?? self.parentId,
    openingDate: toTimestamp(body.openingDate),
    closedDate: body.closedDate ? toTimestamp(body.closedDate) : undefined,
    geometry: geometryFrom(state, body),
    description: body.description ?? undefined,
    lastUpdated: stamp(state),
  });
  return webMessage(200, 'OK', undefined, { response: objectReport(KLASS, id) });
}
