import type { OutboxJob, Propagation, PropagationFilter, PropagationState, Store } from '../../store/types.js';
import type { RegistryRecord } from '../mfr/types.js';
import { rowJobs } from './relinked.js';

/**
 * Where each registry change stands in each system, for `/admin/propagation`, the console and the
 * CLI. A queued change whose outbox job has given up (dead) or been refused reads as failed, with
 * the job's reason: the job, not the row, knows that.
 */
export interface PropagationView extends Omit<Propagation, 'updatedAt' | 'revision'> {
  /** When the row last changed, ISO 8601 UTC: the form every operator surface gives an instant in. */
  updatedAt: string;
  /** The registry facility's name, as last seen. */
  name?: string;
  /** The change's outbox job (found by its business key, propagationKey or relinkKey), while it is queued. */
  jobId?: string;
  jobStatus?: OutboxJob['status'];
  /** The job's last error (redacted when stored), while it retries or after it gave up. */
  lastError?: string;
}

export interface PropagationStatus {
  counts: Record<string, Partial<Record<PropagationState, number>>>;
  items: PropagationView[];
}

export async function propagationStatus(store: Store, filter: PropagationFilter = {}): Promise<PropagationStatus> {
  const [counts, rows] = await Promise.all([store.countPropagations(), store.listPropagations(filter)]);
  const items = await Promise.all(rows.map((row) => view(store, row)));
  return { counts, items };
}

async function view(store: Store, row: Propagation): Promise<PropagationView> {
  const record = (await store.getRegistryRecord(row.registryId))?.record as RegistryRecord | undefined;
  // the revision is the store's guard of plans (propagation-revision.ts), nothing an operator reads
  const { revision: _revision, ...shown } = row;
  const named: PropagationView = {
    ...shown,
    updatedAt: new Date(row.updatedAt).toISOString(),
    ...(record?.facility ? { name: record.facility.name } : {}),
  };
  if (row.state !== 'queued') return named;
  // the job holding the key: a refused job's key is taken over by the next (a change held since
  // its link was taken back, then released), and the refused one is kept, oldest first
  const jobs = await rowJobs(store, row);
  const job = jobs.find((j) => !j.supersededBy) ?? jobs[0];
  if (!job) return named;
  const failed = job.status === 'dead' || job.status === 'rejected';
  return {
    ...named,
    jobId: job.id,
    jobStatus: job.status,
    ...(job.lastError ? { lastError: job.lastError } : {}),
    ...(failed ? { state: 'failed', reason: job.lastError ?? job.error?.issues[0]?.diagnostics } : {}),
  };
}
