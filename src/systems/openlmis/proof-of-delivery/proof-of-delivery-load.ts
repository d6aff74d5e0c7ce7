import type { Delivery, Identifier } from '../../../domain/index.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { REQUISITION_SYSTEM } from '../identifiers.js';
import { decodeDelivery, type DeliveryLookups, type DeliverySources } from './proof-of-delivery-decode.js';
import { orderNumberOf } from '../requisition/requisition-decode.js';
import { orderNumberOfOrder } from '../requisition/requisition-less.js';
import { readRequisition } from '../requisition/requisition-lookup.js';
import type { FulfillmentOrderDto, ProofOfDeliveryDto, ShipmentDto } from './shipment-dto.js';
import { readOrder, readPod, readShipment } from './fulfillment-reads.js';
import * as api from '../api.js';

/**
 * Loading what one Delivery is made of (order → shipment → POD, plus the requisition for the
 * order number) and the reference data its lines need (products, lots, reason names).
 */

export function shipmentsOf(client: LmisClient, orderId: string): Promise<ShipmentDto[]> {
  return api.listShipments(client, orderId);
}

export async function podOfShipment(client: LmisClient, shipmentId: string): Promise<ProofOfDeliveryDto | undefined> {
  return (await api.listProofsOfDelivery(client, shipmentId))[0];
}

/** The order number the delivery is based on: the requisition's (what the client ordered under). */
export async function orderNumberOfFulfillmentOrder(
  client: LmisClient,
  order: FulfillmentOrderDto,
): Promise<Identifier> {
  if (!order.externalId) return orderNumberOfOrder(order);
  const requisition = await readRequisition(client, order.externalId);
  return requisition ? orderNumberOf(requisition) : { system: REQUISITION_SYSTEM, value: order.externalId };
}

export async function sourcesOf(
  client: LmisClient,
  order: FulfillmentOrderDto,
  shipment: ShipmentDto,
  pod: ProofOfDeliveryDto | undefined,
  orderNumber?: Identifier,
): Promise<DeliverySources> {
  return { order, shipment, pod, orderNumber: orderNumber ?? (await orderNumberOfFulfillmentOrder(client, order)) };
}

/** Sources of the delivery with this POD (or shipment) id, or undefined. */
export async function sourcesById(client: LmisClient, id: string): Promise<DeliverySources | undefined> {
  const pod = await readPod(client, id);
  const shipment = await readShipment(client, pod ? pod.shipment.id : id);
  if (!shipment) return undefined;
  const order = await readOrder(client, shipment.order.id);
  return sourcesOf(client, order, shipment, pod ?? (await podOfShipment(client, shipment.id)));
}

interface OrderableInfo {
  productCode: string;
  fullProductName?: string;
  tradeItemId?: string;
}

async function orderableInfo(deps: OpenLmisDeps, src: DeliverySources): Promise<Map<string, OrderableInfo>> {
  const map = new Map<string, OrderableInfo>();
  for (const l of src.order.orderLineItems ?? []) {
    const tradeItem = (l.orderable.identifiers as { tradeItem?: string } | undefined)?.tradeItem;
    if (l.orderable.productCode)
      map.set(l.orderable.id, {
        productCode: l.orderable.productCode,
        fullProductName: l.orderable.fullProductName ?? undefined,
        tradeItemId: tradeItem,
      });
  }
  // shipped products the order does not embed (substitutes, other versions): reference data
  for (const s of src.shipment.lineItems ?? []) {
    if (map.has(s.orderable.id)) continue;
    const o = await deps.refs.orderableById(
      s.orderable.id,
      s.orderable.versionNumber === undefined || s.orderable.versionNumber === null
        ? undefined
        : Number(s.orderable.versionNumber),
    );
    if (o)
      map.set(o.id, { productCode: o.productCode, fullProductName: o.fullProductName, tradeItemId: o.tradeItemId });
  }
  return map;
}

async function lotInfo(deps: OpenLmisDeps, src: DeliverySources, orderables: Map<string, OrderableInfo>) {
  const lots = new Map<string, { lotCode: string; expirationDate?: string | null }>();
  const tradeItems = new Set(
    (src.shipment.lineItems ?? [])
      .filter((s) => s.lot?.id)
      .map((s) => orderables.get(s.orderable.id)?.tradeItemId)
      .filter((t): t is string => !!t),
  );
  for (const t of tradeItems) for (const lot of await deps.refs.lots(t)) lots.set(lot.id, lot);
  return lots;
}

/** Reason names of the receiving facility's program and type (reason ids differ per install: names are what clients know). */
export async function reasonsFor(deps: OpenLmisDeps, order: FulfillmentOrderDto) {
  const facilityId = (order.receivingFacility ?? order.requestingFacility)?.id;
  const facility = facilityId ? await deps.refs.facilityById(facilityId) : undefined;
  if (!facility?.typeCode || !order.program?.id) return [];
  return deps.refs.reasons(order.program.id, facility.typeCode);
}

export async function lookupsFor(deps: OpenLmisDeps, src: DeliverySources): Promise<DeliveryLookups> {
  const orderables = await orderableInfo(deps, src);
  const lots = await lotInfo(deps, src, orderables);
  const needReasons = (src.pod?.lineItems ?? []).some((l) => l.rejectionReasonId);
  const reasons = new Map((needReasons ? await reasonsFor(deps, src.order) : []).map((r) => [r.id, r.name]));
  return {
    orderable: (id) => orderables.get(id),
    lot: (id) => lots.get(id),
    reasonName: (id) => reasons.get(id),
    products: deps.products,
  };
}

export async function loadDelivery(deps: OpenLmisDeps, src: DeliverySources): Promise<Delivery> {
  return decodeDelivery(src, await lookupsFor(deps, src));
}
