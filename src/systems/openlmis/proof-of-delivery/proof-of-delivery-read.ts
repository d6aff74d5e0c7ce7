import { type Delivery } from '../../../domain/index.js';
import type { Page, SearchCriteria } from '../../../routing/ports.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import {
  loadDelivery,
  orderNumberOfFulfillmentOrder,
  podOfShipment,
  shipmentsOf,
  sourcesById,
  sourcesOf,
} from './proof-of-delivery-load.js';
import type { DeliverySources } from './proof-of-delivery-decode.js';
import { readRequisition } from '../requisition/requisition-lookup.js';
import type { FulfillmentOrderDto } from './shipment-dto.js';
import { isUuid } from '../identifiers.js';
import { searchFacilityFilter } from '../facility/facility-resolver.js';
import * as api from '../api.js';

/**
 * Reading deliveries: orders for the receiving facility → their shipments → proofs of delivery.
 * Only orders that reached SHIPPED or RECEIVED have a finalised shipment, so only those are read.
 * basedOn accepts an order number, a requisition id or a SupplyRequest (line) id.
 */
const SHIPPED_STATUSES = ['SHIPPED', 'RECEIVED'];

export async function getDelivery(deps: OpenLmisDeps, id: string): Promise<Delivery | undefined> {
  if (!isUuid(id)) return undefined;
  const src = await sourcesById(deps.client, id);
  return src ? loadDelivery(deps, src) : undefined;
}

/** When basedOn is a requisition id, only that requisition's orders (same facility, program and period). */
async function ordersOfRequisition(
  client: LmisClient,
  requisitionId: string,
): Promise<FulfillmentOrderDto[] | undefined> {
  const r = await readRequisition(client, requisitionId);
  if (!r?.facility?.id) return undefined;
  const orders = await api.listOrders(client, {
    requestingFacilityId: r.facility.id,
    programId: r.program?.id,
    processingPeriodId: r.processingPeriod?.id,
  });
  return orders.filter((o) => o.externalId === requisitionId);
}

async function candidateOrders(
  deps: OpenLmisDeps,
  facilityId: string | undefined,
  basedOn: string | undefined,
): Promise<FulfillmentOrderDto[]> {
  if (basedOn && isUuid(basedOn)) {
    const orders = await ordersOfRequisition(deps.client, basedOn);
    if (orders)
      return orders.filter(
        (o) => !facilityId || o.requestingFacility?.id === facilityId || o.receivingFacility?.id === facilityId,
      );
  }
  return api.listOrders(deps.client, { requestingFacilityId: facilityId, status: SHIPPED_STATUSES });
}

async function sourcesOfOrder(client: LmisClient, order: FulfillmentOrderDto): Promise<DeliverySources[]> {
  const [shipments, orderNumber] = await Promise.all([
    shipmentsOf(client, order.id),
    orderNumberOfFulfillmentOrder(client, order),
  ]);
  // the order number comes from the order's requisition: read once per order, not once per shipment
  return Promise.all(
    shipments.map(async (s) => sourcesOf(client, order, s, await podOfShipment(client, s.id), orderNumber)),
  );
}

function matchesBasedOn(d: Delivery, basedOn: string | undefined, src: DeliverySources): boolean {
  if (!basedOn) return true;
  const lineId = basedOn.replace(/^SupplyRequest\//, '');
  return (
    d.basedOn?.orderNumber?.value === basedOn ||
    src.order.externalId === basedOn ||
    !!d.basedOn?.lineIds?.includes(lineId)
  );
}

function matchesIdentifier(d: Delivery, identifier: SearchCriteria['identifier']): boolean {
  return (
    !identifier ||
    (d.identifier.value === identifier.value && (!identifier.system || d.identifier.system === identifier.system))
  );
}

/** The shipped deliveries of a facility (optionally narrowed by basedOn), each with the OpenLMIS objects it was read from. */
export async function deliveriesOf(
  deps: OpenLmisDeps,
  facilityId: string | undefined,
  basedOn?: string,
): Promise<Array<{ src: DeliverySources; delivery: Delivery }>> {
  const orders = await candidateOrders(deps, facilityId, basedOn);
  const sources = (await Promise.all(orders.map((o) => sourcesOfOrder(deps.client, o)))).flat();
  const decoded = await Promise.all(sources.map(async (src) => ({ src, delivery: await loadDelivery(deps, src) })));
  return decoded.filter(({ src, delivery }) => matchesBasedOn(delivery, basedOn, src));
}

export async function searchDeliveries(deps: OpenLmisDeps, criteria: SearchCriteria): Promise<Page<Delivery>> {
  const ids =
    criteria.ids ??
    (criteria.identifier && isUuid(criteria.identifier.value) ? [criteria.identifier.value] : undefined);
  let found: Delivery[];
  if (ids) {
    found = (await Promise.all(ids.map((id) => getDelivery(deps, id)))).filter((d): d is Delivery => !!d);
  } else {
    const facilityId = await searchFacilityFilter(deps.resolveFacility, criteria.facility, 'destination');
    if (facilityId === null) return { items: [] };
    found = (await deliveriesOf(deps, facilityId, criteria.basedOn)).map(({ delivery }) => delivery);
  }
  const items = found
    .filter(
      (d) =>
        (!criteria.status || criteria.status.split(',').includes(d.status)) &&
        matchesIdentifier(d, criteria.identifier) &&
        // the supplying facility of the order (its depot): ignored before, so any supplier matched
        (!criteria.supplier || d.supplier?.id === criteria.supplier),
    )
    .sort((a, b) => (b.occurredAt ?? '').localeCompare(a.occurredAt ?? '') || (a.id ?? '').localeCompare(b.id ?? ''));
  return { items };
}
