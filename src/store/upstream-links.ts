import type { Migration } from './migrations.js';

/**
 * Links found from the upstream side: which FHIR ids a write gave to an upstream object. A search
 * answers with the objects a system lists, named by the ids the connector derives; the client's
 * own ids (an Android FHIR SDK's PUT under a UUID it chose) are in the links of the writes that
 * made or last changed the object, so a search finds them here, one query per page.
 */
export const UPSTREAM_LINKS_INDEX: Migration = {
  version: 13,
  name: 'resource_links by upstream object: the client ids a search gives back',
  sql: '',
  indexes: [{ name: 'resource_links_upstream', on: 'resource_links (flow, system, upstream_id)' }],
};

const COLUMNS = 'flow, fhir_id, system, upstream_id, job_id, system_of_record, updated_at';

/** The SQLite text per id count, made once: one string object, so the statement cache hashes it once. */
const sqliteTexts = new Map<number, string>();

/** SQLite: `?` placeholders, one per upstream id after flow and system; newest link first. */
export function sqliteLinksToUpstreamSql(count: number): string {
  let text = sqliteTexts.get(count);
  if (text === undefined) {
    const ids = Array.from({ length: count }, () => '?').join(', ');
    text = `SELECT ${COLUMNS} FROM resource_links WHERE flow = ? AND system = ? AND upstream_id IN (${ids}) AND job_id IS NOT NULL ORDER BY updated_at DESC`;
    sqliteTexts.set(count, text);
  }
  return text;
}

/** PostgreSQL: the upstream ids as one array parameter; newest link first. */
export const PG_LINKS_TO_UPSTREAM_SQL = `SELECT ${COLUMNS} FROM resource_links WHERE flow = $1 AND system = $2 AND upstream_id = ANY($3) AND job_id IS NOT NULL ORDER BY updated_at DESC`;
