import { asRecord } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import { DHIS2, Dhis2Error } from './errors.js';
import { bodyAnswer, listAnswer } from './page-answer.js';

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
 * How long a job may stay unlisted (`[]`, never a notification) before the connector looks for
 * what it imports (`landed`): several polls, at least 30 s for a scheduler that is slow to start
 * it, and at most half of dhis2.jobTimeoutMs.
 */
export function unlistedLimitMs(jobPollMs: number, jobTimeoutMs: number): number {
  return Math.min(jobTimeoutMs / 2, Math.max(5 * jobPollMs, 30_000));
}

/**
 * What a job the server never listed did, learnt without its report: `true`, what it imports is
 * in DHIS2 (nothing to send again); `false`, it is not (the write is sent again).
 */
export type LandedCheck = () => Promise<boolean>;

/** The result awaitJob gives when `landed` found the import's work done without its report. */
export const LANDED = Symbol('landed without a report');

/**
 * Polls `notifications` every dhis2.jobPollMs until it says completed, then reads `result`; the
 * server forgetting the job, or dhis2.jobTimeoutMs elapsed: a transient failure. A job the server
 * has listed nothing for after unlistedLimitMs, when the caller can tell (`landed`), is looked
 * for by what it imports instead of being waited for until the timeout: a restart before the
 * first poll leaves it unlisted for ever (tracker/jobs/{id} answers `[]`, as for an unknown id).
 */
export async function awaitJob(
  client: Dhis2Client,
  what: string,
  notifications: string,
  result: { path: string; query?: Record<string, string> },
  landed?: LandedCheck,
): Promise<unknown> {
  const { jobPollMs, jobTimeoutMs } = client.settings();
  const started = Date.now();
  const deadline = started + jobTimeoutMs;
  let seen = false;
  for (;;) {
    // a 2xx that is no list (a 204, a gateway's page) is no answer, read again: taken as a list, it
    // marked the job seen, and a later `[]` from a job not yet started read as a forgotten one
    const res = await client.send<unknown>({
      method: 'GET',
      path: notifications,
      accept: [404],
      decodeAnswer: listAnswer(notifications),
    });
    // a restart forgets jobs: a 404 (tracker), or no notifications where there were some (data values)
    const empty = Array.isArray(res.body) && res.body.length === 0;
    if (res.status === 404 || (empty && seen))
      throw transient(`${what}: DHIS2 no longer knows the job (${notifications}); sent again`);
    seen ||= !empty;
    if (!seen && landed && Date.now() - started >= unlistedLimitMs(jobPollMs, jobTimeoutMs)) {
      if (await landed()) return LANDED;
      throw transient(
        `${what}: DHIS2 has listed nothing for the job (${notifications}) and what it imports is not there: sent again`,
      );
    }
    if (jobCompleted(res.body)) break;
    if (Date.now() >= deadline)
      throw transient(`${what}: the job was not done after ${jobTimeoutMs} ms (dhis2.jobTimeoutMs); sent again later`);
    await sleep(jobPollMs);
  }
  // a 204 is read again, not taken as a finished job without its summary (which sent it again)
  const answer = await client.send<unknown>({
    method: 'GET',
    path: result.path,
    query: result.query,
    accept: [404],
    decodeAnswer: bodyAnswer(result.path),
  });
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

/**
 * The ImportReport of a tracker import started with async=true; LANDED when DHIS2 forgot the job
 * but holds its events as sent (`landed`).
 */
export function awaitTrackerImport(client: Dhis2Client, started: unknown, landed?: LandedCheck): Promise<unknown> {
  const id = jobIdOf(started);
  if (!id) throw transient('POST /api/tracker?async=true answered no job id');
  return awaitJob(
    client,
    'tracker import',
    `/api/tracker/jobs/${id}`,
    { path: `/api/tracker/jobs/${id}/report`, query: { reportMode: 'ERRORS' } },
    landed,
  );
}
