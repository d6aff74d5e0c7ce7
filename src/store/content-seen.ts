import type { SeenVersion } from './types.js';

/** At most this many ids in one query (SQLite's default limit on bound parameters is 32,766). */
const CHUNK = 500;

export const UPSERT_SEEN_SQL = `INSERT INTO content_seen (flow, fhir_id, version, seen_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (flow, fhir_id) DO UPDATE SET version = excluded.version, seen_at = excluded.seen_at
WHERE content_seen.version <> excluded.version`;

export interface SeenRow {
  fhir_id: string;
  version: string;
  seen_at: number | string;
}

/** What an engine provides: read the sightings of some ids, record new ones (one transaction). */
export interface SeenIo {
  select(flow: string, fhirIds: string[]): Promise<SeenRow[]>;
  upsert(flow: string, versions: SeenVersion[], now: number): Promise<void>;
  /**
   * upsert, then the kept sightings of those ids, as one operation: where an engine can (SQLite:
   * one synchronous write) a new version then costs one wait for the disk, not two.
   */
  upsertAndSelect?(flow: string, versions: SeenVersion[], now: number): Promise<SeenRow[]>;
}

/**
 * Store.firstSeen on either engine: read the sightings; record only versions not seen before (a
 * search that changes nothing writes nothing, so no fsync per read); then read those again, so
 * two instances that saw a change at once both answer with the sighting that was kept.
 */
export async function firstSeen(
  io: SeenIo,
  flow: string,
  versions: SeenVersion[],
  now: number,
): Promise<Map<string, number>> {
  const stored = await sightings(
    io,
    flow,
    versions.map((v) => v.fhirId),
  );
  const fresh = versions.filter((v) => stored.get(v.fhirId)?.version !== v.version);
  if (fresh.length && io.upsertAndSelect) {
    for (const r of await io.upsertAndSelect(flow, fresh, now))
      stored.set(r.fhir_id, { version: r.version, seenAt: Number(r.seen_at) });
  } else if (fresh.length) {
    await io.upsert(flow, fresh, now);
    for (const [id, seen] of await sightings(
      io,
      flow,
      fresh.map((v) => v.fhirId),
    ))
      stored.set(id, seen);
  }
  return new Map([...stored].map(([id, seen]) => [id, seen.seenAt]));
}

async function sightings(
  io: SeenIo,
  flow: string,
  ids: string[],
): Promise<Map<string, { version: string; seenAt: number }>> {
  const out = new Map<string, { version: string; seenAt: number }>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    for (const r of await io.select(flow, ids.slice(i, i + CHUNK)))
      out.set(r.fhir_id, { version: r.version, seenAt: Number(r.seen_at) });
  }
  return out;
}
