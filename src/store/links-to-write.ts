import type { ResourceLink } from './types.js';
import { systemOfRecord } from './rows.js';

/**
 * The stored state of one link, as the upsert (UPSERT_LINK_SQL) compares it: one row of
 * STORED_LINK_SQL (PG_STORED_LINKS_SQL on PostgreSQL), or undefined when there is none.
 */
export type StoredLink = Readonly<Record<string, unknown>> | undefined;

/**
 * The columns of a link a putLinks may change, by its key (flow, FHIR id, system): what a read
 * looks up before it writes, so a link it has stored already costs no write.
 */
export const STORED_LINK_SQL =
  'SELECT upstream_id, job_id, system_of_record FROM resource_links WHERE flow = $1 AND fhir_id = $2 AND system = $3';

/** STORED_LINK_SQL for many keys at once (PostgreSQL): one round trip, with the key of each row. */
export const PG_STORED_LINKS_SQL = `SELECT l.flow, l.fhir_id, l.system, l.upstream_id, l.job_id, l.system_of_record
  FROM resource_links l
  JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(flow, fhir_id, system)
    ON l.flow = k.flow AND l.fhir_id = k.fhir_id AND l.system = k.system`;

export const linkKey = (flow: unknown, fhirId: unknown, system: unknown): string =>
  JSON.stringify([String(flow), String(fhirId), String(system)]);

/**
 * The links whose upsert would change what is stored: a new key, another upstream or job id (an
 * absent one keeps what is there, as the upsert's COALESCE does), or the system-of-record mark.
 *
 * A read by id or a search links what it lists on every call (routing/routed-flow.ts), nearly
 * always links stored by the call before; each write is a synced commit on SQLite. Leaving out
 * a link found as it would be written is safe without a lock: that upsert would have been a
 * no-op at the moment of the look-up, so the call is as if it ran then, and a writer that changes
 * the link after it (a takeover clearing its upstream id) comes later, as it could have before.
 * A link found missing or different is written by the same upsert as ever, so none is lost. Only
 * updated_at stays as it was: GET_LINK_SQL's tie-break between two systems' links of one FHIR id
 * then favours the last one changed rather than the last one re-read.
 */
export function linksToWrite(links: readonly ResourceLink[], stored: (l: ResourceLink) => StoredLink): ResourceLink[] {
  return links.filter((l) => {
    const row = stored(l);
    if (!row) return true;
    if (l.upstreamId != null && l.upstreamId !== row.upstream_id) return true;
    if (l.jobId != null && l.jobId !== row.job_id) return true;
    // a read's link keeps the stored mark (ResourceLink.fromRead): nothing to change there
    return !l.fromRead && systemOfRecord(l) !== Number(row.system_of_record);
  });
}
