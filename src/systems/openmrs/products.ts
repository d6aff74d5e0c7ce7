import path from 'node:path';
import { loadMappingFile, mappingsDirOf } from '../../config/mappings.js';
import { PRODUCTS_FILE } from '../../config/product-catalogue.js';
import { BusinessRuleError } from '../../domain/errors.js';
import { normaliseGtin } from '../../domain/gtin.js';
import type { CatalogueProduct, ProductCatalogue } from '../../domain/product-catalogue.js';
import type { ProductRef, Quantity } from '../../domain/index.js';

/**
 * FHIR product codes ↔ OpenMRS drug uuids, from the `openmrs` column of the one product catalogue
 * (fhir-mappings/products.json). GTIN or the national code is accepted on input; the configured
 * one (mapping.productCodeSystem) is written out. The stock management module counts in the
 * drug's dispensing unit, so pack quantities are turned into units with the catalogue pack size.
 */
export const GTIN_SYSTEM = 'https://www.gs1.org/gtin';

export interface OpenMrsProductMap {
  /** The drug uuid of a FHIR product; a 422 naming `where` when the catalogue has none. */
  drugUuid(product: ProductRef, where: string): string;
  /** The FHIR product of a drug uuid (undefined: the catalogue does not carry it). */
  productOf(drugUuid: string, display?: string): ProductRef | undefined;
  /** A quantity in dispensing units; a 422 when packs cannot be converted. */
  units(product: ProductRef, quantity: Quantity, where: string): number;
}

export function loadOpenMrsProducts(settings: Record<string, unknown>, file?: string): OpenMrsProductMap {
  const catalogue = loadMappingFile<ProductCatalogue>(file ?? path.join(mappingsDirOf(settings), PRODUCTS_FILE.file), PRODUCTS_FILE);
  const national = settings['mapping.nationalProductCodeSystem'] === undefined ? undefined : String(settings['mapping.nationalProductCodeSystem']);
  const writeNational = settings['mapping.productCodeSystem'] === 'national' && !!national;
  const rows = catalogue.products.filter((p): p is CatalogueProduct & { codes: { openmrs: string } } => !!p.codes.openmrs);
  const byGtin = new Map(rows.filter((p) => p.gtin).map((p) => [normaliseGtin(p.gtin!), p]));
  const byNational = new Map(rows.filter((p) => p.national).map((p) => [p.national!, p]));
  const byDrug = new Map(rows.map((p) => [p.codes.openmrs, p]));
  const find = (product: ProductRef) => (product.system === GTIN_SYSTEM ? byGtin.get(normaliseGtin(product.code)) : product.system === national ? byNational.get(product.code) : undefined);
  const row = (product: ProductRef, where: string) => {
    const r = find(product);
    if (!r) throw new BusinessRuleError(`product ${product.system}|${product.code} has no OpenMRS drug uuid in products.json (codes.openmrs)`, where);
    return r;
  };
  return {
    drugUuid: (product, where) => row(product, where).codes.openmrs,
    productOf(drugUuid, display) {
      const r = byDrug.get(drugUuid);
      if (!r) return undefined;
      if (writeNational && r.national) return { system: national!, code: r.national, display: r.display ?? display };
      if (r.gtin) return { system: GTIN_SYSTEM, code: r.gtin, display: r.display ?? display };
      return national && r.national ? { system: national, code: r.national, display: r.display ?? display } : undefined;
    },
    units(product, quantity, where) {
      if (quantity.unit === 'dispensing-unit') return quantity.value;
      const pack = row(product, where).packSize;
      if (!pack) throw new BusinessRuleError(`product ${product.code} is counted in packs but products.json gives no packSize to turn them into the dispensing units OpenMRS counts`, where);
      return quantity.value * pack;
    },
  };
}
