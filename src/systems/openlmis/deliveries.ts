import type { DeliveryCapability } from '../connector.js';
import type { OpenLmisDeps } from './api.js';

/** Placeholder until the delivery flow lands (owned by the order/delivery engineer). */
export function createDeliveryCapability(_deps: OpenLmisDeps): DeliveryCapability | undefined { return undefined; }
