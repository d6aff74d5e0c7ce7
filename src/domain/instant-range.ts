/**
 * A span of time in plain instants, the neutral form of a date search. The FHIR edge turns a
 * prefixed date (`ge2024-01`, `ap2024-03-05`, `ne2024`) into ranges once, so connectors only ever
 * intersect and test instants; none of them needs to know FHIR's prefixes or precisions.
 */
export interface InstantRange {
  /** Inclusive lower bound (ISO 8601 instant, UTC); absent = open. */
  from?: string;
  /** Inclusive upper bound (ISO 8601 instant, UTC); absent = open. */
  to?: string;
  /** The value must fall outside this range (FHIR `ne`). */
  exclude?: boolean;
}

/** Whether an instant satisfies every range (all must hold, as repeated FHIR parameters AND). */
export function inRanges(instant: string | undefined | null, ranges: InstantRange[] | undefined): boolean {
  if (!ranges?.length) return true;
  if (!instant) return false;
  const t = Date.parse(instant);
  if (Number.isNaN(t)) return false;
  return ranges.every((r) => inRange(t, r) !== !!r.exclude);
}

function inRange(t: number, r: InstantRange): boolean {
  return (r.from === undefined || t >= Date.parse(r.from)) && (r.to === undefined || t <= Date.parse(r.to));
}

/**
 * The tightest single range every match lies in (exclusions ignored), for a connector to push
 * down to an upstream filter; it still tests each item with `inRanges` afterwards.
 */
export function narrowest(ranges: InstantRange[] | undefined): { from?: string; to?: string } {
  let from: number | undefined;
  let to: number | undefined;
  for (const r of ranges ?? []) {
    if (r.exclude) continue;
    if (r.from !== undefined) from = Math.max(from ?? -Infinity, Date.parse(r.from));
    if (r.to !== undefined) to = Math.min(to ?? Infinity, Date.parse(r.to));
  }
  return { from: iso(from), to: iso(to) };
}

function iso(t: number | undefined): string | undefined {
  return t === undefined ? undefined : new Date(t).toISOString();
}
