/**
 * v25 gave each job waiting at the upgrade its payload id as order key: SQL cannot ask a connector
 * what its write finds the record by. A facility's OpenLMIS write is keyed by its code since, so a
 * write of it accepted by an older release (a PUT of Location/[OpenLMIS id], waiting in backoff)
 * and one accepted after the upgrade (a POST by code, whose FHIR id is derived from the code) were
 * two records: the newer one was delivered at once and the older one's retry put the older name
 * back. At start, before any write is accepted, each waiting job of an ordered flow still keyed as
 * v25 left it (by its payload id, or not at all: written by an older instance since) is given the
 * key its write has today (RoutedFlow.keyWaitingJobs). A key another writer chose (the stock
 * bridge's) is never touched.
 */
const keyWaitingJobSql = (payloadId: string) => `UPDATE outbox_jobs SET order_key = $1
  WHERE id = $2 AND status IN ('pending', 'in-flight') AND (order_key IS NULL OR order_key = ${payloadId})`;

export const SQLITE_KEY_WAITING_JOB_SQL = keyWaitingJobSql("json_extract(payload, '$.id')");
export const PG_KEY_WAITING_JOB_SQL = keyWaitingJobSql("payload->>'id'");
