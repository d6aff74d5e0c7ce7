/**
 * A product as the FHIR side names it: a code in a code system (GTIN, or a configured national
 * product code system). `fhir-mappings/` maps it to each system's own product code.
 */
export interface ProductRef {
  system: string;
  code: string;
  display?: string;
  /**
   * The other codes the client gave for the same product (further codings of its CodeableConcept,
   * or of a contained Medication/Device/InventoryItem), in order: a system that does not map
   * `system|code` tries these, and the first that maps wins.
   */
  alternatives?: { system: string; code: string }[];
}

/** The product's codes in the order to try them: its own, then its alternatives. */
export function productCodes(product: ProductRef): { system: string; code: string }[] {
  return [{ system: product.system, code: product.code }, ...(product.alternatives ?? [])];
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
