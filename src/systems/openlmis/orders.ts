import type { OrderCapability } from '../connector.js';
import type { OpenLmisDeps } from './api.js';

/** Placeholder until the order flow lands (owned by the order/delivery engineer). */
export function createOrderCapability(_deps: OpenLmisDeps): OrderCapability | undefined { return undefined; }
