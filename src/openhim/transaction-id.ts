/**
 * OpenHIM transaction ids as core makes them: the MongoDB ObjectId of the transaction it stored
 * before routing, sent as 24 hex digits in `X-OpenHIM-TransactionID` (openhim-core-js
 * src/middleware/messageStore.js storeTransaction). Any other value did not come from core: it is
 * not used as a log id, not kept with a write, and never put in an OpenHIM API URL.
 */
import type { IncomingHttpHeaders } from 'node:http';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export function isOpenHimTransactionId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** The request's OpenHIM transaction id, or undefined when it has none or one core never makes. */
export function openHimTransactionIdOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-openhim-transactionid'];
  const id = Array.isArray(header) ? header[0] : header;
  return isOpenHimTransactionId(id) ? id : undefined;
}

/**
 * The `properties` key the envelope marks a transaction with when it awaits an update from this
 * mediator (a write of it answered before it ended); its value is the mediator's URN. The update
 * is sent only to a transaction core stored with it (transaction-ownership.ts).
 */
export const AWAITS_UPDATE_PROPERTY = 'awaitsUpdateFrom';

/**
 * The `properties` key that names, beside the mark, the writes of the request OpenHIM routed: the
 * random end of each of their outbox job ids (writeTag), space-separated. The update goes to those
 * writes alone (routed-writes.ts): another request carrying the same transaction id, which never
 * passed through core, cannot have its writes named there.
 */
export const AWAITS_UPDATE_OF_PROPERTY = 'awaitsUpdateOfWrites';

/**
 * The `properties` key that names, beside the writes, the request OpenHIM routed: the key its
 * Bundle entry answers and its kept row are recorded under (platform/call-recording.ts
 * requestKeyOf, a random UUID made by the mediator). A request sent directly with the same
 * transaction id and the same writes (their idempotency keys answer it from the same jobs) has
 * another key, which core never keeps: the update is shaped by the rows of this one alone
 * (routed-writes.ts), in whatever order the two were recorded.
 */
export const AWAITS_UPDATE_OF_REQUEST_PROPERTY = 'awaitsUpdateOfRequest';

/**
 * A job id's random end: the last 12 hex digits (48 random bits of a version 7 UUID, job-id.ts;
 * of a version 4 one, as older jobs have, random too). Unguessable for a job a client cannot see.
 */
export function writeTag(jobId: string): string {
  return jobId.slice(-12).toLowerCase();
}

/** The value of AWAITS_UPDATE_OF_PROPERTY for these jobs: each tag once, in order. */
export function writeTagsOf(jobIds: readonly string[]): string {
  return [...new Set(jobIds.map(writeTag))].join(' ');
}
