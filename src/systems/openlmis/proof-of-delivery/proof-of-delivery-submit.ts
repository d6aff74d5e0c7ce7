import {
  BusinessRuleError,
  CompletedUpstreamError,
  ConflictError,
  type Delivery,
  type DeliveryLine,
} from '../../../domain/index.js';
import type { StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisReason, OpenLmisDeps } from '../types.js';
import { LMIS, lmisMessageKey } from '../errors.js';
import {
  buildConfirmBody,
  holdsSameConfirmation,
  matchReceivedLines,
  receiptChange,
  type ConfirmMeta,
  type ReceivedLine,
} from './proof-of-delivery-confirm.js';
import { findPodFor } from './proof-of-delivery-find.js';
import { readOrder, readPod, readShipment } from './fulfillment-reads.js';
import { reasonsFor } from './proof-of-delivery-load.js';
import type { FulfillmentOrderDto, PodLineDto, ProofOfDeliveryDto, ShipmentDto } from './shipment-dto.js';
import { toUnit } from '../product/units.js';
import * as api from '../api.js';

/**
 * Delivery received → proof of delivery CONFIRMED (reference §3.3); in-progress → its draft saved.
 * Steps: find-pod, confirm.
 * Confirm reads the POD first, so a retry after a lost answer finds it CONFIRMED: with exactly the
 * same quantities that is success without a second write; with other quantities it is a 409 —
 * and so is the upstream's own 400 alreadyConfirmed, which a client should never see as a 400.
 */
const ALREADY_CONFIRMED = 'fulfillment.error.proofOfDelivery.alreadyConfirmed';

interface PodContext {
  pod: ProofOfDeliveryDto;
  shipment: ShipmentDto;
  order: FulfillmentOrderDto;
}

function alreadyConfirmed(podId: string): ConflictError {
  return new CompletedUpstreamError(
    `proof of delivery ${podId} is already confirmed, with other quantities than this delivery`,
    podId,
    ['Delivery.identifier'],
  );
}

interface OrderableRef {
  id: string;
  productCode: string;
  netContent: number;
  tradeItemId?: string;
}

/** The orderable of a received line: the order's own products first (they carry pack sizes), else reference data. */
async function orderableOf(
  deps: OpenLmisDeps,
  ctx: PodContext,
  productCode: string,
  where: string,
): Promise<OrderableRef> {
  const embedded = (ctx.order.orderLineItems ?? []).find((l) => l.orderable.productCode === productCode)?.orderable;
  if (embedded?.netContent) {
    return {
      id: embedded.id,
      productCode,
      netContent: embedded.netContent,
      tradeItemId: (embedded.identifiers as { tradeItem?: string } | undefined)?.tradeItem,
    };
  }
  const o = await deps.refs.orderableByCode(productCode);
  if (!o) throw new BusinessRuleError(`product ${productCode} is not an orderable in OpenLMIS`, where);
  return o;
}

async function lotIdOf(
  deps: OpenLmisDeps,
  orderable: OrderableRef,
  line: DeliveryLine,
): Promise<string | null | undefined> {
  if (!line.lot?.number) return undefined;
  if (!orderable.tradeItemId) return null;
  return (await deps.refs.lots(orderable.tradeItemId)).find((l) => l.lotCode === line.lot!.number)?.id ?? null;
}

function reasonIdOf(reasons: LmisReason[], name: string | undefined, where: string): string | undefined {
  if (!name) return undefined;
  const wanted = name.trim().toLowerCase();
  const reason = reasons.find((r) => r.name.toLowerCase() === wanted || r.id === name);
  if (!reason)
    throw new BusinessRuleError(
      `rejection reason "${name}" is not a valid reason here (valid: ${reasons.map((r) => r.name).join(', ') || 'none'})`,
      where,
    );
  return reason.id;
}

