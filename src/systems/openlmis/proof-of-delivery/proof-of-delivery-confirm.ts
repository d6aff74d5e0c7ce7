import { BusinessRuleError, ConflictError, type Delivery } from '../../../domain/index.js';
import type { PodLineDto, ProofOfDeliveryDto, ShipmentDto } from './shipment-dto.js';

/**
 * Confirming a proof of delivery = PUT the whole POD with status CONFIRMED (there is no /confirm
 * endpoint, reference §3.3). Pure planning: match each received line to a POD line, check the
 * quantities OpenLMIS will check (accepted + rejected = shipped, a reason for rejections, VVM
 * where used) so the client gets a 422 naming its own line instead of an upstream 400, and build
 * the body. Quantities here are packs.
 */
export interface ReceivedLine {
  orderableId: string;
  /** Resolved lot id; undefined when the client named no lot, null when it named one that does not exist. */
  lotId?: string | null;
  accepted: number;
  rejected: number;
  /** A draft's line not counted yet (no quantity): saved without quantities (accepted, rejected 0 here). */
  uncounted?: boolean;
  rejectionReasonId?: string;
  vvmStatus?: string;
  /** Where the line is in the domain object (error expressions) and how to name it (product code, lot). */
  where: string;
  label: string;
}

export interface ConfirmMeta {
  receivedBy: string;
  deliveredBy: string;
  /** YYYY-MM-DD */
  receivedDate: string;
}

const VVM_STAGES = ['STAGE_1', 'STAGE_2', 'STAGE_3', 'STAGE_4'];

function matchPodLine(pod: ProofOfDeliveryDto, line: ReceivedLine): PodLineDto {
  const candidates = (pod.lineItems ?? []).filter(
    (p) => p.orderable.id === line.orderableId && (line.lotId === undefined || (p.lot?.id ?? null) === line.lotId),
  );
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0)
    throw new BusinessRuleError(`${line.label} is not in proof of delivery ${pod.id}`, line.where);
  throw new BusinessRuleError(
    `${line.label} was shipped in several lots in proof of delivery ${pod.id}: name the lot`,
    line.where,
  );
}

function shippedOf(shipment: ShipmentDto, podLine: PodLineDto): number {
  const s = (shipment.lineItems ?? []).find(
    (l) => l.orderable.id === podLine.orderable.id && (l.lot?.id ?? null) === (podLine.lot?.id ?? null),
  );
  return s?.quantityShipped ?? 0;
}

/**
 * The checks OpenLMIS makes of a line when it confirms. A draft (`draft`) is saved unchecked by
 * OpenLMIS, which checks at the confirmation: a count in progress (half a line counted, a
 * rejection whose reason is not chosen yet) is saved as it is; only its numbers must be packs.
 */
