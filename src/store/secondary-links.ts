import type { Migration } from './migrations.js';

/**
 * v60: the links of a fanned-out write's secondary targets not of record again. A write sent to
 * several systems links its FHIR ids in each, a secondary target's not of record (routing's
 * acceptRequests; reads go to the system of record). Until 8c8b1862 a search or read the
 * secondary system answered upserted its link as of record (and newer), so every later read by
 * those ids went to the secondary; links a read makes have kept the stored mark since, which
 * leaves the links flipped before as they were. A secondary target's job is keyed by its primary
 * job's key and its own system (routing/flows.ts secondaryKey: `key|system`): a link of record
 * still naming such a job, beside its primary job, is set back to not of record. A link whose job
 * the retention has deleted cannot be told and is left (its next write of the record marks it).
 * The primary job is found by its key (outbox_jobs_key); each link once.
 */
export const SECONDARY_LINKS_VERSION = 60;

export const SECONDARY_LINKS: Migration = {
  version: SECONDARY_LINKS_VERSION,
  name: "resource_links: a fanned-out write's secondary links flipped by a read, not of record again",
  sql: `
UPDATE resource_links SET system_of_record = 0
WHERE system_of_record = 1 AND job_id IS NOT NULL AND EXISTS (
  SELECT 1 FROM outbox_jobs s JOIN outbox_jobs p
    ON p.idempotency_key = substr(s.idempotency_key, 1, length(s.idempotency_key) - length(s.system) - 1)
    AND p.flow = s.flow AND p.system <> s.system
  WHERE s.id = resource_links.job_id AND s.system = resource_links.system
    AND substr(s.idempotency_key, length(s.idempotency_key) - length(s.system)) = '|' || s.system);
`,
};