async function receivedLine(
  deps: OpenLmisDeps,
  ctx: PodContext,
  reasons: LmisReason[],
  line: DeliveryLine,
  i: number,
  draft: boolean,
): Promise<ReceivedLine> {
  const where = `Delivery.lines[${i}]`;
  const productCode = deps.products.toProductCode(line.product, `${where}.product`);
  const orderable = await orderableOf(deps, ctx, productCode, `${where}.product`);
  // a draft's line not counted yet: its product still one of the POD's (matched), saved uncounted
  if (!line.quantityAccepted && draft)
    return {
      orderableId: orderable.id,
      lotId: await lotIdOf(deps, orderable, line),
      accepted: 0,
      rejected: 0,
      uncounted: true,
      where,
      label: line.lot?.number ? `${productCode} lot ${line.lot.number}` : productCode,
    };
  if (!line.quantityAccepted)
    throw new BusinessRuleError(
      `${productCode}: give the accepted quantity (0 when nothing was accepted)`,
      `${where}.quantityAccepted`,
    );
  return {
    orderableId: orderable.id,
    lotId: await lotIdOf(deps, orderable, line),
    accepted: toUnit(line.quantityAccepted, 'pack', orderable, `${where}.quantityAccepted`),
    rejected: line.quantityRejected ? toUnit(line.quantityRejected, 'pack', orderable, `${where}.quantityRejected`) : 0,
    rejectionReasonId: reasonIdOf(reasons, line.rejectionReason, `${where}.rejectionReason`),
    vvmStatus: line.vvmStatus,
    where,
    label: line.lot?.number ? `${productCode} lot ${line.lot.number}` : productCode,
  };
}

function describer(ctx: PodContext): (p: PodLineDto) => string {
  return (p) =>
    (ctx.order.orderLineItems ?? []).find((l) => l.orderable.id === p.orderable.id)?.orderable.productCode ??
    p.orderable.id;
}

function metaOf(d: Delivery, order: FulfillmentOrderDto): ConfirmMeta {
  return {
    receivedBy: d.receivedBy?.trim() || d.destination.display || order.receivingFacility?.name || 'receiving facility',
    deliveredBy: d.supplier?.display?.trim() || order.supplyingFacility?.name || 'supplying facility',
    receivedDate: (d.occurredAt ?? new Date().toISOString()).slice(0, 10),
  };
}

/** `known`: the POD this attempt's find step just read; a resumed attempt reads it afresh. */
async function loadContext(deps: OpenLmisDeps, podId: string, known?: ProofOfDeliveryDto): Promise<PodContext> {
  const pod = known?.id === podId ? known : await readPod(deps.client, podId);
  if (!pod) throw new BusinessRuleError(`proof of delivery ${podId} no longer exists`, 'Delivery.identifier');
  const shipment = await readShipment(deps.client, pod.shipment.id);
  if (!shipment)
    throw new BusinessRuleError(
      `shipment ${pod.shipment.id} of proof of delivery ${podId} no longer exists`,
      'Delivery.identifier',
    );
  return { pod, shipment, order: await readOrder(deps.client, shipment.order.id) };
}

interface PreparedConfirm {
  ctx: PodContext;
  lines: ReceivedLine[];
  matched: ReturnType<typeof matchReceivedLines>;
}

/** Everything the confirmation needs, read and checked without writing (also the delivery's precheck). */
async function prepareConfirm(
  deps: OpenLmisDeps,
  d: Delivery,
  podId: string,
  facilityId: string,
  known?: ProofOfDeliveryDto,
): Promise<PreparedConfirm> {
  const ctx = await loadContext(deps, podId, known);
  const receiving = (ctx.order.receivingFacility ?? ctx.order.requestingFacility)?.id;
  if (receiving && receiving !== facilityId) {
    throw new BusinessRuleError(
      `proof of delivery ${podId} is for facility ${ctx.order.receivingFacility?.code ?? receiving}, not for this delivery's destination`,
      'Delivery.destination',
    );
  }
  const reasons = d.lines.some((l) => l.rejectionReason) ? await reasonsFor(deps, ctx.order) : [];
  const lines: ReceivedLine[] = [];
  const draft = d.status === 'in-progress';
  for (let i = 0; i < d.lines.length; i++) lines.push(await receivedLine(deps, ctx, reasons, d.lines[i], i, draft));
  const matched = matchReceivedLines(ctx.pod, ctx.shipment, lines, describer(ctx), draft);
  if (ctx.pod.status === 'CONFIRMED') sameConfirmationOrRefuse(ctx.pod, d, matched);
  return { ctx, lines, matched };
}