function checkLine(line: ReceivedLine, shipped: number, podLine: PodLineDto, draft: boolean): void {
  for (const [name, v] of [
    ['accepted', line.accepted],
    ['rejected', line.rejected],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new BusinessRuleError(
        `${line.label}: ${name} quantity must be a whole, non-negative number of packs (got ${v})`,
        line.where,
      );
  }
  if (draft) return;
  if (line.accepted + line.rejected !== shipped) {
    throw new BusinessRuleError(
      `${line.label}: accepted ${line.accepted} + rejected ${line.rejected} packs must equal the ${shipped} packs shipped`,
      line.where,
    );
  }
  if (line.rejected > 0 && !line.rejectionReasonId)
    throw new BusinessRuleError(
      `${line.label}: ${line.rejected} packs rejected without a rejection reason`,
      line.where,
    );
  if (podLine.useVvm && line.accepted > 0 && !VVM_STAGES.includes(line.vvmStatus ?? '')) {
    throw new BusinessRuleError(
      `${line.label}: this product uses vaccine vial monitors; give its VVM status (${VVM_STAGES.join(', ')})`,
      line.where,
    );
  }
}

/**
 * POD line → the received line that confirms it; every shipped POD line must be accounted for.
 * A draft's (`draft`: an in-progress delivery, the POD saved, not confirmed) need not: OpenLMIS
 * saves a draft with lines not counted yet, and checks every line when it is confirmed.
 */
export function matchReceivedLines(
  pod: ProofOfDeliveryDto,
  shipment: ShipmentDto,
  lines: ReceivedLine[],
  describe: (podLine: PodLineDto) => string,
  draft = false,
): Map<PodLineDto, ReceivedLine> {
  const matched = new Map<PodLineDto, ReceivedLine>();
  for (const line of lines) {
    const podLine = matchPodLine(pod, line);
    if (matched.has(podLine)) throw new BusinessRuleError(`${line.label} is given twice`, line.where);
    checkLine(line, shippedOf(shipment, podLine), podLine, draft);
    matched.set(podLine, line);
  }
  if (draft) return matched;
  // a line the client left out is not silently accepted: it may simply not have been counted yet
  const missing = (pod.lineItems ?? []).filter((p) => !matched.has(p) && shippedOf(shipment, p) > 0);
  if (missing.length) {
    throw new BusinessRuleError(
      `the delivery leaves out shipped lines of proof of delivery ${pod.id}: ${missing.map(describe).join(', ')}; give accepted and rejected quantities for every shipped line`,
      'Delivery.lines',
    );
  }
  return matched;
}

/** `status`: CONFIRMED confirms; the POD's own status (INITIATED) saves the draft (same PUT, reference §3.3). */
export function buildConfirmBody(
  pod: ProofOfDeliveryDto,
  matched: Map<PodLineDto, ReceivedLine>,
  meta: ConfirmMeta,
  status = 'CONFIRMED',
): ProofOfDeliveryDto {
  return {
    ...pod,
    status,
    receivedBy: meta.receivedBy,
    deliveredBy: meta.deliveredBy,
    receivedDate: meta.receivedDate,
    lineItems: (pod.lineItems ?? []).map((p) => {
      const line = matched.get(p);
      // a draft's line not counted yet is saved without quantities (a later draft replaces what an earlier said)
      if (status !== 'CONFIRMED' && (!line || line.uncounted))
        return { ...p, quantityAccepted: null, quantityRejected: null, rejectionReasonId: null };
      // lines shipped with 0 packs still need both quantities on confirm
      if (!line) return { ...p, quantityAccepted: 0, quantityRejected: 0, rejectionReasonId: null };
      return {
        ...p,
        quantityAccepted: line.accepted,
        quantityRejected: line.rejected,
        rejectionReasonId: line.rejected > 0 ? (line.rejectionReasonId ?? null) : null,
        vvmStatus: line.vvmStatus ?? p.vvmStatus ?? null,
      };
    }),
  };
}

/** An already confirmed POD that holds exactly these quantities: the retry of a confirmation whose answer was lost. */
export function holdsSameConfirmation(pod: ProofOfDeliveryDto, matched: Map<PodLineDto, ReceivedLine>): boolean {
  for (const [p, line] of matched) {
    if (p.quantityAccepted !== line.accepted || p.quantityRejected !== line.rejected) return false;
    if (line.rejected > 0 && p.rejectionReasonId !== line.rejectionReasonId) return false;
    if (line.vvmStatus && p.vvmStatus !== line.vvmStatus) return false;
  }
  return true;
}

/**
 * What a confirmation sent again states of its receipt that differs from what the confirmed POD
 * keeps: the day received (OpenLMIS keeps a date, so a time of that day is the same) or the
 * receiver. A confirmed POD is not changed again, so this is a 409 naming the element, not the
 * "same confirmation" answer that would tell the client its new date or receiver had landed. What
 * the confirmation leaves out (the first one's defaults: today, the facility) asks for no change.
 */
export function receiptChange(
  pod: ProofOfDeliveryDto,
  d: Pick<Delivery, 'occurredAt' | 'receivedBy'>,
): ConflictError | undefined {
  const day = d.occurredAt?.slice(0, 10);
  if (day && pod.receivedDate && day !== pod.receivedDate)
    return completedWith(pod, `received date ${pod.receivedDate}`, `received on ${day}`, 'Delivery.occurredAt');
  const receiver = d.receivedBy?.trim();
  if (receiver && pod.receivedBy && receiver !== pod.receivedBy.trim())
    return completedWith(pod, `receiver "${pod.receivedBy}"`, `received by "${receiver}"`, 'Delivery.receivedBy');
  return undefined;
}

function completedWith(pod: ProofOfDeliveryDto, kept: string, asked: string, where: string): ConflictError {
  return new ConflictError(
    `proof of delivery ${pod.id} is confirmed (the delivery is completed) with ${kept}; a completed delivery cannot be changed, so it is not ${asked}`,
    409,
    [where],
  );
}
