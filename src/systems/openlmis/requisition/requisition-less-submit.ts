import { randomUUID } from 'node:crypto';
import { BusinessRuleError, isTransient, type Order } from '../../../domain/index.js';
import type { StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { LMIS } from '../errors.js';
import { readOrder } from '../proof-of-delivery/fulfillment-reads.js';
import { buildRequisitionLessBody, isOwnDraft, type RequisitionLessLine } from './requisition-less.js';
import type { ResolvedOrder } from './requisition-resolve.js';
import { orderStatusOfFulfillmentOrder } from './requisition-status.js';
import { toUnit } from '../product/units.js';
import { isRefused, refusalError, refusalOf, undoDraftOrder, type Refused } from './requisition-undo.js';
import * as api from '../api.js';

/**
 * The requisition-less path (see requisition-less.ts for when it applies): create the draft order
 * (packs), then send it. OpenLMIS has no Idempotency-Key here, and a crash can fall between its
 * answer and the journal's record. So an intent is journaled before the POST: an attempt that
 * finds an intent from an earlier one (which may have posted) first looks for that draft among
 * the facility's unsent requisition-less orders (a draft stays CREATING until the send step). A
 * first attempt never looks, so it cannot take a draft someone made by hand in OpenLMIS.
 */
function packLines(order: Order, r: ResolvedOrder): RequisitionLessLine[] {
  return r.lines.map((l) => ({
    orderable: { id: l.orderable.id, versionNumber: l.orderable.versionNumber },
    orderedQuantity: toUnit(l.quantity, 'pack', l.orderable, `${l.where}.quantity`),
  }));
}

/** When this order's create was first attempted; a draft older than that (less clock skew) is not ours. */
interface CreateIntent {
  token: string;
  at: string;
}

/** Tolerated difference between our clock and OpenLMIS's when comparing a draft's createdDate. */
const CLOCK_SKEW_MS = 60_000;

interface DraftQuery {
  order: Order;
  r: ResolvedOrder;
  supplierId: string;
  lines: RequisitionLessLine[];
  intent: CreateIntent;
}

async function findOwnDraft(client: LmisClient, q: DraftQuery): Promise<string | undefined> {
  const drafts = await api.listOrders(client, {
    requestingFacilityId: q.r.facilityId,
    supplyingFacilityId: q.supplierId,
    programId: q.r.program.id,
    status: 'CREATING',
    requisitionless: true,
  });
  const notBefore = Date.parse(q.intent.at) - CLOCK_SKEW_MS;
  for (const d of drafts) {
    const full = await readOrder(client, d.id);
    if (isOwnDraft(full, q.order.orderNumber, q.lines, notBefore)) return full.id;
  }
  return undefined;
}

async function createDraft(client: LmisClient, q: DraftQuery, resumed: boolean): Promise<string> {
  if (resumed) {
    const existing = await findOwnDraft(client, q);
    if (existing) return existing;
  }
  const body = buildRequisitionLessBody({
    facilityId: q.r.facilityId,
    supplierId: q.supplierId,
    programId: q.r.program.id,
    lines: q.lines,
    orderNumber: q.order.orderNumber,
    authoredOn: q.order.authoredOn,
  });
  try {
    return (await api.createRequisitionLessOrder(client, body)).id;
  } catch (err) {
    if (!isTransient(err)) throw err;
    const found = await findOwnDraft(client, q);
    if (found) return found;
    throw err;
  }
}

async function send(client: LmisClient, id: string): Promise<string> {
  const current = await readOrder(client, id);
  if (current.status !== 'CREATING') return current.status ?? 'ORDERED';
  const sent = await api.sendRequisitionLessOrder(client, id);
  return sent.status ?? 'ORDERED';
}

/** The supplier and the lines in packs: what a requisition-less order needs, read-only. */
async function supplierAndPacks(
  deps: OpenLmisDeps,
  order: Order,
  r: ResolvedOrder,
): Promise<{ supplier: { id: string }; lines: RequisitionLessLine[] }> {
  if (!order.supplier) {
    throw new BusinessRuleError(
      `facility ${r.facilityCode} has no requisition period for program ${r.program.code}, so the order goes to OpenLMIS as a requisition-less order, which needs the supplying facility (SupplyRequest.deliverFrom)`,
      'Order.supplier',
    );
  }
  return { supplier: await deps.resolveFacility(order.supplier, 'Order.supplier'), lines: packLines(order, r) };
}

export async function precheckRequisitionLess(deps: OpenLmisDeps, order: Order, r: ResolvedOrder): Promise<void> {
  await supplierAndPacks(deps, order, r);
}

export async function submitRequisitionLess(
  deps: OpenLmisDeps,
  order: Order,
  r: ResolvedOrder,
  journal: StepJournal,
): Promise<WriteResult> {
  const { supplier, lines } = await supplierAndPacks(deps, order, r);
  const { client } = deps;
  const mine: CreateIntent = { token: randomUUID(), at: new Date().toISOString() };
  const intent = await journal.run('create-order-intent', async () => mine);
  const q: DraftQuery = { order, r, supplierId: supplier.id, lines, intent };
  const id = await journal.run('create-order', () => createDraft(client, q, intent.token !== mine.token));
  // a send refused for good removes the draft again (journaled first, so a crash resumes into the delete)
  const sent = await journal.run('send-order', async (): Promise<string | Refused> => {
    try {
      return await send(client, id);
    } catch (err) {
      return refusalOf(err);
    }
  });
  if (isRefused(sent))
    throw refusalError(
      sent,
      `the requisition-less order ${id} created for it`,
      await journal.run('undo-create-order', () => undoDraftOrder(client, id)),
    );
  return { system: LMIS, ids: { order: id }, status: orderStatusOfFulfillmentOrder(sent) };
}
