import path from 'node:path';
import { loadMappingFile, mappingsDirOf } from '../../config/mappings.js';
import { PRODUCTS_FILE } from '../../config/product-catalogue.js';
import { BusinessRuleError } from '../../domain/errors.js';
import { catalogueIndex, productNaming, type ProductCatalogue } from '../../domain/product-catalogue.js';
import type { ProductRef } from '../../domain/index.js';

/**
 * FHIR product codes ↔ Open mSupply item codes, from the `msupply` column of the one product
 * catalogue (fhir-mappings/products.json). Either GTIN or the national code is accepted on input;
 * the configured one (mapping.productCodeSystem) is written out.
 */
export { GTIN_SYSTEM } from '../../domain/gtin.js';

export interface MsupplyProductMap {
  /** The Open mSupply item code of a FHIR product; else a 422 at `where` (catalogue.unmapped says why). */
  itemCode(product: ProductRef, where: string): string;
  /** The FHIR product of an item code (undefined: the catalogue does not carry it). */
  productOf(itemCode: string, display?: string): ProductRef | undefined;
  /** Catalogue pack size, when Open mSupply's own is missing. */
  packSizeOf(itemCode: string): number | undefined;
}

export function loadMsupplyProducts(settings: Record<string, unknown>): MsupplyProductMap {
  const catalogue = loadMappingFile<ProductCatalogue>(
    path.join(mappingsDirOf(settings), PRODUCTS_FILE.file),
    PRODUCTS_FILE,
  );
  const index = catalogueIndex(catalogue, 'msupply', productNaming(settings));
  return {
    itemCode(product, where) {
      const row = index.rowFor(product);
      if (!row) throw new BusinessRuleError(index.unmapped(product), where);
      return row.code;
    },
    productOf(itemCode, display) {
      const row = index.rowByCode(itemCode);
      return row && index.productOf(row, display);
    },
    packSizeOf: (itemCode) => index.rowByCode(itemCode)?.packSize,
  };
}
