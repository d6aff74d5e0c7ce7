import { NS } from '../../domain/namespace.js';

/**
 * Identifier and code systems for objects that originate in OpenLMIS, and the FHIR ids derived
 * from them. Line ids use the same formula as the FHIR edge (src/fhir/adapters.ts), so an order
 * posted through us and read back from OpenLMIS carries the same SupplyRequest ids.
 */
export const LMIS_SYSTEM = 'openlmis';
export const FACILITY_CODE_SYSTEM = `${NS}/identifier/openlmis-facility-code`;
export const ZONE_CODE_SYSTEM = `${NS}/identifier/openlmis-zone-code`;
export const REQUISITION_SYSTEM = `${NS}/identifier/openlmis-requisition`;
export const PROOF_OF_DELIVERY_SYSTEM = `${NS}/identifier/openlmis-proof-of-delivery`;
export const PRODUCT_CODE_SYSTEM = `${NS}/CodeSystem/openlmis-product`;
export { GTIN_SYSTEM } from '../../domain/gtin.js';

export { orderLineId, deliveryLineId } from '../../domain/line-ids.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** OpenLMIS ids are UUIDs: anything else cannot be one of its objects (no need to ask). */
export function isUuid(value: string | undefined): value is string {
  return !!value && UUID.test(value);
}
