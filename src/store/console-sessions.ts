import { json, num, toJson } from './rows.js';
import type { ConsoleSessionRow, JobAttempt } from './types.js';

/**
 * SQL and row mapping for `console_sessions` and `job_attempts` (migration v11), shared by both
 * engines ($n placeholders; SQLite swaps them for ?). A session row is written whole (upsert):
 * the console reads it at the start of a request and writes it back when it changed.
 */
export const UPSERT_CONSOLE_SESSION_SQL = `INSERT INTO console_sessions (id_digest, user_name, data, created_at, last_seen)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (id_digest) DO UPDATE SET data = excluded.data, last_seen = excluded.last_seen`;

/**
 * A session's data written over the data its request read, never over another request's: two tabs
 * posting at once each read the row, and the second whole write dropped the first one's undo
 * entry (session.ts merges and tries again when this changes nothing). An UPDATE, so a session
 * signed out meanwhile is not brought back. PostgreSQL compares jsonb by value, SQLite the text
 * written (toJson of the data read, which is the text it was parsed from).
 */
export const SWAP_CONSOLE_SESSION_SQL = `UPDATE console_sessions SET data = $1, last_seen = $2
  WHERE id_digest = $3 AND data = $4`;

export function swapConsoleSessionValues(row: ConsoleSessionRow, was: Record<string, unknown>): unknown[] {
  return [toJson(row.data), row.lastSeen, row.idDigest, toJson(was)];
}

export const GET_CONSOLE_SESSION_SQL = 'SELECT * FROM console_sessions WHERE id_digest = $1';

export const DELETE_CONSOLE_SESSION_SQL = 'DELETE FROM console_sessions WHERE id_digest = $1';

export const SWEEP_CONSOLE_SESSIONS_SQL = 'DELETE FROM console_sessions WHERE last_seen < $1';

export function consoleSessionValues(s: ConsoleSessionRow): unknown[] {
  return [s.idDigest, s.user, toJson(s.data), s.createdAt, s.lastSeen];
}

export function consoleSessionFromRow(r: Record<string, unknown>): ConsoleSessionRow {
  return {
    idDigest: String(r.id_digest),
    user: String(r.user_name),
    data: json<Record<string, unknown>>(r.data) ?? {},
    createdAt: num(r.created_at) ?? 0,
    lastSeen: num(r.last_seen) ?? 0,
  };
}

/**
 * A job's newest $2 rows, oldest first: a long history shows how it stands now, not how it began.
 * Attempts that start and end in one millisecond (fast refusals do) are ordered as they ran: an
 * operator's retry (requeues) after the budget before it, a charged attempt after a lower number;
 * the outcome last only so that both engines answer one order (PostgreSQL's heap has none).
 */
export const LIST_JOB_ATTEMPTS_SQL = `SELECT * FROM (
    SELECT * FROM job_attempts WHERE job_id = $1
    ORDER BY started_at DESC, ended_at DESC, requeues DESC, attempt DESC, outcome DESC LIMIT $2
  ) newest ORDER BY started_at, ended_at, requeues, attempt, outcome`;

export function jobAttemptValues(a: JobAttempt): unknown[] {
  return [a.jobId, a.startedAt, a.endedAt, a.attempt, a.outcome, a.detail ?? null];
}

export function jobAttemptFromRow(r: Record<string, unknown>): JobAttempt {
  return {
    jobId: String(r.job_id),
    startedAt: num(r.started_at) ?? 0,
    endedAt: num(r.ended_at) ?? 0,
    attempt: num(r.attempt) ?? 0,
    outcome: String(r.outcome) as JobAttempt['outcome'],
    ...(r.detail != null ? { detail: String(r.detail) } : {}),
    ...repeatsOf(r),
  };
}

/** How many attempts a row stands for and since when, only when more than one (repeated-attempts.ts). */
function repeatsOf(r: Record<string, unknown>): Pick<JobAttempt, 'repeats' | 'firstStartedAt'> {
  const repeats = num(r.repeats) ?? 1;
  return repeats > 1 ? { repeats, firstStartedAt: num(r.first_started_at) ?? num(r.started_at) ?? 0 } : {};
}
