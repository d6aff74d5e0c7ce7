import { GTIN_SYSTEM, isValidGtin, normaliseGtin } from './gtin.js';
import { productCodes, type ProductRef } from './product.js';

/**
 * The one product catalogue (fhir-mappings/products.json, DESIGN §3 "mappings are data"): each
 * product once, with the codes the FHIR side names it by and each system's own code. Connectors
 * read their own column; a product a system does not carry has no code for it.
 */
export const CATALOGUE_SYSTEMS = ['openlmis', 'msupply', 'dhis2', 'openmrs'] as const;
export type CatalogueSystem = (typeof CATALOGUE_SYSTEMS)[number];

/** What each system's code is, for messages that tell an operator what to fill in. */
export const CATALOGUE_CODE_NAMES: Record<CatalogueSystem, string> = {
  openlmis: 'OpenLMIS orderable productCode',
  msupply: 'Open mSupply item code',
  dhis2: 'DHIS2 data element/item code',
  openmrs: 'OpenMRS drug uuid',
};

export interface CatalogueProduct {
  gtin?: string;
  national?: string;
  display?: string;
  dispensingUnit?: string;
  /** Dispensing units per pack, for systems that count in packs and do not say so themselves. */
  packSize?: number;
  codes: Partial<Record<CatalogueSystem, string>>;
}

export interface ProductCatalogue {
  products: CatalogueProduct[];
}

/** A rule the JSON Schema cannot say, broken at a JSON path of the catalogue. */
export interface CatalogueProblem {
  path: string;
  reason: string;
}

/**
 * GTIN check digits (GS1 General Specifications §7.9) and codes repeated across rows: a repeated
 * code would make two products one, silently, on whichever side reads it.
 */
export function catalogueProblems(catalogue: ProductCatalogue): CatalogueProblem[] {
  const problems: CatalogueProblem[] = [];
  const seen = new Map<string, number>();
  catalogue.products.forEach((row, i) => {
    if (row.gtin && !isValidGtin(row.gtin))
      problems.push({ path: `/products/${i}/gtin`, reason: `${row.gtin} has a wrong check digit` });
    const keys = [
      row.gtin && `gtin:${normaliseGtin(row.gtin)}`,
      row.national && `national:${row.national}`,
      ...CATALOGUE_SYSTEMS.map((s) => row.codes[s] && `${s}:${row.codes[s]}`),
    ];
    for (const key of keys) {
      if (!key) continue;
      const first = seen.get(key);
      if (first !== undefined)
        problems.push({ path: `/products/${i}`, reason: `repeats ${key} of /products/${first}` });
      else seen.set(key, i);
    }
  });
  return problems;
}

/** How a product is named in a report: its display, else its FHIR code. */
export function productLabel(p: CatalogueProduct): string {
  const code = p.gtin ? `gtin ${p.gtin}` : `national ${p.national ?? '?'}`;
  return p.display ? `${p.display} (${code})` : code;
}

/** Per system, the products that have no code for it (what an operator still has to map). */
export function missingCodes(catalogue: ProductCatalogue): Record<CatalogueSystem, CatalogueProduct[]> {
  const out = {} as Record<CatalogueSystem, CatalogueProduct[]>;
  for (const s of CATALOGUE_SYSTEMS) out[s] = catalogue.products.filter((p) => !p.codes[s]);
  return out;
}

/** How the FHIR side names products on output, and which national code system it reads. */
export interface ProductNaming {
  /** The national product code system URI (mapping.nationalProductCodeSystem), if any. */
  national?: string;
  /** Write national codes rather than GTINs (mapping.productCodeSystem = national). */
  writeNational?: boolean;
}

/** One system's column of the catalogue, looked up both ways. */
export interface CatalogueIndex {
  /** The row a FHIR product names: its code, then its alternatives, the first that maps wins. */
  rowFor(product: ProductRef): CatalogueRow | undefined;
  /** The row of a system's own code. */
  rowByCode(code: string): CatalogueRow | undefined;
  /** Every code of the system's column, in catalogue order. */
  codes(): string[];
  /** A row as a FHIR product, named as configured (GTIN, else national code). */
  productOf(row: CatalogueRow, display?: string): ProductRef | undefined;
  /**
   * Why a product has no row in this column, for the 422: not in the catalogue at all (the
   * operator adds a row), or there without this system's code (the operator fills that one in).
   */
  unmapped(product: ProductRef): string;
}

export type CatalogueRow = CatalogueProduct & { code: string };

/**
 * The lookups every connector needs over its own column (`codes.<system>`): GTINs compared in
 * their 14-digit form, national codes in the configured system, every code a client gave tried in
 * order. One implementation, so a connector adds only what its system counts in.
 */
export function catalogueIndex(
  catalogue: ProductCatalogue,
  system: CatalogueSystem,
  naming: ProductNaming = {},
): CatalogueIndex {
  const rows: CatalogueRow[] = catalogue.products.flatMap((p) =>
    p.codes[system] ? [{ ...p, code: p.codes[system]! }] : [],
  );
  const byGtin = new Map(rows.filter((r) => r.gtin).map((r) => [normaliseGtin(r.gtin!), r]));
  const byNational = new Map(rows.filter((r) => r.national).map((r) => [r.national!, r]));
  const byCode = new Map(rows.map((r) => [r.code, r]));
  // any row, with or without this system's code: only a refusal asks, so a scan will do
  const names = (p: CatalogueProduct, c: { system: string; code: string }) =>
    c.system === GTIN_SYSTEM
      ? !!p.gtin && normaliseGtin(p.gtin) === normaliseGtin(c.code)
      : !!naming.national && c.system === naming.national && p.national === c.code;
  const rowForCode = (c: { system: string; code: string }) =>
    c.system === GTIN_SYSTEM
      ? byGtin.get(normaliseGtin(c.code))
      : naming.national && c.system === naming.national
        ? byNational.get(c.code)
        : undefined;
  return {
    rowFor: (product) => productCodes(product).map(rowForCode).find(Boolean),
    unmapped(product) {
      const named = `product ${product.system}|${product.code}`;
      const listed = catalogue.products.find((p) => productCodes(product).some((c) => names(p, c)));
      if (!listed)
        return `${named} is not in products.json: no row carries that code (add the product, with codes.${system})`;
      return `${named}${listed.display ? ` (${listed.display})` : ''} has no ${CATALOGUE_CODE_NAMES[system]} in products.json (codes.${system})`;
    },
    rowByCode: (code) => byCode.get(code),
    codes: () => rows.map((r) => r.code),
    productOf(row, display) {
      const shown = row.display ?? display;
      if (naming.writeNational && naming.national && row.national)
        return { system: naming.national, code: row.national, display: shown };
      if (row.gtin) return { system: GTIN_SYSTEM, code: row.gtin, display: shown };
      return naming.national && row.national
        ? { system: naming.national, code: row.national, display: shown }
        : undefined;
    },
  };
}

/** The product naming the mapping settings ask for. */
export function productNaming(settings: Record<string, unknown>): ProductNaming {
  const national =
    settings['mapping.nationalProductCodeSystem'] === undefined
      ? undefined
      : String(settings['mapping.nationalProductCodeSystem']);
  return { national, writeNational: settings['mapping.productCodeSystem'] === 'national' && !!national };
}
