import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import type {
  AuditEntry,
  AuditInput,
  JobStatus,
  JournalStep,
  NewJob,
  OutboxJob,
  RecordWriteResult,
  ResourceLink,
  TransactionUpdate,
} from './types.js';

/**
 * Row ↔ object mapping shared by both engines. Both hand back a JSON column as its JSON text:
 * SQLite keeps TEXT, and the PostgreSQL store has pg return json/jsonb unparsed
 * (JSON_COLUMNS_AS_TEXT in postgres.ts). A value pg had already decoded could not be told from
 * JSON text: the JSON string "INITIATED" arrived as the JS string INITIATED and failed to parse
 * again. BIGINT arrives from pg as a string; `num` absorbs that.
 */
type Row = Record<string, unknown>;

/** A JSON column's text, decoded; SQL NULL is undefined (a JSON null is null). */
export function json<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new TypeError(`store: a JSON column arrived as a ${typeof value}, not as JSON text`);
  return JSON.parse(value) as T;
}

export function num(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'number' ? value : Number(value);
}

function str(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

export function jobFromRow(r: Row): OutboxJob {
  return {
    id: String(r.id),
    flow: String(r.flow),
    system: String(r.system),
    idempotencyKey: String(r.idempotency_key),
    payloadHash: String(r.payload_hash),
    payload: json(r.payload),
    status: String(r.status) as JobStatus,
    attempts: num(r.attempts) ?? 0,
    nextAttemptAt: num(r.next_attempt_at) ?? 0,
    leaseOwner: str(r.lease_owner),
    leaseUntil: num(r.lease_until),
    result: json(r.result),
    error: json(r.error),
    lastError: str(r.last_error),
    transactionId: str(r.transaction_id),
    ...(r.superseded_by != null ? { supersededBy: String(r.superseded_by) } : {}),
    ...(num(r.requeues) ? { requeues: num(r.requeues) } : {}),
    ...(r.failing_since != null ? { failingSince: num(r.failing_since) } : {}),
    ...(r.openhim_update != null ? { transactionUpdate: transactionUpdateFromRow(r) } : {}),
    ...(r.openhim_final_calls != null ? { openhimFinalCalls: json<object[]>(r.openhim_final_calls) } : {}),
    createdAt: num(r.created_at) ?? 0,
    updatedAt: num(r.updated_at) ?? 0,
  };
}

function transactionUpdateFromRow(r: Row): TransactionUpdate {
  return {
    state: String(r.openhim_update) as TransactionUpdate['state'],
    ...(r.openhim_update_due != null ? { dueAt: num(r.openhim_update_due) } : {}),
    attempts: num(r.openhim_update_attempts) ?? 0,
    ...(r.openhim_update_error != null ? { lastError: String(r.openhim_update_error) } : {}),
  };
}

/**
 * The job a fresh INSERT of `job` stored, as jobFromRow would read it back, without reading it
 * back: the payload is decoded from the JSON text just written (so the caller gets the stored
 * value, not the object it passed), and the columns the INSERT left to defaults are empty.
 */
export function jobInserted(job: NewJob, payloadText: string): OutboxJob {
  return {
    id: job.id,
    flow: job.flow,
    system: job.system,
    idempotencyKey: job.idempotencyKey,
    payloadHash: job.payloadHash,
    payload: JSON.parse(payloadText),
    status: job.status,
    attempts: job.attempts,
    nextAttemptAt: job.nextAttemptAt,
    leaseOwner: job.leaseOwner ?? undefined,
    leaseUntil: job.leaseUntil ?? undefined,
    result: undefined,
    error: undefined,
    lastError: undefined,
    transactionId: job.transactionId ?? undefined,
    createdAt: job.createdAt,
    updatedAt: job.createdAt,
  };
}

export function crosswalkFromRow(r: Row): CrosswalkRow {
  const row: CrosswalkRow = {
    system: String(r.system),
    systemId: String(r.system_id),
    state: String(r.state) as CrosswalkRow['state'],
    zone: String(r.zone) as CrosswalkRow['zone'],
    reasons: json(r.reasons) ?? [],
    suggestions: json(r.suggestions) ?? [],
    decidedBy: String(r.decided_by),
    decidedAt: String(r.decided_at),
  };
  if (r.registry_id != null) row.registryId = String(r.registry_id);
  if (r.score != null) row.score = Number(r.score);
  if (r.comment != null) row.comment = String(r.comment);
  if (r.input_hash != null) row.inputHash = String(r.input_hash);
  if (r.decided_in != null) row.decidedIn = String(r.decided_in);
  return row;
}

/** Column values of a crosswalk row in the order of CROSSWALK_COLUMNS. */
const CROSSWALK_COLUMNS = [
  'system',
  'system_id',
  'registry_id',
  'state',
  'zone',
  'score',
  'reasons',
  'suggestions',
  'decided_by',
  'decided_at',
  'comment',
  'input_hash',
  'decided_in',
] as const;

export function crosswalkValues(row: CrosswalkRow): unknown[] {
  return [
    row.system,
    row.systemId,
    row.registryId ?? null,
    row.state,
    row.zone,
    row.score ?? null,
    toJson(row.reasons ?? []),
    toJson(row.suggestions ?? []),
    row.decidedBy,
    row.decidedAt,
    row.comment ?? null,
    row.inputHash ?? null,
    row.decidedIn ?? null,
  ];
}

export function stepFromRow(r: Row): JournalStep {
  return {
    jobId: String(r.job_id),
    step: String(r.step),
    result: json(r.result) ?? null,
    completedAt: num(r.completed_at) ?? 0,
  };
}

export function auditFromRow(r: Row): AuditEntry {
  return {
    id: num(r.id) ?? 0,
    at: num(r.at) ?? 0,
    actor: String(r.actor),
    action: String(r.action),
    subject: str(r.subject),
    details: json(r.details) ?? {},
  };
}

export function emptyCounts(): Record<JobStatus, number> {
  return { pending: 0, 'in-flight': 0, done: 0, rejected: 0, dead: 0 };
}

/**
 * JSON text for a column, the one way values are written to JSON columns on both engines:
 * PostgreSQL parses a text parameter bound to jsonb as JSON, so a JS string must be sent encoded
 * ('"INITIATED"'), never raw. `undefined` (a step that returned nothing) is stored as SQL NULL.
 */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Upsert of a resource link ($n placeholders; SQLite swaps them for ?). Known ids are never erased. */
export const UPSERT_LINK_SQL = `INSERT INTO resource_links (flow, fhir_id, system, upstream_id, job_id, updated_at, system_of_record)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (flow, fhir_id, system) DO UPDATE SET system_of_record = EXCLUDED.system_of_record,
    upstream_id = COALESCE(EXCLUDED.upstream_id, resource_links.upstream_id),
    job_id = COALESCE(EXCLUDED.job_id, resource_links.job_id), updated_at = EXCLUDED.updated_at`;

/**
 * UPSERT_LINK_SQL for a link a read makes (ResourceLink.fromRead): the same, except that a stored
 * link keeps its system-of-record mark. A search on a fanned-out write's secondary system lists
 * the same FHIR id; re-marking that link of record made GET_LINK_SQL send reads by it there.
 */
export const UPSERT_READ_LINK_SQL = `INSERT INTO resource_links (flow, fhir_id, system, upstream_id, job_id, updated_at, system_of_record)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (flow, fhir_id, system) DO UPDATE SET
    upstream_id = COALESCE(EXCLUDED.upstream_id, resource_links.upstream_id),
    job_id = COALESCE(EXCLUDED.job_id, resource_links.job_id), updated_at = EXCLUDED.updated_at`;

/** The upsert a link is written by: a read's keeps the stored mark (UPSERT_READ_LINK_SQL). */
export const upsertLinkSql = (l: ResourceLink): string => (l.fromRead ? UPSERT_READ_LINK_SQL : UPSERT_LINK_SQL);

export function linkFromRow(r: Row): ResourceLink {
  return {
    flow: String(r.flow),
    fhirId: String(r.fhir_id),
    system: String(r.system),
    ...(r.upstream_id != null ? { upstreamId: String(r.upstream_id) } : {}),
    ...(r.job_id != null ? { jobId: String(r.job_id) } : {}),
    ...(r.system_of_record != null && Number(r.system_of_record) === 0 ? { primary: false } : {}),
  };
}

/** What a key takeover records in the audit trail (the refused job is its subject). */
export function supersedeAudit(old: OutboxJob, job: NewJob): AuditInput {
  return {
    actor: 'outbox',
    action: 'outbox.superseded',
    subject: old.id,
    details: {
      by: job.id,
      flow: job.flow,
      system: job.system,
      idempotencyKey: job.idempotencyKey,
      samePayload: old.payloadHash === job.payloadHash,
    },
  };
}

/** The system_of_record column of a link: only a secondary target's link is not of record. */
export const systemOfRecord = (l: ResourceLink): number => (l.primary === false ? 0 : 1);

/** The parameters of one link's upsert, in the order both engines' upsert statements take them. */
export const linkParams = (l: ResourceLink, now: number): unknown[] => [
  l.flow,
  l.fhirId,
  l.system,
  l.upstreamId ?? null,
  l.jobId ?? null,
  now,
  systemOfRecord(l),
];

/** The system of record's link first, then the most recent (a FHIR id may be linked in several systems). */
export const GET_LINK_SQL =
  'SELECT * FROM resource_links WHERE flow = $1 AND fhir_id = $2 ORDER BY system_of_record DESC, updated_at DESC LIMIT 1';

/** The FHIR ids among some that have a link in a flow (Store.linkedFhirIds): one statement for any count. */
export const LINKED_FHIR_IDS_SQLITE =
  'SELECT DISTINCT fhir_id FROM resource_links WHERE flow = ? AND fhir_id IN (SELECT value FROM json_each(?))';
export const LINKED_FHIR_IDS_PG = 'SELECT DISTINCT fhir_id FROM resource_links WHERE flow = $1 AND fhir_id = ANY($2)';

/**
 * The upstream object a delivered write's links stand for: its first id (routing's primaryId).
 * finishJob writes it into the job's links in the same transaction as the job's end, so a read by
 * FHIR id finds the upstream object without a second write.
 */
export function linkedUpstreamId(result: { ids?: Record<string, string> }): string | undefined {
  return result.ids ? Object.values(result.ids)[0] : undefined;
}

/** A link names the job it was proposed with; a duplicate write maps that to the first job's id. */
export function jobIdFor(proposed: string, jobs: NewJob[], results: RecordWriteResult[]): string {
  const i = jobs.findIndex((j) => j.id === proposed);
  return i >= 0 ? results[i].job.id : proposed;
}

/** Crosswalk upsert ($n placeholders): an automatic row never replaces a human decision (Store.upsertCrosswalk). */
export const UPSERT_CROSSWALK_SQL = `INSERT INTO crosswalk (${CROSSWALK_COLUMNS.join(', ')}) VALUES (${CROSSWALK_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (system, system_id) DO UPDATE SET ${CROSSWALK_COLUMNS.filter((c) => c !== 'system' && c !== 'system_id')
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ')}
  WHERE EXCLUDED.decided_by <> 'auto' OR crosswalk.decided_by = 'auto'`;

/** SQLite takes positional `?` where PostgreSQL takes `$n` (the statements above bind in order). */
export function sqliteParams(sql: string): string {
  return sql.replace(/\$\d+/g, '?');
}

/** Where newJobValues puts the payload's JSON text. */
export const PAYLOAD_VALUE = 5;
/** Where newJobValues puts the due time and the lease end. */
export const NEXT_ATTEMPT_VALUE = 8;
export const LEASE_UNTIL_VALUE = 10;
/** Where newJobValues puts the lease's attempt end (v61), after order_key. */
export const ATTEMPT_ENDS_VALUE = 14;

/**
 * The values of a new outbox_jobs row, in the INSERT's column order up to attempt_ends_at (PostgreSQL
 * uses $13, created_at, for updated_at too; SQLite binds created_at once more). One list for both
 * engines.
 */
export function newJobValues(job: NewJob): unknown[] {
  return [
    job.id,
    job.flow,
    job.system,
    job.idempotencyKey,
    job.payloadHash,
    toJson(job.payload ?? null),
    job.status,
    job.attempts,
    job.nextAttemptAt,
    job.leaseOwner ?? null,
    job.leaseUntil ?? null,
    job.transactionId ?? null,
    job.createdAt,
    // none for flows not delivered in order: outbox_jobs_order_waiting holds only keyed jobs
    job.orderKey ?? null,
    job.attemptEndsAt ?? null,
  ];
}
