import {
  BusinessRuleError,
  ConflictError,
  sameIdentifier,
  type Identifier,
  type Order,
} from '../../../domain/index.js';
import { stableUuid } from '../../../domain/ids.js';
import type { OrderableDto, RequisitionDto, RequisitionLineDto } from './requisition-dto.js';
import { orderNumberOf } from './requisition-decode.js';
import { REQUISITION_SYSTEM } from '../identifiers.js';
import { authoredOnExtra } from './order-authored.js';

/**
 * The body of the fill PUT (/api/requisitions/{id}): the whole requisition as read, with
 * requestedQuantity and an explanation on the ordered lines and the client's order number in
 * extraData. OpenLMIS ignores invariants on PUT, so sending everything back unchanged is safe and
 * keeps fields we do not model (the template decides which exist).
 */
export interface RequestedLine {
  orderableId: string;
  productCode: string;
  /** Dispensing units (requisitions count dispensing units). */
  requestedQuantity: number;
  explanation: string;
  /** FHIRPath-ish location of the domain line, for error messages. */
  where: string;
}

/** Default explanation: the template requires one whenever a requested quantity is given. */
export function defaultExplanation(orderNumber: Identifier): string {
  // within OpenLMIS's 255 characters whatever the order number's length (limits.ts)
  return `Ordered via FHIR SupplyRequest ${orderNumber.value}`.slice(0, 255);
}

function lineFor(requisition: RequisitionDto, orderableId: string): RequisitionLineDto | undefined {
  return (requisition.requisitionLineItems ?? []).find((l) => l.orderable?.id === orderableId);
}

function addableProduct(requisition: RequisitionDto, orderableId: string): OrderableDto | undefined {
  return [
    ...(requisition.availableFullSupplyProducts ?? []),
    ...(requisition.availableNonFullSupplyProducts ?? []),
  ].find((o) => o?.id === orderableId);
}

/**
 * Every ordered product must be a line of the requisition already, or one OpenLMIS lets us add
 * (the requisition's available products for this facility type and program).
 */
export function assertLinesOnRequisition(requisition: RequisitionDto, lines: RequestedLine[]): void {
  const missing = lines.filter(
    (l) => !lineFor(requisition, l.orderableId) && !addableProduct(requisition, l.orderableId),
  );
  if (missing.length) {
    throw new BusinessRuleError(
      `product ${missing.map((l) => l.productCode).join(', ')} cannot be ordered on requisition ${requisition.id}: OpenLMIS lists it neither as a line nor among the products it may add (program ${requisition.program?.code ?? '?'}, facility ${requisition.facility?.code ?? '?'})`,
      missing.map((l) => l.where),
    );
  }
}

/**
 * A new line for a product the requisition does not list yet. OpenLMIS adds a line whose id it
 * does not know (Requisition.updateReqLines); the id is a stable UUID so the schema's required id
 * is there and a re-sent PUT is identical. A resumed fill finds the line by orderable instead.
 */
function newLine(requisition: RequisitionDto, orderable: OrderableDto, wanted: RequestedLine): RequisitionLineDto {
  return {
    id: stableUuid('openlmis-requisition-line', requisition.id, orderable.id),
    orderable,
    skipped: false,
    requestedQuantity: wanted.requestedQuantity,
    requestedQuantityExplanation: wanted.explanation,
    // required by the line schema; approval fills approvedQuantity, a reviewer the remarks
    approvedQuantity: null,
    remarks: null,
  };
}

/**
 * A requisition for this period that already carries another client's order number holds another
 * order: filling it would silently merge two orders, so it is a conflict for the client to resolve.
 */
export function assertSameOrder(requisition: Pick<RequisitionDto, 'id' | 'extraData'>, orderNumber: Identifier): void {
  const current = orderNumberOf(requisition);
  if (current.system === REQUISITION_SYSTEM) return;
  if (!sameIdentifier(current, orderNumber)) {
    throw new ConflictError(
      `requisition ${requisition.id} for this facility, program and period already holds order ${current.value}; order ${orderNumber.value} cannot be added to it`,
    );
  }
}

/** What the fill PUT records of the order besides its lines: its number and when the client authored it. */
export type OrderStamp = Pick<Order, 'orderNumber' | 'authoredOn'>;

export function buildFillBody(requisition: RequisitionDto, lines: RequestedLine[], order: OrderStamp): RequisitionDto {
  const { orderNumber } = order;
  assertLinesOnRequisition(requisition, lines);
  const byOrderable = new Map(lines.map((l) => [l.orderableId, l]));
  const added = lines
    .filter((l) => !lineFor(requisition, l.orderableId))
    .map((l) => newLine(requisition, addableProduct(requisition, l.orderableId)!, l));
  return {
    ...requisition,
    extraData: {
      ...(requisition.extraData ?? {}),
      fhirOrderNumber: { system: orderNumber.system, value: orderNumber.value },
      ...authoredOnExtra(order),
    },
    requisitionLineItems: (requisition.requisitionLineItems ?? [])
      .map((line) => {
        const wanted = byOrderable.get(line.orderable.id);
        // Lines the order does not name: a regular requisition keeps them as the template left them
        // (null quantity; the stock-based template computes the rest). An emergency requisition needs
        // a requested quantity on every line it keeps, so the lines nobody ordered are skipped.
        if (!wanted)
          return requisition.emergency
            ? { ...line, skipped: true, requestedQuantity: null, requestedQuantityExplanation: null }
            : line;
        return {
          ...line,
          skipped: false,
          requestedQuantity: wanted.requestedQuantity,
          requestedQuantityExplanation: wanted.explanation,
        };
      })
      .concat(added),
  };
}

/** The ordered lines the requisition does not hold as asked (absent, skipped, or another quantity). */
export function linesNotHeld(requisition: RequisitionDto, lines: RequestedLine[]): RequestedLine[] {
  return lines.filter((l) => {
    const line = lineFor(requisition, l.orderableId);
    return !line || line.skipped || line.requestedQuantity !== l.requestedQuantity;
  });
}

/**
 * After the fill PUT: OpenLMIS answers 200 even where it ignored lines it would not add (older
 * servers add only non-full-supply products). Submitting then would send a requisition without
 * what was ordered, so that is refused, naming the products, before any submit.
 */
export function assertLinesHeld(saved: RequisitionDto, lines: RequestedLine[]): void {
  const missing = linesNotHeld(saved, lines);
  if (missing.length) {
    throw new BusinessRuleError(
      `OpenLMIS did not take product ${missing.map((l) => l.productCode).join(', ')} onto requisition ${saved.id} (it answered the update without ${missing.length > 1 ? 'those lines' : 'that line'}); nothing was submitted`,
      missing.map((l) => l.where),
    );
  }
}

/** Whether the requisition already holds exactly these quantities and this order number (a resumed fill can skip its PUT). */
export function isFilled(requisition: RequisitionDto, lines: RequestedLine[], orderNumber: Identifier): boolean {
  const current = orderNumberOf(requisition);
  if (!sameIdentifier(current, orderNumber)) return false;
  return (
    linesNotHeld(requisition, lines).length === 0 &&
    lines.every((l) => !!lineFor(requisition, l.orderableId)?.requestedQuantityExplanation)
  );
}
