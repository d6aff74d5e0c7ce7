import type { FacilityRef, Identifier, SourceRef } from './identifiers.js';
import type { Lot, ProductRef, Quantity } from './product.js';

export type DeliveryStatus = 'in-progress' | 'completed' | 'abandoned' | 'entered-in-error';

export interface DeliveryLine {
  lineId?: string;
  product: ProductRef;
  /** What was shipped (packs in OpenLMIS). */
  quantityShipped?: Quantity;
  /** What the facility accepted. */
  quantityAccepted?: Quantity;
  /** What the facility rejected, with the reason. */
  quantityRejected?: Quantity;
  rejectionReason?: string;
  lot?: Lot;
  /** Vaccine vial monitor stage where used (STAGE_1 … STAGE_4). */
  vvmStatus?: string;
}

/**
 * One shipment or proof of delivery. On the FHIR side: R5 one SupplyDelivery with several
 * suppliedItem; R4 one SupplyDelivery per line sharing the delivery identifier.
 */
export interface Delivery {
  id?: string;
  identifier: Identifier;
  status: DeliveryStatus;
  /**
   * The order this delivery fulfils (order number), and the order lines when known. `orderId`: that
   * order as the delivering system reads it (its Order.id: an OpenLMIS requisition), where the
   * line ids are ones the system derives, so a read of a line it names finds that order.
   */
  basedOn?: { orderNumber?: Identifier; lineIds?: string[]; orderId?: string };
  destination: FacilityRef;
  supplier?: FacilityRef;
  occurredAt?: string;
  /**
   * A read's word on how its system keeps the client's date received: as the instant sent (DHIS2's
   * consignment events) or as its day (an OpenLMIS proof of delivery's receivedDate); Open
   * mSupply's receivedDatetime is its own stamp (setting it is backdating, refused on a receipt). A completed delivery sent again with another one at
   * that precision is a change to write, not "this confirmation again"; none: the system keeps no
   * date of the client's, so none is compared (fhir/applied-already.ts).
   */
  dateReceivedKept?: 'instant' | 'day';
  /**
   * Other instants the system holds as occurredAt (kept 'instant'): DHIS2 keeps a wall time without
   * an offset, so the two passes of an hour an autumn clock change repeats are one to it; a receipt
   * sent in the later pass and read back as the earlier is, sent so again, in place.
   */
  receivedAtAlso?: string[];
  receivedBy?: string;
  lines: DeliveryLine[];
  source?: SourceRef;
  lastUpdated?: string;
  /**
   * Which of the in-progress writes (drafts) of this delivery this one is, from 2 on: a draft
   * saved again with other counts is a write of its own, keyed apart (routing/delivery-drafts.ts).
   */
  draft?: number;
}

/**
 * Whether a delivery is based on `basedOn`: one of its order lines by the id the orders flow gives
 * it (a SupplyRequest search's), or its order by the id its system reads it under (`orderId`),
 * which routing asks by for a line an app wrote under its own id (RoutedFlow.inSystemTerms).
 */
export function basedOnMatches(d: Pick<Delivery, 'basedOn'>, basedOn: string): boolean {
  return !!d.basedOn?.lineIds?.includes(basedOn) || (!!d.basedOn?.orderId && d.basedOn.orderId === basedOn);
}

/**
 * The order a delivery names, in a client's words: its order number, else "named in basedOn" (it
 * names order lines); undefined when it names no order. Said where no delivery fulfils that order.
 */
export function orderNamedBy(d: Pick<Delivery, 'basedOn'>): string | undefined {
  return d.basedOn?.orderNumber?.value ?? (d.basedOn?.lineIds?.length ? 'named in basedOn' : undefined);
}
