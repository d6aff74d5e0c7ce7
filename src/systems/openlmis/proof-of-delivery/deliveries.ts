import type { DeliveryCapability } from '../../../routing/ports.js';
import type { OpenLmisDeps } from '../types.js';
import { getDelivery, searchDeliveries } from './proof-of-delivery-read.js';
import { confirmDelivery, precheckDelivery } from './proof-of-delivery-submit.js';

/**
 * Deliveries ↔ OpenLMIS shipments and proofs of delivery (reference §3.3, §3.4): read as
 * Deliveries for the receiving facility; a received Delivery confirms the POD (PUT, CONFIRMED).
 */
export function createDeliveryCapability(deps: OpenLmisDeps): DeliveryCapability {
  return {
    get: (id) => getDelivery(deps, id),
    search: (criteria) => searchDeliveries(deps, criteria),
    confirm: (delivery, journal) => confirmDelivery(deps, delivery, journal),
    precheck: (delivery) => precheckDelivery(deps, delivery),
  };
}
