import type { Facility } from '../../domain/facility.js';
import type { Identifier } from '../../domain/identifiers.js';
import { decodeLocation } from '../../fhir/codecs/location.js';
import { validateResource } from '../../fhir/validation/index.js';
import { malformedAnswer } from '../../upstream/errors.js';
import { REGISTRY, makeRegistryError } from './errors.js';
import { locationKind, serviceTypes } from './location-kind.js';
import type { RegistryRecord } from './types.js';

/**
 * A Bundle entry (search or history) → a RegistryRecord, through the FHIR Location codec
 * (fhir/codecs/location.ts) so the registry and our own FHIR surface read a Location the same way.
 * What the codec does not know about mCSD is settled here: the kind from either generation of
 * type codes, identifiers without a system are codes of the registry, and managingOrganization is
 * dropped (in mCSD it is the facility's own Organization half, not its operator).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON as the registry sent it, read defensively
type Json = Record<string, any>;

const ETAG_VERSION = /^(?:W\/)?"?([^"]+)"?$/;

/** `Location/12`, `…/fhir/Location/12`, `Location/12/_history/3` → `12`. */
export function locationIdOf(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = /(?:^|\/)Location\/([^/?#]+)/.exec(reference);
  return m?.[1];
}

function identifiers(list: unknown, registrySystem: string): Identifier[] {
  return (Array.isArray(list) ? list : [])
    .filter((i: Json) => i && i.value !== undefined && i.value !== '')
    .map((i: Json) => ({
      system: typeof i.system === 'string' && i.system ? i.system : registrySystem,
      value: String(i.value),
    }));
}

export function facilityOf(location: Json, registrySystem: string): Facility {
  const decoded = decodeLocation('r4', location);
  const { operator: _operator, types, partOf: _partOf, ...rest } = decoded;
  const kept = serviceTypes(types);
  const parent = locationIdOf(location.partOf?.reference);
  return {
    ...rest,
    kind: locationKind(location),
    identifiers: identifiers(location.identifier, registrySystem),
    ...(parent ? { partOf: parent } : {}),
    ...(kept ? { types: kept } : {}),
    source: { system: REGISTRY, id: String(location.id), version: versionOf(location) },
  };
}

function versionOf(location: Json): string | undefined {
  const v = location.meta?.versionId ?? location.meta?.lastUpdated;
  return v === undefined ? undefined : String(v);
}

function malformed(diagnostics: string) {
  return malformedAnswer(REGISTRY, diagnostics, makeRegistryError);
}

/**
 * A DELETE in a history answer that came without response.lastModified: its instant is known only
 * from its neighbours in the answer (feed.ts places it), its version only from its etag, if any.
 */
export interface UndatedDeletion {
  id: string;
  /** From response.etag, when the server gave one. */
  version?: string;
  undated: true;
}

export type HistoryEntry = RegistryRecord | UndatedDeletion;

export function isUndated(e: HistoryEntry): e is UndatedDeletion {
  return 'undated' in e;
}

/** One entry → a record, refusing a deletion with no instant (a search answer has no neighbours to place it). */
export function recordOf(entry: Json, registrySystem: string): RegistryRecord | undefined {
  const r = historyEntryOf(entry, registrySystem);
  if (r && isUndated(r))
    throw malformed(
      `history entry deleting Location/${r.id} has no response.lastModified: its place in time is unknown`,
    );
  return r;
}

/**
 * One entry → a record, or undefined for an entry that is not a Location (an included
 * Organization, an OperationOutcome of search mode `outcome`); a deletion without
 * response.lastModified is an UndatedDeletion.
 */
export function historyEntryOf(entry: Json, registrySystem: string): HistoryEntry | undefined {
  const resource = entry?.resource as Json | undefined;
  const method = entry?.request?.method;
  if (method === 'DELETE' || (!resource && entry?.request)) {
    const id = locationIdOf(entry.request?.url) ?? locationIdOf(entry.fullUrl);
    if (!id) return undefined; // a deletion of another resource type
    const etag = typeof entry.response?.etag === 'string' ? ETAG_VERSION.exec(entry.response.etag)?.[1] : undefined;
    const lastUpdated = entry.response?.lastModified;
    if (!lastUpdated) return { id, ...(etag ? { version: etag } : {}), undated: true };
    return { id, version: etag ?? String(lastUpdated), lastUpdated: String(lastUpdated) };
  }
  if (resource?.resourceType !== 'Location') return undefined;
  if (typeof resource.id !== 'string' || !resource.id) throw malformed('a Location entry has no id');
  const lastUpdated = resource.meta?.lastUpdated;
  if (typeof lastUpdated !== 'string' || Number.isNaN(Date.parse(lastUpdated)))
    throw malformed(
      `Location/${resource.id} has no valid meta.lastUpdated: changes cannot be followed without it (mCSD requires it)`,
    );
  const version = versionOf(resource)!;
  // the push feed refuses such a Location with a 400; a pulled one cannot be answered, so it is
  // kept out of every system and reported, while the feed moves on past it (a fix is a new version)
  const issues = validateResource('r4', resource, 'Location');
  if (issues.length)
    return { id: resource.id, version, lastUpdated, invalid: issues.map((i) => i.diagnostics).join('; ') };
  return { id: resource.id, version, lastUpdated, facility: facilityOf(resource, registrySystem) };
}
