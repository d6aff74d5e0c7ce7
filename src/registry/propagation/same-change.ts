import { isDeepStrictEqual } from 'node:util';
import type { Facility } from '../../domain/facility.js';
import type { RegistryRecord } from '../mfr/types.js';

/**
 * One change reaching the mediator twice under two versions: pushed without the registry's own
 * version (a content hash) and pulled with it, or the other way round. The systems already have
 * it, so the second version needs no write. Compared on what propagation writes: the version
 * reference, the change instant and the area names the client adds are left out.
 */
export function sameChange(before: RegistryRecord | undefined, after: RegistryRecord): boolean {
  if (!before?.facility || !after.facility || before.version === after.version) return false;
  if (!before.unstamped && !after.unstamped) return false;
  return sameFacility(before.facility, after.facility);
}

/** Two versions of a facility that propagation would write alike. */
export function sameFacility(a: Facility, b: Facility): boolean {
  return isDeepStrictEqual(written(a), written(b));
}

/** The fields (name, status, position, partOf …) in which two versions of a facility differ. */
export function differingFields(a: Facility, b: Facility): string[] {
  const x = written(a) as Record<string, unknown>;
  const y = written(b) as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => !isDeepStrictEqual(x[k], y[k])).sort();
}

function written(f: Facility): unknown {
  const { source: _source, areaPath: _areaPath, lastUpdated: _lastUpdated, ...rest } = f;
  // as stored: a key set to undefined and a missing key are one and the same
  return JSON.parse(JSON.stringify(rest));
}
