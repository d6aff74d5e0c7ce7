import { stableId } from './ids.js';
import type { Identifier, ProductRef } from './index.js';

/**
 * The FHIR ids of order and delivery lines, from their business keys: the edge gives a posted
 * line this id, and every connector gives the line it reads back the same one, so a read after
 * a write (and a read on another instance) names the same resource. One formula for all.
 */
export function orderLineId(orderNumber: Identifier, product: ProductRef): string {
  return stableId('SupplyRequest', orderNumber.system, orderNumber.value, product.system, product.code);
}

/** A delivery line: its delivery number, product and lot. */
export function deliveryLineId(deliveryNumber: Identifier, product: ProductRef, lotNumber?: string): string {
  return stableId(
    'SupplyDelivery',
    deliveryNumber.system,
    deliveryNumber.value,
    product.system,
    product.code,
    lotNumber ?? '',
  );
}
