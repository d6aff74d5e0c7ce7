import { STOCK_MEASURES, type StockMeasure } from '../../domain/stock-measures.js';
import path from 'node:path';
import { loadMappingFile, mappingsDirOf, type MappingFile, type MappingProblem } from '../../config/mappings.js';
import { PRODUCTS_FILE } from '../../config/product-catalogue.js';
import { BusinessRuleError } from '../../domain/errors.js';
import {
  catalogueIndex,
  productNaming,
  type CatalogueProduct,
  type ProductCatalogue,
} from '../../domain/product-catalogue.js';
import type { ProductRef, Quantity } from '../../domain/index.js';

/**
 * FHIR product codes ↔ DHIS2 product codes (the `dhis2` column of fhir-mappings/products.json),
 * and each product's stock measures ↔ aggregate data elements (fhir-mappings/dhis2-indicators.json).
 * GTIN or the national code is accepted on input; the configured one (mapping.productCodeSystem)
 * is written out.
 */
export { GTIN_SYSTEM } from '../../domain/gtin.js';

/** The measures an indicator map names: the domain's stock measures. */
export const MEASURES = STOCK_MEASURES;
export type Measure = StockMeasure;

export interface IndicatorMap {
  categoryOptionCombo?: string;
  attributeOptionCombo?: string;
  measures: Partial<Record<Measure, { dataElement: string; categoryOptionCombo?: string; reasons?: string[] }>>;
  products?: Record<string, Partial<Record<Measure, { dataElement: string; categoryOptionCombo?: string }>>>;
}

export const DHIS2_INDICATORS_FILE: MappingFile<IndicatorMap> = {
  file: 'dhis2-indicators.json',
  schema: 'dhis2-indicators.schema.json',
  check: indicatorProblems,
};

/**
 * What the schema cannot say: a reason counted under two measures (a difference line would be
 * both), and two measures of a product written to the same data element and COC (each would
 * overwrite the other's value every period).
 */
