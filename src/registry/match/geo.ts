import { distance } from 'geokdbush';
import type { GeoPoint } from '../../domain/facility.js';

export type PositionDefect = 'invalid' | 'placeholder' | 'swapped';

export interface CleanPosition {
  position?: GeoPoint;
  /** Why a given position was set aside (then it counts as missing, never as evidence). */
  defect?: PositionDefect;
}

/** A coordinate shared by this many records of one list is a centroid placeholder, not a site. */
const PLACEHOLDER_REPEATS = 3;
/** Swap test: only positions this far from the lists' median are suspected… */
const SWAP_MIN_KM = 300;
/** …and only when swapping latitude/longitude brings them this much closer. */
const SWAP_GAIN = 4;

export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  return distance(a.longitude, a.latitude, b.longitude, b.latitude);
}

function isValid(p: GeoPoint | undefined): p is GeoPoint {
  return (
    !!p &&
    Number.isFinite(p.latitude) &&
    Number.isFinite(p.longitude) &&
    Math.abs(p.latitude) <= 90 &&
    Math.abs(p.longitude) <= 180 &&
    !(p.latitude === 0 && p.longitude === 0)
  );
}

function key(p: GeoPoint): string {
  return `${p.latitude.toFixed(5)},${p.longitude.toFixed(5)}`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The median point of all valid positions of both lists: where "most facilities" are. */
export function referencePoint(lists: (GeoPoint | undefined)[][]): GeoPoint | undefined {
  const valid = lists.flat().filter(isValid);
  if (valid.length === 0) return undefined;
  return { latitude: median(valid.map((p) => p.latitude)), longitude: median(valid.map((p) => p.longitude)) };
}

function looksSwapped(p: GeoPoint, ref: GeoPoint | undefined): boolean {
  const swapped = { latitude: p.longitude, longitude: p.latitude };
  if (Math.abs(p.latitude) > 90) return Math.abs(p.longitude) <= 90;
  if (!ref || !isValid(swapped)) return false;
  const direct = distanceKm(p, ref);
  return direct > SWAP_MIN_KM && distanceKm(swapped, ref) * SWAP_GAIN < direct;
}

/**
 * Positions of one list, cleaned: swapped latitude/longitude (judged against the reference point
 * of both lists), (0,0) and out-of-range values, and coordinates repeated across several records
 * (district centroids used as placeholders) all become missing. A wrong position is worse than
 * none: it would push true pairs apart and pull false ones together.
 */
export function cleanPositions(positions: (GeoPoint | undefined)[], ref: GeoPoint | undefined): CleanPosition[] {
  const repeats = new Map<string, number>();
  for (const p of positions) if (isValid(p)) repeats.set(key(p), (repeats.get(key(p)) ?? 0) + 1);
  return positions.map((p): CleanPosition => {
    if (!p) return {};
    if (looksSwapped(p, ref)) return { defect: 'swapped' };
    if (!isValid(p)) return { defect: 'invalid' };
    if ((repeats.get(key(p)) ?? 0) >= PLACEHOLDER_REPEATS) return { defect: 'placeholder' };
    return { position: p };
  });
}
