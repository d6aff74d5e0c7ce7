import { MCSD_LOCATION_TYPES } from './conventions.js';
import type { Json } from './codecs/common.js';

/**
 * A `Location?type=` token, matched as FHIR says (search.html#token): `code` is that code in any
 * system, `system|code` that code in that system, against every coding of `Location.type`.
 *
 * The systems are asked by code only (facility types, DHIS2 levels, OpenMRS tags), and none keeps
 * the mCSD kind coding (`…IHE.mCSD.Organization.Location.Types#facility | #jurisdiction`) every
 * Location carries: the mediator adds it. Asked for `facility`, each system matched none of its
 * own types, and an mCSD client's `type=…Location.Types|facility` listed nothing; a `system|code`
 * of another system matched the code in any system. So the systems are asked only what narrows
 * (a code that is not a kind), and the edge checks the token exactly wherever a system could not.
 */
export interface TypeToken {
  system?: string;
  code: string;
}

const KIND_CODES = new Set(['facility', 'jurisdiction']);

/** Whether the token may name the mCSD kind coding, which no system can be asked for. */
export function mayNameKind(token: TypeToken): boolean {
  return token.system === MCSD_LOCATION_TYPES || (!token.system && KIND_CODES.has(token.code));
}

/**
 * Whether the edge must check the token: a system was not asked for it (a kind), or was asked
 * for its code alone (a system given). A bare code that is no kind is the systems' to match,
 * exactly (each connector compares the code as sent: FHIR token codes are case-sensitive).
 */
export function checkedAtTheEdge(token: TypeToken): boolean {
  return token.system !== undefined || mayNameKind(token);
}

/** Whether a Location carries a `type` coding the token names. */
export function hasTypeCoding(location: Json, token: TypeToken): boolean {
  const concepts = ([] as Json[]).concat(location.type ?? []);
  return concepts.some((concept) =>
    ([] as Json[])
      .concat(concept?.coding ?? [])
      .some((c) => c?.code === token.code && (!token.system || c?.system === token.system)),
  );
}
