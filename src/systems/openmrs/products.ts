import path from 'node:path';
import { loadMappingFile, mappingsDirOf } from '../../config/mappings.js';
import { PRODUCTS_FILE } from '../../config/product-catalogue.js';
import { BusinessRuleError } from '../../domain/errors.js';
import { catalogueIndex, productNaming, type ProductCatalogue } from '../../domain/product-catalogue.js';
import type { ProductRef, Quantity } from '../../domain/index.js';

/**
 * FHIR product codes ↔ OpenMRS drug uuids, from the `openmrs` column of the one product catalogue
 * (fhir-mappings/products.json). GTIN or the national code is accepted on input; the configured
 * one (mapping.productCodeSystem) is written out. The stock management module counts in the
 * drug's dispensing unit, so pack quantities are turned into units with the catalogue pack size.
 */
export { GTIN_SYSTEM } from '../../domain/gtin.js';

export interface OpenMrsProductMap {
  /** The drug uuid of a FHIR product; a 422 naming `where` when the catalogue has none. */
  drugUuid(product: ProductRef, where: string): string;
  /** Every drug uuid the catalogue carries: what an inventory read asks OpenMRS about. */
  drugUuids(): string[];
  /** The FHIR product of a drug uuid (undefined: the catalogue does not carry it). */
  productOf(drugUuid: string, display?: string): ProductRef | undefined;
  /** A quantity in dispensing units; a 422 when packs cannot be converted. */
  units(product: ProductRef, quantity: Quantity, where: string): number;
}

export function loadOpenMrsProducts(settings: Record<string, unknown>, file?: string): OpenMrsProductMap {
  const catalogue = loadMappingFile<ProductCatalogue>(
    file ?? path.join(mappingsDirOf(settings), PRODUCTS_FILE.file),
    PRODUCTS_FILE,
  );
  const index = catalogueIndex(catalogue, 'openmrs', productNaming(settings));
  const row = (product: ProductRef, where: string) => {
    const r = index.rowFor(product);
    if (!r) throw new BusinessRuleError(index.unmapped(product), where);
    return r;
  };
  return {
    drugUuid: (product, where) => row(product, where).code,
    drugUuids: () => index.codes(),
    productOf(drugUuid, display) {
      const r = index.rowByCode(drugUuid);
      return r && index.productOf(r, display);
    },
    units(product, quantity, where) {
      if (quantity.unit === 'dispensing-unit') return quantity.value;
      const pack = row(product, where).packSize;
      if (!pack)
        throw new BusinessRuleError(
          `product ${product.code} is counted in packs but products.json gives no packSize to turn them into the dispensing units OpenMRS counts`,
          where,
        );
      return quantity.value * pack;
    },
  };
}