export function indicatorProblems(map: IndicatorMap): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const reasonAt = new Map<string, string>();
  for (const measure of MEASURES)
    (map.measures[measure]?.reasons ?? []).forEach((r, i) => {
      const earlier = reasonAt.get(r.toLowerCase());
      if (earlier)
        problems.push({
          path: `/measures/${measure}/reasons/${i}`,
          reason: `reason '${r}' is also listed under ${earlier}: a difference line would count under both`,
        });
      else reasonAt.set(r.toLowerCase(), measure);
    });
  const clashes = (
    targets: Partial<Record<Measure, { dataElement: string; categoryOptionCombo?: string }>>,
    at: string,
  ) => {
    const seen = new Map<string, Measure>();
    for (const measure of MEASURES) {
      const t = targets[measure];
      if (!t) continue;
      const key = `${t.dataElement}|${t.categoryOptionCombo ?? ''}`;
      const other = seen.get(key);
      if (other)
        problems.push({
          path: `${at}/${measure}/dataElement`,
          reason: `${t.dataElement} is also where ${other} goes${t.categoryOptionCombo ? ` (same category option combo)` : ''}: the two measures would overwrite each other`,
        });
      else seen.set(key, measure);
    }
  };
  clashes(map.measures, '/measures');
  for (const [code, own] of Object.entries(map.products ?? {}))
    clashes(own, `/products/${code.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  return problems;
}

/** DHIS2's built-in default category option combo (dhis2-core `DefaultCategoryService`). */
export const DEFAULT_COC = 'HllvX50cXC0';

export interface DataElementTarget {
  /** As the mapping names it: a code (templates) or a UID (per-product overrides may use one). */
  dataElement: string;
  /**
   * The COC the mapping names for this product and measure (UID or code); absent: the data
   * element's own combo decides (category-combos.ts), the file's default when DHIS2 cannot say.
   */
  categoryOptionCombo?: string;
  /** The data element is the product's own (a `{product}` template): no other product shares it. */
  perProduct: boolean;
}

export interface Dhis2ProductMap {
  /** The product's DHIS2 code; a 422 naming `where` when the catalogue has none. */
  productCode(product: ProductRef, where: string): string;
  /** Where a product's measure goes; a 422 naming `where` when the indicator map has none. */
  target(productCode: string, measure: Measure, where: string): DataElementTarget;
  /** The measure a difference reason counts under (consumption, received …); undefined: adjustments. */
  measureOfReason(reason: string | undefined): Measure | undefined;
  /**
   * A data element (code or UID) and the value's COC back to its product and measure, for reads:
   * a data element several products share is told apart by the COC (the one the mapping names,
   * or the one whose code is the product's DHIS2 code).
   */
  reverse(
    dataElement: string,
    coc?: { id: string; code?: string },
  ): { product: ProductRef; measure: Measure } | undefined;
  /** The COC of values whose data element DHIS2 cannot describe (the file's, else DHIS2's default). */
  defaultCategoryOptionCombo(): string;
  /** The attribute option combo of every value. */
  attributeOptionCombo(): string;
  /**
   * The code an RTS tracker event names the product by (consignment item, requisition and
   * transaction items), per `dhis2.rtsItemCode`; a 422 naming `where` when the catalogue has none.
   */
  itemCode(product: ProductRef, where: string): string;
  /** The FHIR product of an RTS item code (`dhis2.rtsItemCode`'s catalogue code). */
  productOf(code: string): ProductRef | undefined;
  /** Dispensing units per pack (products.json) of an RTS item code, to count packs in units. */
  packSizeOf(code: string): number | undefined;
  /**
   * A stock line's quantity in dispensing units, what DHIS2's stock data elements and RTS
   * transactions count: packs times the catalogue's packSize; a 422 at `where` when it has none.
   */
  dispensingUnits(product: ProductRef, quantity: Quantity, where: string): number;
  /** Every data element (as mapped: code or UID) the catalogue's products write `measure` to. */
  dataElementsOf(measure: Measure): string[];
}

/**
 * Which catalogue code RTS tracker events carry for an item. mSupply's DHIS2 LMIS integration
 * names items by the mSupply code or by the DHIS2 code, as its preferences say
 * (docs.msupply.org.nz integration:dhis2_integration, "item reference"): `dhis2` is products.json
 * codes.dhis2 (the default, also the aggregate data elements' {product}); `msupply` is codes.msupply.
 */
export const RTS_ITEM_CODES = ['dhis2', 'msupply'] as const;
export type RtsItemCode = (typeof RTS_ITEM_CODES)[number];

function rtsItemCodeOf(settings: Record<string, unknown>): RtsItemCode {
  const v = settings['dhis2.rtsItemCode'];
  return v === 'msupply' ? 'msupply' : 'dhis2';
}

export function loadDhis2Products(settings: Record<string, unknown>): Dhis2ProductMap {
  const dir = mappingsDirOf(settings);
  const catalogue = loadMappingFile<ProductCatalogue>(path.join(dir, PRODUCTS_FILE.file), PRODUCTS_FILE);
  const indicators = loadMappingFile<IndicatorMap>(path.join(dir, DHIS2_INDICATORS_FILE.file), DHIS2_INDICATORS_FILE);
  const index = catalogueIndex(catalogue, 'dhis2', productNaming(settings));
  const rows = catalogue.products.filter((p): p is CatalogueProduct & { codes: { dhis2: string } } => !!p.codes.dhis2);
  const scheme = rtsItemCodeOf(settings);
  const items = catalogueIndex(catalogue, scheme, productNaming(settings));
  const defaultCoc = indicators.categoryOptionCombo ?? DEFAULT_COC;

  const targetOf = (code: string, measure: Measure): DataElementTarget | undefined => {
    const own = indicators.products?.[code]?.[measure];
    if (own) return { dataElement: own.dataElement, categoryOptionCombo: own.categoryOptionCombo, perProduct: false };
    const m = indicators.measures[measure];
    return m
      ? {
          dataElement: m.dataElement.replaceAll('{product}', code),
          categoryOptionCombo: m.categoryOptionCombo,
          perProduct: m.dataElement.includes('{product}'),
        }
      : undefined;
  };
  type Candidate = { row: CatalogueProduct; measure: Measure; target: DataElementTarget };
  const reverse = new Map<string, Candidate[]>();
  for (const row of rows)
    for (const measure of MEASURES) {
      const target = targetOf(row.codes.dhis2, measure);
      if (target)
        reverse.set(target.dataElement, [...(reverse.get(target.dataElement) ?? []), { row, measure, target }]);
    }
  /** Whether a value under `coc` can be this candidate's. */
  const fits = (c: Candidate, coc?: { id: string; code?: string }): boolean => {
    if (!coc) return c.target.perProduct;
    const named = c.target.categoryOptionCombo;
    if (named) return named === coc.id || named === coc.code;
    return c.target.perProduct || coc.code === c.row.codes.dhis2;
  };
  const productRef = (row: CatalogueProduct): ProductRef =>
    index.productOf({ ...row, code: row.codes.dhis2 ?? '' }) ?? {
      system: 'national',
      code: row.national ?? row.codes.dhis2 ?? '',
      display: row.display,
    };
  const reasons = new Map<string, Measure>();
  for (const measure of MEASURES)
    for (const r of indicators.measures[measure]?.reasons ?? []) reasons.set(r.toLowerCase(), measure);

  return {
    productCode(product, where) {
      const row = index.rowFor(product);
      // not in the catalogue at all, or there without codes.dhis2: the refusal says which (6304e12)
      if (!row) throw new BusinessRuleError(index.unmapped(product), where);
      return row.code;
    },
    target(code, measure, where) {
      const t = targetOf(code, measure);
      if (!t)
        throw new BusinessRuleError(
          `DHIS2 product ${code}: dhis2-indicators.json maps no data element for ${measure}`,
          where,
        );
      return t;
    },
    measureOfReason: (reason) => (reason ? reasons.get(reason.toLowerCase()) : undefined),
    reverse(dataElement, coc) {
      const hits = (reverse.get(dataElement) ?? []).filter((c) => fits(c, coc));
      return hits.length === 1 ? { product: productRef(hits[0].row), measure: hits[0].measure } : undefined;
    },
    defaultCategoryOptionCombo: () => defaultCoc,
    attributeOptionCombo: () => indicators.attributeOptionCombo ?? DEFAULT_COC,
    itemCode(product, where) {
      const row = items.rowFor(product);
      if (!row)
        throw new BusinessRuleError(`${items.unmapped(product)}, which dhis2.rtsItemCode names RTS items by`, where);
      return row.code;
    },
    packSizeOf: (code) => items.rowByCode(code)?.packSize,
    dispensingUnits(product, quantity, where) {
      if (quantity.unit !== 'pack') return quantity.value;
      const row = index.rowFor(product) ?? items.rowFor(product);
      if (!row?.packSize)
        throw new BusinessRuleError(
          `product ${product.system}|${product.code} is counted in packs but products.json gives no packSize to count it in dispensing units, as DHIS2 does`,
          where,
        );
      return quantity.value * row.packSize;
    },
    productOf(code) {
      const row = items.rowByCode(code);
      return row ? productRef(row) : undefined;
    },
    dataElementsOf: (measure) => [
      ...new Set(rows.flatMap((row) => targetOf(row.codes.dhis2, measure)?.dataElement ?? [])),
    ],
  };
}
