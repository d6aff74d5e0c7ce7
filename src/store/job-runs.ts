import type { JobRun, JobRunEnd } from './types.js';
import { json, num, toJson } from './rows.js';

/**
 * SQL and row mapping for `job_runs` (migration v4), shared by both engines ($n placeholders;
 * SQLite swaps them for ?). A scheduled run records the tick it belongs to; the unique index on
 * (name, tick_at) makes the insert the claim of that tick, so an instance that reaches a tick
 * another one already ran inserts nothing and does not run it again. Manual runs have no tick
 * (NULLs never collide in a unique index, on either engine).
 */
export const INSERT_JOB_RUN_SQL = `INSERT INTO job_runs (name, tick_at, trigger, instance, started_at, outcome)
  VALUES ($1, $2, $3, $4, $5, 'running') ON CONFLICT DO NOTHING RETURNING *`;

/** $5 = 1 gives the run's tick back (JobRunEnd.givesBackTick): a later run may claim that tick. */
export const FINISH_JOB_RUN_SQL = `UPDATE job_runs SET ended_at = $1, outcome = $2, detail = $3, counts = $4,
  tick_at = CASE WHEN $5 = 1 THEN NULL ELSE tick_at END WHERE id = $6`;

/** A cut run gives its tick back to the run that takes it (NewJobRun.takesTickOf), in the same transaction. */
export const GIVE_TICK_BACK_SQL = 'UPDATE job_runs SET tick_at = NULL WHERE id = $1';

/** Runs of a job still marked running, closed as failed (their instance stopped during the run). */
export const ABANDON_JOB_RUNS_SQL = `UPDATE job_runs SET ended_at = $1, outcome = 'failed', detail = $2 WHERE name = $3 AND outcome = 'running'`;

export const LIST_JOB_RUNS_SQL = 'SELECT * FROM job_runs WHERE name = $1 ORDER BY started_at DESC, id DESC LIMIT $2';

export function jobRunValues(run: Pick<JobRun, 'name' | 'tickAt' | 'trigger' | 'instance' | 'startedAt'>): unknown[] {
  return [run.name, run.tickAt ?? null, run.trigger, run.instance ?? null, run.startedAt];
}

export function finishJobRunValues(id: number, end: JobRunEnd): unknown[] {
  return [end.endedAt ?? null, end.outcome, end.detail ?? null, toJson(end.counts), end.givesBackTick ? 1 : 0, id];
}

export function jobRunFromRow(r: Record<string, unknown>): JobRun {
  const tickAt = num(r.tick_at);
  const endedAt = num(r.ended_at);
  const counts = json<Record<string, number>>(r.counts);
  return {
    id: num(r.id) ?? 0,
    name: String(r.name),
    ...(tickAt !== undefined ? { tickAt } : {}),
    trigger: String(r.trigger) as JobRun['trigger'],
    ...(r.instance != null ? { instance: String(r.instance) } : {}),
    startedAt: num(r.started_at) ?? 0,
    ...(endedAt !== undefined ? { endedAt } : {}),
    outcome: String(r.outcome) as JobRun['outcome'],
    ...(r.detail != null ? { detail: String(r.detail) } : {}),
    ...(counts ? { counts } : {}),
  };
}
