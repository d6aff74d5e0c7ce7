import type { Propagation, PropagationFilter, PropagationState, RegistryRecordRow } from './types.js';
import { json, num, toJson } from './rows.js';

/**
 * SQL and row mapping for the registry side of the store (migration v7), shared by both engines
 * ($n placeholders; SQLite swaps them for ?):
 *  - `cursors`: named high-water marks (the registry pull, the bridges), so a restart neither
 *    misses nor repeats what was read before;
 *  - `registry_records`: the last version of each registry Location the mediator has seen, kept to
 *    drop repeated pulls and to confirm a facility absent from a full read;
 *  - `propagations`: per registry facility and system, the latest change and where it stands.
 */

export const GET_CURSOR_SQL = 'SELECT value FROM cursors WHERE name = $1';
export const SET_CURSOR_SQL = `INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;

/**
 * A record is kept only when it is a new version no older than the kept one: a re-read page
 * (the cursor is inclusive) or an older version replayed from history changes nothing.
 */
export const PUT_REGISTRY_RECORD_SQL = `INSERT INTO registry_records (registry_id, version, changed_at, record, seen_at, unplanned)
  VALUES ($1, $2, $3, $4, $5, 1)
  ON CONFLICT (registry_id) DO UPDATE SET version = excluded.version, changed_at = excluded.changed_at,
    record = excluded.record, seen_at = excluded.seen_at, unplanned = 1
  WHERE registry_records.version <> excluded.version AND registry_records.changed_at <= excluded.changed_at
  RETURNING registry_id`;

/**
 * A record of the mediator's own (a `+parent` version) kept only over the version it was made
 * from: PUT_REGISTRY_RECORD_SQL takes a version as new as the kept one, and a registry push
 * without a date, kept meanwhile just after that version (changedAt + 1, as this one), would be
 * replaced by it and never written anywhere.
 */
export const PUT_REGISTRY_RECORD_OVER_SQL = `UPDATE registry_records
  SET version = $2, changed_at = $3, record = $4, seen_at = $5, unplanned = 1
  WHERE registry_id = $1 AND version = $6 AND changed_at <= $3
  RETURNING registry_id`;

export const GET_REGISTRY_RECORD_SQL = 'SELECT * FROM registry_records WHERE registry_id = $1';
export const LIST_REGISTRY_RECORDS_SQL = 'SELECT * FROM registry_records ORDER BY registry_id';

/**
 * A version kept is marked unplanned (v71: registry-unplanned.ts) until its plan for every system
 * is written; the mark is cleared for that version only (a newer one kept meanwhile keeps it).
 */
export const MARK_REGISTRY_RECORD_PLANNED_SQL = `UPDATE registry_records SET unplanned = 0
  WHERE registry_id = $1 AND version = $2 AND unplanned = 1`;
/** Versions still marked, a page in registry id order after $1 (the partial index's order). */
export const LIST_UNPLANNED_REGISTRY_RECORDS_SQL = `SELECT * FROM registry_records
  WHERE unplanned = 1 AND registry_id > $1 ORDER BY registry_id LIMIT $2`;

/**
 * A plan of a version delivered (done, refused) for one record, queued for another record the
 * facility is linked to now (relinked.ts): the outcome was that record's, not this one's. NULL
 * (not taken) when either record is unknown: a hold or a create planned over its outcome.
 */
const RELINKED_SQL = `(excluded.state = 'queued' AND excluded.system_id <> propagations.system_id)`;

/**
 * A version's plan replaces the row unless the registry record kept now is another version: the
 * plan of an older version made while a newer one was kept and planned (a push beside a pull, two
 * instances) would put the older version back over the newer one's row, and both their jobs would
 * then end superseded, the newer change written nowhere.
 *
 * Nor does a plan replace its own version's delivered outcome (done, failed): two paths may plan
 * one held row at once (its parent's arrival pushed and pulled, two instances), and the later one,
 * planned from the row as held, would put `queued` back over `done` with no system id; its job key
 * is taken, so nothing would ever settle the row again.
 */
export const PUT_PROPAGATION_SQL = `INSERT INTO propagations
  (registry_id, system, version, action, state, reason, system_id, unsupported, updated_at, revision)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
  ON CONFLICT (registry_id, system) DO UPDATE SET version = excluded.version, action = excluded.action,
    state = excluded.state, reason = excluded.reason, system_id = excluded.system_id,
    unsupported = excluded.unsupported, updated_at = excluded.updated_at, revision = propagations.revision + 1
  WHERE NOT EXISTS (SELECT 1 FROM registry_records r
    WHERE r.registry_id = excluded.registry_id AND r.version <> excluded.version)
  AND NOT (propagations.version = excluded.version AND propagations.state IN ('done', 'failed')
    AND excluded.state IN ('queued', 'held', 'skipped') AND NOT ${RELINKED_SQL})`;

/**
 * PUT_PROPAGATION_SQL written only over the row its plan read: the row still has revision $10
 * (propagation-revision.ts). A plan that read no row ($10 NULL) only inserts: a row there now was
 * written by another plan since.
 */
export const PUT_PROPAGATION_IF_SQL = `${PUT_PROPAGATION_SQL}
  AND propagations.revision = $10`;

/** PUT_PROPAGATION_IF_SQL's values: the row's, then the revision its plan read (null: none). */
export function propagationIfValues(p: Propagation, seen: number | null): unknown[] {
  return [...propagationValues(p), seen];
}

/** The outcome of delivering a version: written only while that version is still the latest. */
export const SETTLE_PROPAGATION_SQL = `UPDATE propagations SET state = $1, reason = $2, system_id = $3, unsupported = $4,
  updated_at = $5, revision = revision + 1 WHERE registry_id = $6 AND system = $7 AND version = $8`;

export function settlePropagationValues(p: Propagation): unknown[] {
  return [
    p.state,
    p.reason ?? null,
    p.systemId ?? null,
    toJson(p.unsupported),
    p.updatedAt,
    p.registryId,
    p.system,
    p.version,
  ];
}

export const GET_PROPAGATION_SQL = 'SELECT * FROM propagations WHERE registry_id = $1 AND system = $2';

/** The outbox key of one version's propagation to one system: it reaches that system once. */
export function propagationKey(registryId: string, version: string, system: string): string {
  return `propagate|${registryId}|${version}|${system}`;
}

/**
 * The key of a version's job for a record the facility is linked to anew, the version having been
 * delivered (done or refused) for another record under propagationKey: one key per record, so the
 * record gets the version once (registry/propagation/relinked.ts).
 */
export function relinkKey(registryId: string, version: string, system: string, systemId: string): string {
  return `${propagationKey(registryId, version, system)}|${systemId}`;
}

/** propagationKey of a `propagations p` row, in SQL (both engines concatenate with ||). */
const ROW_KEY_SQL = `'propagate|' || p.registry_id || '|' || p.version || '|' || p.system`;
/** relinkKey of the row's record, in SQL: NULL (no job) for a row without one. */
const ROW_RELINK_KEY_SQL = `${ROW_KEY_SQL} || '|' || p.system_id`;

/** The status of the job holding a row's key: the first not superseded, else the first (status.ts). */
const keyJobStatusSql = (notSuperseded: boolean, key = ROW_KEY_SQL) =>
  `(SELECT j.status FROM outbox_jobs j WHERE j.idempotency_key = ${key}` +
  `${notSuperseded ? ' AND j.superseded_by IS NULL' : ''} ORDER BY j.created_at, j.id LIMIT 1)`;

/**
 * A queued row whose key's outbox job gave up (dead) or was refused: operators are shown it
 * failed (registry/propagation/status.ts), so the counts and the `state` filter take it as failed
 * too, and `/admin/propagation` never counts as queued what its items list as failed. Asked only
 * of queued rows (the `propagations_state` index finds them): over every row, the two subqueries
 * made each count and state listing 10-30 times slower, and PostgreSQL JIT-compiled them. A row
 * queued for a record linked anew is asked of its relinkKey first, as status.ts asks it.
 */
const GAVE_UP_SQL = `COALESCE(${keyJobStatusSql(true, ROW_RELINK_KEY_SQL)}, ${keyJobStatusSql(false, ROW_RELINK_KEY_SQL)}, ${keyJobStatusSql(true)}, ${keyJobStatusSql(false)}, 'none') IN ('dead', 'rejected')`;

/** Counts by system and state from the rows; queued rows whose job gave up are moved to failed below. */
export const COUNT_PROPAGATIONS_SQL = 'SELECT system, state, COUNT(*) AS n FROM propagations GROUP BY system, state';

/** Per system, the queued rows whose job gave up. */
export const COUNT_GAVE_UP_SQL = `SELECT p.system AS system, COUNT(*) AS n FROM propagations p WHERE p.state = 'queued' AND ${GAVE_UP_SQL} GROUP BY p.system`;

export function registryRecordValues(r: RegistryRecordRow): unknown[] {
  return [r.registryId, r.version, r.changedAt, toJson(r.record), r.seenAt];
}

export function registryRecordFromRow(r: Record<string, unknown>): RegistryRecordRow {
  return {
    registryId: String(r.registry_id),
    version: String(r.version),
    changedAt: num(r.changed_at) ?? 0,
    record: json(r.record),
    seenAt: num(r.seen_at) ?? 0,
  };
}

export function propagationValues(p: Propagation): unknown[] {
  return [
    p.registryId,
    p.system,
    p.version,
    p.action,
    p.state,
    p.reason ?? null,
    p.systemId ?? null,
    toJson(p.unsupported),
    p.updatedAt,
  ];
}

export function propagationFromRow(r: Record<string, unknown>): Propagation {
  const unsupported = json<Record<string, string>>(r.unsupported);
  return {
    registryId: String(r.registry_id),
    system: String(r.system),
    version: String(r.version),
    action: String(r.action) as Propagation['action'],
    state: String(r.state) as Propagation['state'],
    ...(r.reason != null ? { reason: String(r.reason) } : {}),
    ...(r.system_id != null ? { systemId: String(r.system_id) } : {}),
    ...(unsupported ? { unsupported } : {}),
    updatedAt: num(r.updated_at) ?? 0,
    revision: num(r.revision) ?? 0,
  };
}

/** The WHERE clause and arguments of a propagation listing (newest first; a keyset page by registry id). */
export function listPropagationsSql(filter: PropagationFilter): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    args.push(value);
    where.push(`${column} = $${args.length}`);
  };
  // queued and failed as shown (GAVE_UP_SQL); the others as stored
  if (filter.state === 'queued') where.push(`p.state = 'queued' AND NOT ${GAVE_UP_SQL}`);
  else if (filter.state === 'failed') where.push(`(p.state = 'failed' OR (p.state = 'queued' AND ${GAVE_UP_SQL}))`);
  else add('p.state', filter.state);
  add('p.system', filter.system);
  add('p.registry_id', filter.registryId);
  if (filter.unsupportedHas !== undefined) {
    // the report as text on both engines (JSONB on PostgreSQL); LIKE's own characters taken as such
    args.push(`%${filter.unsupportedHas.replace(/[\\%_]/g, '\\$&')}%`);
    where.push(`CAST(p.unsupported AS TEXT) LIKE $${args.length} ESCAPE '\\'`);
  }
  const keyset = filter.registryIdAfter !== undefined;
  if (keyset) {
    args.push(filter.registryIdAfter);
    where.push(`p.registry_id > $${args.length}`);
  }
  args.push(filter.limit ?? 100, filter.offset ?? 0);
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const order = keyset ? 'p.registry_id, p.system' : 'p.updated_at DESC, p.registry_id, p.system';
  return {
    sql: `SELECT p.* FROM propagations p ${clause} ORDER BY ${order} LIMIT $${args.length - 1} OFFSET $${args.length}`,
    args,
  };
}

/** COUNT_PROPAGATIONS_SQL's rows as counts by system and state, COUNT_GAVE_UP_SQL's moved from queued to failed. */
export function propagationCounts(
  rows: Record<string, unknown>[],
  gaveUp: Record<string, unknown>[] = [],
): Record<string, Partial<Record<PropagationState, number>>> {
  const counts: Record<string, Partial<Record<PropagationState, number>>> = {};
  for (const r of rows) (counts[String(r.system)] ??= {})[String(r.state) as PropagationState] = num(r.n) ?? 0;
  for (const r of gaveUp) {
    const n = num(r.n) ?? 0;
    const system = (counts[String(r.system)] ??= {});
    const queued = (system.queued ?? 0) - n;
    if (queued > 0) system.queued = queued;
    else delete system.queued;
    system.failed = (system.failed ?? 0) + n;
  }
  return counts;
}
