import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../platform/package-root.js';
import { Ajv } from 'ajv';
import { BusinessRuleError } from '../../domain/errors.js';
import type { ProductRef } from '../../domain/index.js';
import type { ProductMap } from './api.js';
import { isValidGtin, normaliseGtin } from './gtin.js';
import { GTIN_SYSTEM, PRODUCT_CODE_SYSTEM } from './identifiers.js';

/**
 * FHIR product codes ↔ OpenLMIS orderable productCode, from fhir-mappings/openlmis-products.json
 * (DESIGN §3 "mappings are data"). The file is validated against its JSON Schema and GTIN check
 * digits at load, so a typo stops start-up with the file, the row and the reason instead of
 * turning into a wrong product later. The FHIR side speaks GTIN or a national code system
 * (mapping.productCodeSystem); either is accepted on input, the configured one is written out.
 */
export interface ProductMapSettings {
  productCodeSystem?: 'gtin' | 'national';
  /** The national code system URI (mapping.nationalProductCodeSystem). */
  nationalProductCodeSystem?: string;
}

interface ProductRow {
  productCode: string;
  gtin?: string;
  national?: string;
  display?: string;
}

export class ProductMapError extends Error {
  override name = 'ProductMapError';
}

export const DEFAULT_PRODUCT_MAP = 'fhir-mappings/openlmis-products.json';

/** Found by walking up to package.json: a fixed '../../..' lands in dist/ in the compiled build. */
const repoRoot = packageRoot;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProductMapError(`${file}: ${(err as Error).message}`);
  }
}

/** Rows of a valid map file, or a ProductMapError naming the file, the JSON path and the reason. */
export function readProductRows(file: string): ProductRow[] {
  const schema = readJson(path.join(repoRoot(), 'fhir-mappings', 'openlmis-products.schema.json')) as object;
  const data = readJson(file) as { products: ProductRow[] };
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (!validate(data)) {
    const e = validate.errors![0];
    throw new ProductMapError(`${file}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  }
  const seen = new Map<string, number>();
  data.products.forEach((row, i) => {
    if (row.gtin && !isValidGtin(row.gtin)) throw new ProductMapError(`${file}: /products/${i}/gtin ${row.gtin} has a wrong check digit`);
    for (const key of [`code:${row.productCode}`, row.gtin && `gtin:${normaliseGtin(row.gtin)}`, row.national && `national:${row.national}`]) {
      if (!key) continue;
      if (seen.has(key)) throw new ProductMapError(`${file}: /products/${i} repeats ${key} of /products/${seen.get(key)}`);
      seen.set(key, i);
    }
  });
  return data.products;
}

export function loadProductMap(file: string = DEFAULT_PRODUCT_MAP, settings: ProductMapSettings = {}): ProductMap {
  const resolved = path.isAbsolute(file) ? file : path.resolve(repoRoot(), file);
  return productMapOf(readProductRows(resolved), settings);
}

export function productMapOf(rows: ProductRow[], settings: ProductMapSettings = {}): ProductMap {
  const useNational = settings.productCodeSystem === 'national';
  const nationalSystem = settings.nationalProductCodeSystem;
  if (useNational && !nationalSystem) throw new ProductMapError('mapping.productCodeSystem=national needs mapping.nationalProductCodeSystem (the code system URI)');
  const byGtin = new Map(rows.filter((r) => r.gtin).map((r) => [normaliseGtin(r.gtin!), r]));
  const byNational = new Map(rows.filter((r) => r.national).map((r) => [r.national!, r]));
  const byCode = new Map(rows.map((r) => [r.productCode, r]));

  const rowFor = (product: ProductRef): ProductRow | undefined => {
    if (product.system === GTIN_SYSTEM) return byGtin.get(normaliseGtin(product.code));
    if (nationalSystem && product.system === nationalSystem) return byNational.get(product.code);
    return undefined;
  };

  return {
    toProductCode(product, where) {
      // a client echoing back what we gave it for an unmapped orderable
      if (product.system === PRODUCT_CODE_SYSTEM) return product.code;
      const row = rowFor(product);
      if (!row) {
        throw new BusinessRuleError(`product ${product.system}|${product.code} is not mapped to an OpenLMIS orderable (fhir-mappings/openlmis-products.json)`, where);
      }
      return row.productCode;
    },
    toProduct(productCode, display) {
      const row = byCode.get(productCode);
      const shown = display ?? row?.display;
      if (row && useNational && row.national) return { system: nationalSystem!, code: row.national, display: shown };
      if (row && !useNational && row.gtin) return { system: GTIN_SYSTEM, code: normaliseGtin(row.gtin), display: shown };
      return { system: PRODUCT_CODE_SYSTEM, code: productCode, display: shown };
    },
  };
}
