import { InvalidInputError } from '../../domain/errors.js';
import type { Json } from './common.js';

/**
 * Who received a delivery and who delivered it, as the systems written to can keep them: by name
 * only. OpenLMIS's proof of delivery keeps `receivedBy` and `deliveredBy` as free text (one name
 * each); Open mSupply's inbound shipment, OpenMRS's stock operation and DHIS2's consignment event
 * keep neither. A `receiver` or `supplier` is therefore kept as its `display`, and a reference
 * beside it (a Practitioner, an Organization) is not kept: no system here holds one. Given by
 * reference or identifier alone, it names no one a system could keep, and was dropped without a
 * word (the read back had no receiver): a 422 at it, asking for the name. A second receiver was
 * dropped too: the proof of delivery keeps one name.
 */
export function receiverName(r: Json, path: string): string | undefined {
  const receivers: Json[] = Array.isArray(r.receiver) ? r.receiver : [];
  if (receivers.length > 1)
    throw new InvalidInputError(
      `${path}.receiver has ${receivers.length} entries: a delivery is received by one person here (OpenLMIS's proof of delivery keeps one name, receivedBy); send the one who received it`,
      `${path}.receiver[1]`,
      422,
      'business-rule',
    );
  return receivers.length ? nameOf(receivers[0], `${path}.receiver[0]`, 'who received it') : undefined;
}

/** The supplier's name (OpenLMIS's deliveredBy); see receiverName. */
export function supplierName(r: Json, path: string): string | undefined {
  return r.supplier ? nameOf(r.supplier, `${path}.supplier`, 'who delivered it') : undefined;
}

function nameOf(ref: Json, at: string, who: string): string {
  const display = typeof ref?.display === 'string' ? ref.display.trim() : '';
  if (display) return ref.display;
  throw new InvalidInputError(
    `${at} has no display: ${who} is kept by name only (OpenLMIS's proof of delivery keeps a name; a reference or identifier is kept by no system here, and would be dropped); give ${at}.display`,
    `${at}.display`,
    422,
    'required',
  );
}
