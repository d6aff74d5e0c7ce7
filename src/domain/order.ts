import type { FacilityRef, Identifier, SourceRef } from './identifiers.js';
import type { ProductRef, Quantity } from './product.js';

export type OrderStatus = 'draft' | 'active' | 'suspended' | 'cancelled' | 'completed' | 'entered-in-error' | 'unknown';
export type OrderPriority = 'routine' | 'urgent' | 'asap' | 'stat';

export interface OrderLine {
  /** The client's id for this line (the SupplyRequest id), kept so reads give the same ids back. */
  lineId?: string;
  /** The line's own business identifiers other than the order number. */
  identifiers?: Identifier[];
  product: ProductRef;
  quantity: Quantity;
  explanation?: string;
}

/**
 * One order: a requisition in OpenLMIS, a request requisition in Open mSupply. On the FHIR side
 * it is one SupplyRequest per line, all carrying the same order identifier.
 */
export interface Order {
  id?: string;
  /** The order identifier shared by every line; the idempotency key of the order. */
  orderNumber: Identifier;
  status: OrderStatus;
  priority: OrderPriority;
  /** The facility that receives the goods (SupplyRequest.deliverTo). */
  facility: FacilityRef;
  /** The facility or warehouse that supplies (SupplyRequest.deliverFrom). */
  supplier?: FacilityRef;
  /** Program code (OpenLMIS program), from SupplyRequest.category. */
  program?: string;
  requester?: string;
  authoredOn?: string;
  /** Period the order covers or delivery is wanted in. */
  period?: { start?: string; end?: string };
  /** When the facility needs the goods (SupplyRequest.occurrenceDateTime): a date or date-time. */
  neededBy?: string;
  lines: OrderLine[];
  source?: SourceRef;
  lastUpdated?: string;
  /**
   * Which change of the order this is: absent for the order as first written, 1 for its first
   * amendment (a PUT or PATCH that changes it, or its cancellation), and so on. Set by routing
   * from what the outbox already holds; the connector keeps it upstream so an older revision
   * delivered late never overwrites a newer one.
   */
  revision?: number;
}