/** A confirmed POD: this delivery is its confirmation sent again (same quantities, date, receiver), or refused 409. */
function sameConfirmationOrRefuse(pod: ProofOfDeliveryDto, d: Delivery, matched: Map<PodLineDto, ReceivedLine>): void {
  if (!holdsSameConfirmation(pod, matched)) throw alreadyConfirmed(pod.id);
  const change = receiptChange(pod, d);
  if (change) throw change;
}

/**
 * Only a received (completed) delivery confirms: confirming is irreversible in OpenLMIS (stock
 * received, order RECEIVED). An in-progress one (counted, not received yet) saves the POD draft,
 * the same PUT without CONFIRMED. A POD has no abandoned or cancelled state: such a write is refused.
 */
function checkWritableStatus(d: Delivery): void {
  if (d.status === 'completed' || d.status === 'in-progress') return;
  throw new BusinessRuleError(
    `a delivery cannot be written ${d.status} to OpenLMIS: a proof of delivery is only saved as a draft (in-progress) or confirmed (completed), and has no ${d.status} state`,
    'Delivery.status',
  );
}

/** The in-progress write: the POD draft saved with these quantities, receiver and date; its status kept. */
async function saveDraft(deps: OpenLmisDeps, prepared: PreparedConfirm, d: Delivery): Promise<string> {
  const { ctx, matched } = prepared;
  const body = buildConfirmBody(ctx.pod, matched, metaOf(d, ctx.order), ctx.pod.status ?? 'INITIATED');
  const saved = await api.saveProofOfDeliveryDraft(deps.client, ctx.pod.id, body);
  return saved.status ?? 'INITIATED';
}

async function confirm(
  deps: OpenLmisDeps,
  d: Delivery,
  podId: string,
  facilityId: string,
  known?: ProofOfDeliveryDto,
): Promise<string> {
  const prepared = await prepareConfirm(deps, d, podId, facilityId, known);
  const { ctx, lines, matched } = prepared;
  // prepareConfirm refused a confirmed POD unless this is its confirmation sent again
  if (ctx.pod.status === 'CONFIRMED') return 'CONFIRMED';
  if (d.status === 'in-progress') return saveDraft(deps, prepared, d);
  try {
    const saved = await api.confirmProofOfDelivery(
      deps.client,
      podId,
      buildConfirmBody(ctx.pod, matched, metaOf(d, ctx.order)),
    );
    return saved.status ?? 'CONFIRMED';
  } catch (err) {
    if (lmisMessageKey(err) !== ALREADY_CONFIRMED) throw err;
    // confirmed by someone (or an attempt whose answer was lost) between our read and our write
    const now = await readPod(deps.client, podId);
    if (!now) throw alreadyConfirmed(podId);
    sameConfirmationOrRefuse(now, d, matchReceivedLines(now, ctx.shipment, lines, describer(ctx)));
    return 'CONFIRMED';
  }
}

export async function confirmDelivery(deps: OpenLmisDeps, d: Delivery, journal: StepJournal): Promise<WriteResult> {
  checkWritableStatus(d);
  if (!d.lines.length) throw new BusinessRuleError('the delivery has no lines', 'Delivery.lines');
  const facility = await deps.resolveFacility(d.destination, 'Delivery.destination');
  let found: ProofOfDeliveryDto | undefined;
  const podId = await journal.run('find-pod', async () => (found = await findPodFor(deps, d, facility.id)).id);
  const status = await journal.run('confirm', () => confirm(deps, d, podId, facility.id, found));
  return {
    system: LMIS,
    ids: { proofOfDelivery: podId },
    status: status === 'CONFIRMED' ? 'completed' : 'in-progress',
  };
}

/** The delivery's precheck: its POD found and every line matched and converted, nothing written. */
export async function precheckDelivery(deps: OpenLmisDeps, d: Delivery): Promise<void> {
  checkWritableStatus(d);
  if (!d.lines.length) throw new BusinessRuleError('the delivery has no lines', 'Delivery.lines');
  const facility = await deps.resolveFacility(d.destination, 'Delivery.destination');
  const pod = await findPodFor(deps, d, facility.id);
  await prepareConfirm(deps, d, pod.id, facility.id, pod);
}
