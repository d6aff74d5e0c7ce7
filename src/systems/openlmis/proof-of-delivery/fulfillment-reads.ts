/** Single reads of openlmis-fulfillment objects, shared by the order and delivery flows (api.ts). */
export { getProofOfDelivery as readPod, getShipment as readShipment, readOrder } from '../api.js';
