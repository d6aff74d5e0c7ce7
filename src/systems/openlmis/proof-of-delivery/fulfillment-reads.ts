import type { LmisClient } from '../types.js';
import { getOrAbsent } from '../lookup.js';
import type { FulfillmentOrderDto, ProofOfDeliveryDto, ShipmentDto } from './shipment-dto.js';

/** Single reads of openlmis-fulfillment objects, shared by the order and delivery flows. */
export const readPod = (client: LmisClient, id: string) =>
  getOrAbsent<ProofOfDeliveryDto>(client, { path: `/api/proofsOfDelivery/${id}` });
export const readShipment = (client: LmisClient, id: string) =>
  getOrAbsent<ShipmentDto>(client, { path: `/api/shipments/${id}` });
export const readOrder = (client: LmisClient, id: string) =>
  client.call<FulfillmentOrderDto>({ method: 'GET', path: `/api/orders/${id}` });
