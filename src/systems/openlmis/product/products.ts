import path from 'node:path';
import { MappingError, activeMappingsDir, loadMappingFile } from '../../../config/mappings.js';
import { PRODUCTS_FILE } from '../../../config/product-catalogue.js';
import { BusinessRuleError } from '../../../domain/errors.js';
import { productCodes, type ProductRef } from '../../../domain/index.js';
import { catalogueIndex, type ProductCatalogue } from '../../../domain/product-catalogue.js';
import type { ProductMap } from '../types.js';
import { normaliseGtin } from './gtin.js';
import { GTIN_SYSTEM, PRODUCT_CODE_SYSTEM } from '../identifiers.js';

/**
 * FHIR product codes ↔ OpenLMIS orderable productCode, from the OpenLMIS column of the product
 * catalogue (fhir-mappings/products.json, DESIGN §3 "mappings are data"). The catalogue is read
 * by the one mapping loader (config/mappings.ts): schema, GTIN check digits and repeated codes are
 * checked at load, so a typo stops start-up with the file, the path and the reason instead of
 * turning into a wrong product later. The FHIR side speaks GTIN or a national code system
 * (mapping.productCodeSystem); either is accepted on input, the configured one is written out.
 */
export interface ProductMapSettings {
  productCodeSystem?: 'gtin' | 'national';
  /** The national code system URI (mapping.nationalProductCodeSystem). */
  nationalProductCodeSystem?: string;
}

/** One catalogue product as OpenLMIS sees it: products without an OpenLMIS code are not here. */
interface ProductRow {
  productCode: string;
  gtin?: string;
  national?: string;
  display?: string;
}

/** A bad catalogue, or product settings that cannot work: a configuration error (file, path, reason). */
export const ProductMapError = MappingError;
export type ProductMapError = MappingError;

/** The catalogue's file name, for messages: the directory is the operator's (mappings.dir). */
const CATALOGUE = PRODUCTS_FILE.file;

/** The OpenLMIS rows of a valid catalogue file, or a MappingError naming the file, the JSON path and the reason. */
export function readProductRows(file: string): ProductRow[] {
  return rowsOf(loadMappingFile(file, PRODUCTS_FILE));
}

function rowsOf(catalogue: ProductCatalogue): ProductRow[] {
  return catalogue.products
    .filter((p) => p.codes.openlmis)
    .map((p) => ({ productCode: p.codes.openlmis!, gtin: p.gtin, national: p.national, display: p.display }));
}

/** The product map from a catalogue file (default: products.json in mappings.dir). */
export function loadProductMap(
  file: string = path.join(activeMappingsDir(), CATALOGUE),
  settings: ProductMapSettings = {},
): ProductMap {
  const catalogue = loadMappingFile(file, PRODUCTS_FILE);
  // a refusal says which: not in the catalogue at all, or there without codes.openlmis (6304e12)
  const index = catalogueIndex(catalogue, 'openlmis', {
    national: settings.nationalProductCodeSystem,
    writeNational: settings.productCodeSystem === 'national',
  });
  return productMapOf(rowsOf(catalogue), settings, (product) => index.unmapped(product));
}

export function productMapOf(
  rows: ProductRow[],
  settings: ProductMapSettings = {},
  /** Why a product has no row here, for its 422 (CatalogueIndex.unmapped). */
  unmapped: (product: ProductRef) => string,
): ProductMap {
  const useNational = settings.productCodeSystem === 'national';
  const nationalSystem = settings.nationalProductCodeSystem;
  if (useNational && !nationalSystem)
    throw new MappingError(
      'mapping.productCodeSystem',
      'national',
      'needs mapping.nationalProductCodeSystem (the code system URI)',
    );
  const byGtin = new Map(rows.filter((r) => r.gtin).map((r) => [normaliseGtin(r.gtin!), r]));
  const byNational = new Map(rows.filter((r) => r.national).map((r) => [r.national!, r]));
  const byCode = new Map(rows.map((r) => [r.productCode, r]));

  const rowForCode = (product: { system: string; code: string }): ProductRow | undefined => {
    if (product.system === GTIN_SYSTEM) return byGtin.get(normaliseGtin(product.code));
    if (nationalSystem && product.system === nationalSystem) return byNational.get(product.code);
    return undefined;
  };
  // every code the client gave, in order: the first that maps wins
  const rowFor = (product: ProductRef): ProductRow | undefined => productCodes(product).map(rowForCode).find(Boolean);

  return {
    toProductCode(product, where) {
      // a client echoing back what we gave it for an unmapped orderable
      if (product.system === PRODUCT_CODE_SYSTEM) return product.code;
      const row = rowFor(product);
      if (!row) throw new BusinessRuleError(unmapped(product), where);
      return row.productCode;
    },
    toProduct(productCode, display) {
      const row = byCode.get(productCode);
      const shown = display ?? row?.display;
      if (row && useNational && row.national) return { system: nationalSystem!, code: row.national, display: shown };
      if (row && !useNational && row.gtin)
        return { system: GTIN_SYSTEM, code: normaliseGtin(row.gtin), display: shown };
      return { system: PRODUCT_CODE_SYSTEM, code: productCode, display: shown };
    },
  };
}
