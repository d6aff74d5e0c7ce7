import path from 'node:path';
import { loadMappingFile, mappingsDirOf } from '../../config/mappings.js';
import { PRODUCTS_FILE } from '../../config/product-catalogue.js';
import { BusinessRuleError } from '../../domain/errors.js';
import { normaliseGtin } from '../../domain/gtin.js';
import type { CatalogueProduct, ProductCatalogue } from '../../domain/product-catalogue.js';
import type { ProductRef } from '../../domain/index.js';

/**
 * FHIR product codes ↔ Open mSupply item codes, from the `msupply` column of the one product
 * catalogue (fhir-mappings/products.json). Either GTIN or the national code is accepted on input;
 * the configured one (mapping.productCodeSystem) is written out.
 */
export const GTIN_SYSTEM = 'https://www.gs1.org/gtin';

export interface MsupplyProductMap {
  /** The Open mSupply item code of a FHIR product; a 422 naming `where` when the catalogue has none. */
  itemCode(product: ProductRef, where: string): string;
  /** The FHIR product of an item code (undefined: the catalogue does not carry it). */
  productOf(itemCode: string, display?: string): ProductRef | undefined;
  /** Catalogue pack size, when Open mSupply's own is missing. */
  packSizeOf(itemCode: string): number | undefined;
}

export function loadMsupplyProducts(settings: Record<string, unknown>): MsupplyProductMap {
  const catalogue = loadMappingFile<ProductCatalogue>(path.join(mappingsDirOf(settings), PRODUCTS_FILE.file), PRODUCTS_FILE);
  const national = settings['mapping.nationalProductCodeSystem'] === undefined ? undefined : String(settings['mapping.nationalProductCodeSystem']);
  const writeNational = settings['mapping.productCodeSystem'] === 'national' && !!national;
  const rows = catalogue.products.filter((p): p is CatalogueProduct & { codes: { msupply: string } } => !!p.codes.msupply);
  const byGtin = new Map(rows.filter((p) => p.gtin).map((p) => [normaliseGtin(p.gtin!), p]));
  const byNational = new Map(rows.filter((p) => p.national).map((p) => [p.national!, p]));
  const byItem = new Map(rows.map((p) => [p.codes.msupply, p]));
  const find = (product: ProductRef) => (product.system === GTIN_SYSTEM ? byGtin.get(normaliseGtin(product.code)) : product.system === national ? byNational.get(product.code) : undefined);
  return {
    itemCode(product, where) {
      const row = find(product);
      if (!row) throw new BusinessRuleError(`product ${product.system}|${product.code} has no Open mSupply item code in products.json (codes.msupply)`, where);
      return row.codes.msupply;
    },
    productOf(itemCode, display) {
      const row = byItem.get(itemCode);
      if (!row) return undefined;
      if (writeNational && row.national) return { system: national!, code: row.national, display: row.display ?? display };
      if (row.gtin) return { system: GTIN_SYSTEM, code: row.gtin, display: row.display ?? display };
      return national && row.national ? { system: national, code: row.national, display: row.display ?? display } : undefined;
    },
    packSizeOf: (itemCode) => byItem.get(itemCode)?.packSize,
  };
}
