import type pg from 'pg';
import { appendedAttemptValues } from './repeated-attempts.js';
import { systemOfRecord, toJson, UPSERT_LINK_SQL } from './rows.js';
import type { AuditInput, JobAttempt, NewJob, ResourceLink } from './types.js';

/**
 * The outbox's hot statements on PostgreSQL, each for many calls at once (TurnBatcher): the
 * calls' values travel as one array per column and `unnest` turns them back into rows. Each
 * statement does for every row what the one-row statement in postgres.ts does for one.
 */
type Queryable = pg.Pool | pg.PoolClient;
type Row = Record<string, unknown>;

export interface NewWrite {
  job: NewJob;
  /** newJobValues(job), made once: the caller builds the stored job from the payload text in it. */
  values: unknown[];
  links: ResourceLink[];
  now: number;
}

const LINK_UPSERT = UPSERT_LINK_SQL.slice(UPSERT_LINK_SQL.indexOf('ON CONFLICT'));

/**
 * New writes: each key claimed (ON CONFLICT DO NOTHING also skips a key a second member of the
 * same batch repeats), each job inserted only if its key was, its links only if its job was.
 * Keys are claimed in key order, as the transaction path does, so instances cannot deadlock.
 */
const RECORD_NEW_WRITES_SQL = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::int[], $9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::bigint[], $14::text[], $15::bigint[])
    AS i(id, flow, system, key, payload_hash, payload, status, attempts, next_attempt_at, lease_owner,
      lease_until, transaction_id, created_at, order_key, attempt_ends_at)),
  claimed AS (
    INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at)
    SELECT flow, system, key, payload_hash, id, created_at FROM input ORDER BY flow, system, key
    ON CONFLICT DO NOTHING RETURNING job_id),
  job AS (
    INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
      next_attempt_at, lease_owner, lease_until, transaction_id, created_at, updated_at, order_key, attempt_ends_at)
    SELECT i.id, i.flow, i.system, i.key, i.payload_hash, i.payload::jsonb, i.status, i.attempts,
      i.next_attempt_at, i.lease_owner, i.lease_until, i.transaction_id, i.created_at, i.created_at, i.order_key,
      i.attempt_ends_at
    FROM input i JOIN claimed c ON c.job_id = i.id RETURNING id),
  linked AS (
    INSERT INTO resource_links (flow, fhir_id, system, upstream_id, job_id, updated_at, system_of_record)
    SELECT l.flow, l.fhir_id, l.system, l.upstream_id, l.job_id, l.updated_at, l.system_of_record
    FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::int[], $22::bigint[], $23::text[])
      AS l(flow, fhir_id, system, upstream_id, job_id, system_of_record, updated_at, owner)
    WHERE l.owner IN (SELECT id FROM job)
    ${LINK_UPSERT})
  SELECT id FROM job`;

/**
 * The ids of the jobs created; a write missing from them found its key taken. Only ids come
 * back: the created job is what was bound (rows.ts jobInserted), and returning every column
 * had the server write each payload's jsonb out as text for the client to parse (issue 18).
 */
export async function recordNewWrites(q: Queryable, writes: NewWrite[]): Promise<Set<string>> {
  const columns = columnsOf(
    writes.map((w) => w.values),
    15,
  );
  const links = writes.flatMap((w) =>
    w.links.map((l) => [
      l.flow,
      l.fhirId,
      l.system,
      l.upstreamId ?? null,
      l.jobId ?? null,
      systemOfRecord(l),
      w.now,
      w.job.id,
    ]),
  );
  const { rows } = await q.query({
    name: 'outbox-record-new-writes',
    text: RECORD_NEW_WRITES_SQL,
    values: [...columns, ...columnsOf(links, 8)],
  });
  return new Set((rows as Row[]).map((r) => String(r.id)));
}

export interface JobEnd {
  id: string;
  leaseOwner: string;
  status: 'done' | 'rejected' | 'dead';
  result: string | null;
  error: string | null;
  lastError: string | null;
  upstreamId: string | null;
  now: number;
  attempt?: JobAttempt;
  /** Written with the end, only if the job was finished (Store.finishJob's outcome.audit). */
  audit?: AuditInput;
  /** The end owes its OpenHIM transaction an update, due then (outcome.transactionUpdateDue). */
  updateDue?: number;
  /** With updateDue: the final attempt's orchestrations, JSON text (outcome.openhimFinalCalls, v46). */
  finalCalls?: string;
}

/** What the audited form of the ends' statement adds: four input columns and the audit insert. */
const AUDIT_TYPES = ['text', 'text', 'text', 'text'];
const AUDIT_NAMES = ', au_actor, au_action, au_subject, au_details';
const AUDIT_CTE = `
  audited AS (
    INSERT INTO audit (at, actor, action, subject, details)
    SELECT i.now, i.au_actor, i.au_action, i.au_subject, i.au_details::jsonb FROM input i
    WHERE i.au_action IS NOT NULL AND i.id IN (SELECT id FROM finished)),`;

/**
 * What the owing form adds: two input columns, the time an owed OpenHIM transaction update is due
 * (NULL for the batch's ends that owe none) and the final attempt's calls (v46), and their setting
 * on the job (v16): in the end's own statement, so the calls commit with the debt.
 */
const OWING_NAMES = ', update_due, final_calls';
const OWING_TYPES = ['bigint', 'text'];
const OWING_SET = `,
      openhim_final_calls = CASE WHEN i.update_due IS NULL THEN j.openhim_final_calls ELSE i.final_calls::jsonb END,
      openhim_update = CASE WHEN i.update_due IS NULL THEN j.openhim_update ELSE 'owed' END,
      openhim_update_due = COALESCE(i.update_due, j.openhim_update_due),
      openhim_update_attempts = CASE WHEN i.update_due IS NULL THEN j.openhim_update_attempts ELSE 0 END,
      openhim_update_error = CASE WHEN i.update_due IS NULL THEN j.openhim_update_error END`;

const BASE_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'bigint',
  'text',
  'bigint',
  'bigint',
  'int',
  'text',
  'text',
  'int',
];

/** The form of the ends' statement: with an audit insert, with owed transaction updates. */
interface EndsForm {
  audited: boolean;
  owing: boolean;
}

function endsColumnTypes({ audited, owing }: EndsForm): string[] {
  return [...BASE_TYPES, ...(owing ? OWING_TYPES : []), ...(audited ? AUDIT_TYPES : [])];
}

/**
 * Jobs' ends with their links' upstream ids and their attempts (finishJob for many); `audited`
 * adds each finished end's audit row, `owing` the OpenHIM transaction update an end owes. Only a
 * batch that has one sends that form, so the ends of delivered writes answered in time (the hot
 * path) keep the plain statement and its 15 columns.
 */
function finishJobsSql(form: EndsForm): string {
  const params = endsColumnTypes(form)
    .map((type, i) => `$${i + 1}::${type}[]`)
    .join(', ');
  return `WITH input AS (
    SELECT * FROM unnest(${params})
    AS i(id, lease_owner, status, result, error, last_error, upstream_id, now,
      a_job_id, a_started_at, a_ended_at, a_attempt, a_outcome, a_detail, a_requeues${form.owing ? OWING_NAMES : ''}${form.audited ? AUDIT_NAMES : ''})),
  finished AS (
    UPDATE outbox_jobs j SET status = i.status, result = i.result::jsonb, error = i.error::jsonb,
      last_error = COALESCE(i.last_error, j.last_error), lease_owner = NULL, lease_until = NULL, updated_at = i.now${form.owing ? OWING_SET : ''}
    FROM input i WHERE j.id = i.id AND j.status = 'in-flight' AND j.lease_owner = i.lease_owner RETURNING j.id),
  linked AS (
    UPDATE resource_links r SET upstream_id = i.upstream_id, updated_at = i.now
    FROM input i WHERE i.upstream_id IS NOT NULL AND r.upstream_id IS NULL AND r.job_id = i.id
      AND i.id IN (SELECT id FROM finished)),${form.audited ? AUDIT_CTE : ''}
  noted AS (
    INSERT INTO job_attempts (job_id, started_at, ended_at, attempt, outcome, detail, requeues)
    SELECT a_job_id, a_started_at, a_ended_at, a_attempt, a_outcome, a_detail, a_requeues FROM input WHERE a_job_id IS NOT NULL)
  SELECT id FROM finished`;
}

/** Each form's statement text and prepared-statement name, made once. */
const ENDS_FORMS = new Map(
  [false, true].flatMap((audited) =>
    [false, true].map((owing) => {
      const name = `outbox-finish-jobs${audited ? '-audited' : ''}${owing ? '-owing' : ''}`;
      return [
        `${audited}/${owing}`,
        { name, text: finishJobsSql({ audited, owing }), columns: endsColumnTypes({ audited, owing }).length },
      ];
    }),
  ),
);

/** For each end, whether the lease still held the job (so it was finished). */
export async function finishJobs(q: Queryable, ends: JobEnd[]): Promise<boolean[]> {
  const audited = ends.some((e) => e.audit);
  const owing = ends.some((e) => e.updateDue !== undefined);
  const rows = ends.map((e) => [
    e.id,
    e.leaseOwner,
    e.status,
    e.result,
    e.error,
    e.lastError,
    e.upstreamId,
    e.now,
    // the attempt in the budget it ran in (requeues), as appendJobAttempt notes one
    ...(e.attempt ? appendedAttemptValues(e.attempt) : [null, null, null, null, null, null, null]),
    ...(owing ? [e.updateDue ?? null, e.updateDue === undefined ? null : (e.finalCalls ?? null)] : []),
    ...(audited ? auditValues(e.audit) : []),
  ]);
  const form = ENDS_FORMS.get(`${audited}/${owing}`)!;
  const { rows: finished } = await q.query({
    name: form.name,
    text: form.text,
    values: columnsOf(rows, form.columns),
  });
  const ids = new Set((finished as Row[]).map((r) => String(r.id)));
  return ends.map((e) => ids.has(e.id));
}

function auditValues(a: AuditInput | undefined): unknown[] {
  return a ? [a.actor, a.action, a.subject ?? null, toJson(a.details ?? {})] : [null, null, null, null];
}

export interface StepRecord {
  jobId: string;
  step: string;
  result: string | null;
  now: number;
}

/** Steps recorded, first writer wins: each step's result as now stored (inserted, or found). */
const PUT_STEPS_SQL = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS i(job_id, step, result, completed_at)),
  ins AS (
    INSERT INTO step_journal (job_id, step, result, completed_at)
    SELECT job_id, step, result::jsonb, completed_at FROM input ORDER BY job_id, step
    ON CONFLICT DO NOTHING RETURNING job_id, step, result)
  SELECT job_id, step, result FROM ins
  UNION ALL
  SELECT s.job_id, s.step, s.result FROM step_journal s JOIN input i ON s.job_id = i.job_id AND s.step = i.step
  WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.job_id = i.job_id AND ins.step = i.step)`;

/**
 * The stored row of each step, or undefined where a racing attempt committed the step after this
 * statement's snapshot (the caller reads it again with a new one).
 */
export async function putSteps(q: Queryable, steps: StepRecord[]): Promise<(Row | undefined)[]> {
  const { rows } = await q.query({
    name: 'outbox-put-steps',
    text: PUT_STEPS_SQL,
    values: columnsOf(
      steps.map((s) => [s.jobId, s.step, s.result, s.now]),
      4,
    ),
  });
  const byKey = new Map((rows as Row[]).map((r) => [`${String(r.job_id)}\u0000${String(r.step)}`, r]));
  return steps.map((s) => byKey.get(`${s.jobId}\u0000${s.step}`));
}

/** Rows of values → one array per column (what unnest takes). */
function columnsOf(rows: unknown[][], width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let c = 0; c < width; c++) columns[c].push(row[c]);
  return columns;
}
