import { basedOnMatches, type Delivery } from '../domain/index.js';
import type { SearchCriteria } from './ports.js';

/**
 * Whether a delivery a system listed for a facility meets the rest of a search: the systems that
 * list every delivery of the facility and filter themselves (DHIS2 consignment events, OpenMRS
 * transfers) ignored `identifier`, `based-on` or `supplier`, and answered every delivery of the
 * facility for any value. The identifier is matched by value, as each system matches it (a
 * delivery reads back under the system's own identifier system, not the client's); a delivery
 * that names no order lines or no supplier matches no `based-on` or `supplier`.
 */
export function deliveryMatches(d: Delivery, c: SearchCriteria): boolean {
  if (c.identifier && d.identifier.value !== c.identifier.value) return false;
  if (c.basedOn && !d.basedOn?.lineIds?.includes(c.basedOn)) return false;
  if (c.supplier && d.supplier?.id !== c.supplier) return false;
  return true;
}

/**
 * Whether a delivery written under the identifier a search names meets the rest of it, in its
 * system's terms (RoutedFlow.inSystemTerms: the facility's and the order's upstream ids): its
 * system listed it under its own identifier, so the connector's filters never saw it.
 */
export function writtenDeliveryMatches(d: Delivery, c: SearchCriteria): boolean {
  if (c.status && !c.status.split(',').includes(d.status)) return false;
  if (c.facility && d.destination.id !== c.facility) return false;
  if (c.basedOn && !basedOnMatches(d, c.basedOn)) return false;
  return deliveryMatches(d, { ...c, identifier: undefined, basedOn: undefined });
}
