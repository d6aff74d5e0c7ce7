import { jobIdFor } from './rows.js';
import type { NewJob, RecordWriteResult, ResourceLink } from './types.js';

/**
 * The links a recordWrites call writes, in its transaction: each naming the job its write was
 * recorded as (jobIdFor: a duplicate's names the job holding the key), and one `whenCreated` only
 * if that call created its job (ResourceLink.whenCreated).
 */
export function linksOfWrites(links: ResourceLink[], jobs: NewJob[], results: RecordWriteResult[]): ResourceLink[] {
  return links.flatMap(({ whenCreated, ...link }) => {
    if (whenCreated && !createdBy(link.jobId, jobs, results)) return [];
    return [{ ...link, jobId: link.jobId && jobIdFor(link.jobId, jobs, results) }];
  });
}

/** Whether the call created the job it proposed as `jobId` (not a duplicate of the key's holder). */
function createdBy(jobId: string | undefined, jobs: NewJob[], results: RecordWriteResult[]): boolean {
  const i = jobId === undefined ? -1 : jobs.findIndex((j) => j.id === jobId);
  return i >= 0 && results[i].created;
}
