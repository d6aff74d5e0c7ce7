/**
 * A product as the FHIR side names it: a code in a code system (GTIN, or a configured national
 * product code system). `fhir-mappings/` maps it to each system's own product code.
 */
export interface ProductRef {
  system: string;
  code: string;
  display?: string;
}

/**
 * The unit a quantity is counted in. OpenLMIS requisitions and stock count dispensing units;
 * its orders, shipments and proofs of delivery count packs. The FHIR side always states which.
 */
export type QuantityUnit = 'dispensing-unit' | 'pack';

export interface Quantity {
  value: number;
  unit: QuantityUnit;
}

export interface Lot {
  number: string;
  /** ISO date. */
  expiry?: string;
}
