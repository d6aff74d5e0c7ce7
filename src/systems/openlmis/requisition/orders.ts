import type { OrderCapability } from '../../../routing/ports.js';
import type { OpenLmisDeps } from '../types.js';
import { getOrder, searchOrders } from './requisition-read.js';
import { precheckOrder, submitOrder } from './requisition-submit.js';
import { amendOrder, precheckAmendment } from './requisition-amend.js';
import { cancelOrder, precheckCancellation } from './requisition-cancel.js';

/**
 * Orders ↔ OpenLMIS requisitions (reference §3.1, §3.4): submit runs initiate → fill → submit
 * (→ authorize) through the step journal, or a requisition-less order where no period exists
 * (requisition-less.ts); get/search read requisitions back as Orders.
 */
export function createOrderCapability(deps: OpenLmisDeps): OrderCapability {
  return {
    submit: (order, journal) => submitOrder(deps, order, journal),
    precheck: (order, earlier) => precheckOrder(deps, order, earlier),
    amend: (order, journal) => amendOrder(deps, order, journal),
    cancel: (order, journal) => cancelOrder(deps, order, journal),
    precheckChange: (order) =>
      order.status === 'cancelled' ? precheckCancellation(deps, order) : precheckAmendment(deps, order),
    get: (id) => getOrder(deps, id),
    search: (criteria) => searchOrders(deps, criteria),
  };
}
