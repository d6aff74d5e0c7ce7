import { BusinessRuleError, orderNamedBy, type Delivery, type Identifier } from '../../../domain/index.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { isUuid, PROOF_OF_DELIVERY_SYSTEM, REQUISITION_SYSTEM } from '../identifiers.js';
import { SHIPMENT_SYSTEM } from './proof-of-delivery-decode.js';
import { readPod } from './fulfillment-reads.js';
import { podOfShipment, shipmentsOf } from './proof-of-delivery-load.js';
import { deliveriesOf } from './proof-of-delivery-read.js';
import { carriesOrderNumber, searchRequisitions } from '../requisition/requisition-lookup.js';
import type { RequisitionDto } from '../requisition/requisition-dto.js';
import type { ProofOfDeliveryDto } from './shipment-dto.js';
import * as api from '../api.js';

/**
 * Which proof of delivery a received Delivery confirms: the POD id (Delivery.id, or the identifier
 * we gave out), the shipment id, or — for clients that only know what they ordered — the order
 * number / order line ids it is based on, which must lead to exactly one POD.
 */
async function byIdentifier(client: LmisClient, d: Delivery): Promise<ProofOfDeliveryDto | undefined> {
  const ids = [
    d.id,
    d.identifier.system === PROOF_OF_DELIVERY_SYSTEM || isUuid(d.identifier.value) ? d.identifier.value : undefined,
  ];
  // Delivery.id and the identifier we gave out are usually the same POD id: ask once
  for (const id of new Set(ids)) {
    if (!isUuid(id)) continue;
    const pod = await readPod(client, id);
    if (pod) return pod;
  }
  if (d.identifier.system === SHIPMENT_SYSTEM && isUuid(d.identifier.value))
    return podOfShipment(client, d.identifier.value);
  return undefined;
}

async function requisitionsOf(
  client: LmisClient,
  orderNumber: Identifier,
  facilityId: string,
): Promise<Pick<RequisitionDto, 'id'>[]> {
  if (orderNumber.system === REQUISITION_SYSTEM) return [{ id: orderNumber.value }];
  const all = await searchRequisitions(client, { facility: facilityId });
  return all.filter((r) => carriesOrderNumber(r, orderNumber));
}

async function podsOfOrderNumber(
  client: LmisClient,
  orderNumber: Identifier,
  facilityId: string,
): Promise<ProofOfDeliveryDto[]> {
  const requisitionIds = new Set((await requisitionsOf(client, orderNumber, facilityId)).map((r) => r.id));
  if (!requisitionIds.size) return [];
  const orders = (await api.listOrders(client, { requestingFacilityId: facilityId })).filter(
    (o) => o.externalId && requisitionIds.has(o.externalId),
  );
  const pods: ProofOfDeliveryDto[] = [];
  for (const o of orders)
    for (const s of await shipmentsOf(client, o.id)) {
      const pod = await podOfShipment(client, s.id);
      if (pod) pods.push(pod);
    }
  return pods;
}

/**
 * Line ids are hashes of the order number and product, so they are matched on the decoded
 * deliveries (whose PODs are already read); a line an app wrote under its own id is matched by
 * its order's id (its requisition's), which routing names (Delivery.basedOn.orderId).
 */
async function podsOfLines(deps: OpenLmisDeps, d: Delivery, facilityId: string): Promise<ProofOfDeliveryDto[]> {
  const { lineIds = [], orderId } = d.basedOn ?? {};
  const deliveries = await deliveriesOf(deps, facilityId);
  return deliveries
    .filter(
      ({ delivery }) =>
        delivery.basedOn?.lineIds?.some((l) => lineIds.includes(l)) ||
        (!!orderId && delivery.basedOn?.orderId === orderId),
    )
    .flatMap(({ src }) => (src.pod ? [src.pod] : []));
}

/** Several PODs for one order: the one still open is meant (a confirmed one is only a retry target when it is the only one). */
function single(pods: ProofOfDeliveryDto[], what: string): ProofOfDeliveryDto | undefined {
  if (pods.length <= 1) return pods[0];
  const open = pods.filter((p) => p.status !== 'CONFIRMED');
  if (open.length === 1) return open[0];
  throw new BusinessRuleError(
    `${what} has ${pods.length} proofs of delivery (${pods.map((p) => p.id).join(', ')}): name one in Delivery.identifier`,
    'Delivery.identifier',
  );
}

/**
 * The identifier names an OpenLMIS proof of delivery (our system) that OpenLMIS does not hold: a
 * typo, or a POD id from another server. It is refused, not passed over for basedOn: the order's
 * POD found that way is not the one the client named, and the answer (201, under the client's id
 * and number) claimed a POD that does not exist, while the confirmation went to another one, or
 * to none when that one was already confirmed.
 */
function unknownPod(d: Delivery): BusinessRuleError {
  return new BusinessRuleError(
    `OpenLMIS holds no proof of delivery ${d.identifier.value} (an identifier of system ${PROOF_OF_DELIVERY_SYSTEM} is an OpenLMIS proof-of-delivery id): take the identifier from the delivery as read (SupplyDelivery?destination=…), or send your own delivery number under your own system, based on the order`,
    'Delivery.identifier',
  );
}

/**
 * No proof of delivery for the delivery: based on an order, that order has not been shipped (a
 * POD opens with the shipment; an order still queued has not reached OpenLMIS), so the answer
 * points at basedOn and says so; based on nothing, it says how to name one.
 */
function noPodFor(d: Delivery): BusinessRuleError {
  const order = orderNamedBy(d);
  if (order)
    return new BusinessRuleError(
      `no proof of delivery for the order ${order} at this facility: it has not been shipped (an order still queued has not reached OpenLMIS); confirm it once a SupplyDelivery search lists it`,
      'Delivery.basedOn',
    );
  return new BusinessRuleError(
    `no proof of delivery found for delivery ${d.identifier.value}: give the proof-of-delivery id (identifier system ${PROOF_OF_DELIVERY_SYSTEM}) or base the delivery on a shipped order`,
    'Delivery.identifier',
  );
}

export async function findPodFor(deps: OpenLmisDeps, d: Delivery, facilityId: string): Promise<ProofOfDeliveryDto> {
  const direct = await byIdentifier(deps.client, d);
  if (direct) return direct;
  if (d.identifier.system === PROOF_OF_DELIVERY_SYSTEM) throw unknownPod(d);
  let pod: ProofOfDeliveryDto | undefined;
  if (d.basedOn?.orderNumber)
    pod = single(
      await podsOfOrderNumber(deps.client, d.basedOn.orderNumber, facilityId),
      `order ${d.basedOn.orderNumber.value}`,
    );
  else if (d.basedOn?.lineIds?.length)
    pod = single(await podsOfLines(deps, d, facilityId), 'the order lines named in basedOn');
  if (!pod) throw noPodFor(d);
  return pod;
}
