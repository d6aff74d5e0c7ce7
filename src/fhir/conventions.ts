import { NS } from '../domain/namespace.js';

/**
 * The identifier systems, codes and extensions this mediator defines where FHIR has none.
 * Documented in README "FHIR conventions"; change them only with a migration note.
 */
export { NS };

/** Identifier.type marking the order number shared by every SupplyRequest of one order. */
export const ORDER_NUMBER_TYPE = {
  system: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  code: 'PLAC',
  display: 'Placer Identifier',
};
/** Default system of an order number when the client gives none of its own. */
export const ORDER_NUMBER_SYSTEM = `${NS}/identifier/order`;
/** Identifier.type marking the delivery (shipment / proof of delivery) number shared by every SupplyDelivery line. */
export const DELIVERY_NUMBER_TYPE = {
  system: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  code: 'FILL',
  display: 'Filler Identifier',
};
export const DELIVERY_NUMBER_SYSTEM = `${NS}/identifier/delivery`;

/** Quantity.system/code stating which unit a quantity counts: dispensing units or packs. */
export const UNIT_SYSTEM = `${NS}/CodeSystem/quantity-unit`;
export const PROGRAM_SYSTEM = `${NS}/CodeSystem/program`;

/** mCSD location types: a facility or a jurisdiction (area). */
export const MCSD_LOCATION_TYPES = 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types';

export const EXT = {
  supportedProgram: `${NS}/StructureDefinition/supported-program`,
  quantityShipped: `${NS}/StructureDefinition/quantity-shipped`,
  quantityRejected: `${NS}/StructureDefinition/quantity-rejected`,
  rejectionReason: `${NS}/StructureDefinition/rejection-reason`,
  lotNumber: `${NS}/StructureDefinition/lot-number`,
  lotExpiry: `${NS}/StructureDefinition/lot-expiry`,
  vvmStatus: `${NS}/StructureDefinition/vvm-status`,
  stockReason: `${NS}/StructureDefinition/stock-reason`,
  /** The item's average monthly consumption at the location (read only; the item's, not the lot's). */
  averageMonthlyConsumption: `${NS}/StructureDefinition/average-monthly-consumption`,
  /** The item's months of stock on hand at the location (read only). */
  monthsOfStock: `${NS}/StructureDefinition/months-of-stock`,
  /**
   * A SupplyDelivery's supplying facility as a Location (read only): what `SupplyDelivery?supplier`
   * matches. SupplyDelivery.supplier may reference only a Practitioner, PractitionerRole or
   * Organization, so it keeps the supplier's name alone.
   */
  supplyingLocation: `${NS}/StructureDefinition/supplying-location`,
};

/** SearchParameters we define where FHIR has none (listed in the CapabilityStatement, served at [base]/SearchParameter/[id]). */
export const SP_BASE = `${NS}/SearchParameter`;
