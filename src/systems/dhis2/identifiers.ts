import { createHash } from 'node:crypto';
import { NS } from '../../domain/namespace.js';

/**
 * DHIS2 identifiers. UIDs are 11 characters, a letter then ten letters or digits (dhis2-core
 * `dhis-api/.../common/CodeGenerator.java` UID_REGEXP); clients may choose them, which is what
 * makes a retried create find its first attempt. Identifier systems are those of the DHIS2 FHIR
 * IG (github.com/dhis2/dhis2-fhir-ig `input/fsh/profiles/metadata/d2OrganisationUnit.fsh`).
 */
export const DHIS2_SYSTEM = 'dhis2';
export const DHIS2_ID_SYSTEM = 'http://dhis2.org/identifiertypes#id';
export const DHIS2_CODE_SYSTEM = 'http://dhis2.org/identifiertypes#code';
/** Org unit levels as Location types, so routing rules can pick by level. */
export const ORG_UNIT_LEVEL_SYSTEM = `${NS}/CodeSystem/dhis2-orgunit-level`;

const UID = /^[a-zA-Z][a-zA-Z0-9]{10}$/;

export function isUid(value: string | undefined | null): value is string {
  return !!value && UID.test(value);
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = `0123456789${LETTERS}`;

/**
 * A UID derived from the parts that identify an object (a registry id, an event's business key):
 * the same parts always give the same UID, so a create retried after a lost answer names the
 * object its first attempt made. 62^10 × 52 values: collisions are not a practical concern.
 */
export function deterministicUid(...parts: string[]): string {
  const bytes = createHash('sha256')
    .update(['dhis2-uid', ...parts].join('\u001f'))
    .digest();
  let uid = LETTERS[bytes[0] % LETTERS.length];
  for (let i = 1; i < 11; i++) uid += ALNUM[bytes[i] % ALNUM.length];
  return uid;
}
