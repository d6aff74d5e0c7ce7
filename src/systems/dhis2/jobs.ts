import { asRecord } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import { DHIS2, Dhis2Error } from './errors.js';

/**
 * DHIS2's asynchronous imports, polled to their result. Both kinds answer the POST at once with a
 * job id and keep the job's progress in memory (lost when the server restarts):
 * - data values (`POST /api/dataValueSets?async=true`, docs.dhis2.org developer/web-api data.md):
 *   notifications at `/api/system/tasks/DATAVALUE_IMPORT/{id}`, the ImportSummary at
 *   `/api/system/taskSummaries/DATAVALUE_IMPORT/{id}`;
 * - tracker (`POST /api/tracker?async=true`, tracker.md "Import"): notifications at
 *   `/api/tracker/jobs/{id}`, the ImportReport at `/api/tracker/jobs/{id}/report`.
 * A notification list is newest first; the job is done when one says `completed: true`. A job
 * that does not finish in time, or that the server forgot, fails transiently: the write is tried
 * again later, which is safe because what it sends is idempotent (the same values are `ignored`,
 * the same event UIDs updated).
 */

/** The job id a 200 WebMessage `{response: {id, …}}` names (both job kinds answer so). */
export function jobIdOf(body: unknown): string | undefined {
  const id = asRecord(asRecord(body)?.response)?.id;
  // it becomes part of the polled paths: a UID-like token, nothing else
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

/** Whether a notification list (newest first) says the job finished. */
export function jobCompleted(body: unknown): boolean {
  return Array.isArray(body) && body.some((n) => asRecord(n)?.completed === true);
}

const transient = (diagnostics: string) => new Dhis2Error({ system: DHIS2, transient: true, diagnostics });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `notifications` every dhis2.jobPollMs until it says completed, then reads `result`; the
 * server forgetting the job, or dhis2.jobTimeoutMs elapsed: a transient failure.
 */
export async function awaitJob(
  client: Dhis2Client,
  what: string,
  notifications: string,
  result: { path: string; query?: Record<string, string> },
): Promise<unknown> {
  const { jobPollMs, jobTimeoutMs } = client.settings();
  const deadline = Date.now() + jobTimeoutMs;
  let seen = false;
  for (;;) {
    const res = await client.send<unknown>({ method: 'GET', path: notifications, accept: [404] });
    // a restart forgets jobs: a 404 (tracker), or no notifications where there were some (data values)
    const empty = Array.isArray(res.body) && res.body.length === 0;
    if (res.status === 404 || (empty && seen))
      throw transient(`${what}: DHIS2 no longer knows the job (${notifications}); sent again`);
    seen ||= !empty;
    if (jobCompleted(res.body)) break;
    if (Date.now() >= deadline)
      throw transient(`${what}: the job was not done after ${jobTimeoutMs} ms (dhis2.jobTimeoutMs); sent again later`);
    await sleep(jobPollMs);
  }
  const answer = await client.send<unknown>({ method: 'GET', path: result.path, query: result.query, accept: [404] });
  if (answer.status === 404) throw transient(`${what}: DHIS2 has no result for the finished job (${result.path})`);
  return answer.body;
}

/** The ImportSummary of a data value import started with async=true. */
export function awaitDataValueImport(client: Dhis2Client, started: unknown): Promise<unknown> {
  const id = jobIdOf(started);
  if (!id) throw transient('POST /api/dataValueSets?async=true answered no job id');
  return awaitJob(client, 'data value import', `/api/system/tasks/DATAVALUE_IMPORT/${id}`, {
    path: `/api/system/taskSummaries/DATAVALUE_IMPORT/${id}`,
  });
}

/** The ImportReport of a tracker import started with async=true. */
export function awaitTrackerImport(client: Dhis2Client, started: unknown): Promise<unknown> {
  const id = jobIdOf(started);
  if (!id) throw transient('POST /api/tracker?async=true answered no job id');
  return awaitJob(client, 'tracker import', `/api/tracker/jobs/${id}`, {
    path: `/api/tracker/jobs/${id}/report`,
    query: { reportMode: 'ERRORS' },
  });
}
