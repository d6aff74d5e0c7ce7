import { isTransient, stableId, type Identifier } from '../../domain/index.js';
import type { LmisClient } from './api.js';
import { lmisMessageKey } from './errors.js';
import type { RequisitionDto } from './requisition-dto.js';
import { carriesOrderNumber, searchRequisitions } from './requisition-lookup.js';
import { awaitsSubmit } from './requisition-status.js';
import { isUuid } from './identifiers.js';

/**
 * The initiate step: POST /api/requisitions/initiate with an Idempotency-Key. OpenLMIS stores the
 * key before processing, so a request that failed (or whose answer was lost) burns it: the retry
 * gets 409 idempotencyKey.alreadyUsed. In that case, after a transient failure, and when the
 * period turns out to be taken (requisition.error.duplication), we look the requisition up for
 * facility + program + period instead of failing. Only if nothing is found (the burnt key's
 * request really failed) do we initiate again, under a key derived from the first one.
 */
export interface InitiateParams {
  facilityId: string;
  programId: string;
  periodId: string;
  emergency: boolean;
  orderNumber: Identifier;
  idempotencyKey: string;
}

const LOOK_UP_KEYS = new Set(['requisition.error.validation.idempotencyKey.alreadyUsed', 'requisition.error.duplication']);

/** The key as OpenLMIS wants it: a UUID (keys that are not are turned into one deterministically). */
export function idempotencyUuid(key: string): string {
  if (isUuid(key)) return key.toLowerCase();
  const h = stableId('openlmis-idempotency', key);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The requisition the earlier attempt created: ours if it already carries our order number, else
 * (regular requisitions: one per facility/program/period) the period's draft. Emergency
 * requisitions are many per period, so only one carrying our number, or the single draft without
 * any number, counts.
 */
export async function findInitiated(client: LmisClient, p: InitiateParams): Promise<RequisitionDto | undefined> {
  const found = await searchRequisitions(client, { facility: p.facilityId, program: p.programId, processingPeriod: p.periodId, emergency: p.emergency });
  const ours = found.find((r) => carriesOrderNumber(r, p.orderNumber));
  if (ours) return ours;
  const drafts = found.filter((r) => awaitsSubmit(r.status) && !r.extraData?.fhirOrderNumber);
  return drafts.length === 1 ? drafts[0] : undefined;
}

async function postInitiate(client: LmisClient, p: InitiateParams, key: string): Promise<RequisitionDto> {
  return client.call<RequisitionDto>({
    method: 'POST',
    path: '/api/requisitions/initiate',
    query: { program: p.programId, facility: p.facilityId, suggestedPeriod: p.periodId, emergency: p.emergency },
    idempotencyKey: key,
    retry: false,
  });
}

/**
 * The requisition's id, and the full requisition when OpenLMIS just answered the initiate with it
 * (a recovered one comes from a search, which gives no line items).
 */
export async function initiateRequisition(client: LmisClient, p: InitiateParams): Promise<{ id: string; full?: RequisitionDto }> {
  const key = idempotencyUuid(p.idempotencyKey);
  try {
    const full = await postInitiate(client, p, key);
    return { id: full.id, full };
  } catch (err) {
    const recoverable = isTransient(err) || LOOK_UP_KEYS.has(lmisMessageKey(err) ?? '');
    if (!recoverable) throw err;
    const existing = await findInitiated(client, p);
    if (existing) return { id: existing.id };
    if (lmisMessageKey(err) !== 'requisition.error.validation.idempotencyKey.alreadyUsed') throw err;
    // the key was burnt by a request that created nothing: one more try under a derived key
    const full = await postInitiate(client, p, idempotencyUuid(`${key}:again`));
    return { id: full.id, full };
  }
}
