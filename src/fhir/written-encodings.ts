import { adapters } from './adapters.js';
import type { Json } from './codecs/common.js';
import type { FhirVersion } from './versions.js';

/** The resources a written value is answered as (an adapter's encode, for one FHIR version). */
export type EncodeWritten = (type: string, value: unknown) => Json[];

/** Encodes afresh on every call: a write answered by one entry. */
export function encodeWritten(version: FhirVersion): EncodeWritten {
  return (type, value) => adapters[type as keyof typeof adapters].encode(version, value);
}

/**
 * Encodes each written value once for every entry answered from it: a transaction's order of
 * three SupplyRequest lines is one write, and each line's entry picks its own resource out of
 * the order's encoding, which encoded (and hashed for its versionId) all three lines again per
 * entry: 9 encodings for 3 answers (issue 18, session 40). Keyed by the value itself, which
 * nothing changes once written; for one answer (a Bundle's), so nothing outlives it.
 */
export function encodeWrittenOnce(version: FhirVersion): EncodeWritten {
  const encode = encodeWritten(version);
  const seen = new Map<string, Map<unknown, Json[]>>();
  return (type, value) => {
    let ofType = seen.get(type);
    if (!ofType) seen.set(type, (ofType = new Map()));
    let resources = ofType.get(value);
    if (!resources) ofType.set(value, (resources = encode(type, value)));
    return resources;
  };
}
