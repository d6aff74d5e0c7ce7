import type { Delivery } from '../domain/index.js';
import type { OutboxJob } from '../store/types.js';

/**
 * The lock a delivery job's write holds while it runs (FlowSpec.writeLock, Store.withLock: an
 * advisory lock on PostgreSQL, so across instances; a mutex of the database file on SQLite), one
 * per delivery and system. Deliveries carry no order key: a queued draft and its completion may
 * be claimed at the same moment (two instances, or two slots of one worker). DHIS2's write reads
 * the consignment's events, then posts them: a draft whose read came before the completion's post
 * and whose post came after it made the received consignment ACTIVE again. Under the lock the
 * later of the two reads what the earlier wrote: a draft after its completion finds the delivery
 * completed (superseded, or refused as such), a completion after a draft completes it. (OpenLMIS
 * itself refuses a draft's PUT of a confirmed proof of delivery; Open mSupply and OpenMRS take no
 * drafts: for them the lock only orders what could not do harm.)
 *
 * By the delivery's identifier, the key its draft and completion share: a draft saved under an
 * app's identifier and completed under the proof of delivery's own (delivery-overtaken.ts
 * writtenTo) takes another lock. An identifier value holding `|` may name another delivery's
 * lock: that serialises two writes more, it orders nothing wrongly.
 */
export function deliveryWriteLock(job: OutboxJob): string | undefined {
  const id = (job.payload as Partial<Delivery>).identifier;
  return id ? `delivery-write|${job.system}|${id.system}|${id.value}` : undefined;
}
