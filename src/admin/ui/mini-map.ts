import type { GeoPoint } from '../../domain/facility.js';
import { html, type Html } from './html.js';

export interface MapPoint {
  label: string;
  position: GeoPoint;
  /** The record under review (drawn as a square) rather than a candidate (a circle). */
  record?: boolean;
}

const SIZE = 220;
const PAD = 24;

/**
 * A small inline SVG: the record and its candidates placed by latitude and longitude (equirect-
 * angular, scaled to fit, north up), with a scale bar. No tiles and no library: it works offline
 * and the points are what matters ("which candidate is the close one"). Undefined when fewer than
 * two points have a position.
 */
export function miniMap(points: MapPoint[]): Html | undefined {
  if (points.length < 2 || !points.some((p) => p.record)) return undefined;
  const meanLat = points.reduce((s, p) => s + p.position.latitude, 0) / points.length;
  const kx = Math.cos((meanLat * Math.PI) / 180) * 111.32; // km per degree of longitude here
  const ky = 110.57; // km per degree of latitude
  const xs = points.map((p) => p.position.longitude * kx);
  const ys = points.map((p) => p.position.latitude * ky);
  const spanKm = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 0.5);
  const scale = (SIZE - 2 * PAD) / spanKm;
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
  const at = (i: number) => ({ x: SIZE / 2 + (xs[i] - cx) * scale, y: SIZE / 2 - (ys[i] - cy) * scale });
  const bar = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500].find((km) => km * scale >= 40) ?? spanKm;
  const shapes = points.map((p, i) => {
    const { x, y } = at(i);
    return p.record
      ? html`<rect x="${(x - 6).toFixed(1)}" y="${(y - 6).toFixed(1)}" width="12" height="12" fill="#12263f"/><text x="${(x + 9).toFixed(1)}" y="${(y + 4).toFixed(1)}" font-size="12" fill="#1a1a1a">${p.label}</text>`
      : html`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="6" fill="#0b5394"/><text x="${(x + 9).toFixed(1)}" y="${(y + 4).toFixed(1)}" font-size="12" fill="#1a1a1a">${p.label}</text>`;
  });
  const description = points
    .map(
      (p) =>
        `${p.record ? 'record' : `candidate ${p.label}`} at ${p.position.latitude.toFixed(4)}, ${p.position.longitude.toFixed(4)}`,
    )
    .join('; ');
  return html`<figure class="minimap">
<svg viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}" role="img" aria-label="Map of the record (square) and its candidates (numbered circles): ${description}">
<rect x="0" y="0" width="${SIZE}" height="${SIZE}" fill="#f4f5f7" stroke="#c8ccd2"/>
${shapes}
<line x1="8" y1="${SIZE - 10}" x2="${(8 + bar * scale).toFixed(1)}" y2="${SIZE - 10}" stroke="#1a1a1a" stroke-width="2"/>
<text x="8" y="${SIZE - 14}" font-size="11" fill="#1a1a1a">${bar} km</text>
</svg>
<figcaption class="muted">Square: this record; circles: candidates by rank. North is up.</figcaption>
</figure>`;
}
