import { isValidGtin, normaliseGtin } from './gtin.js';

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
    if (row.gtin && !isValidGtin(row.gtin)) problems.push({ path: `/products/${i}/gtin`, reason: `${row.gtin} has a wrong check digit` });
    const keys = [
      row.gtin && `gtin:${normaliseGtin(row.gtin)}`,
      row.national && `national:${row.national}`,
      ...CATALOGUE_SYSTEMS.map((s) => row.codes[s] && `${s}:${row.codes[s]}`),
    ];
    for (const key of keys) {
      if (!key) continue;
      const first = seen.get(key);
      if (first !== undefined) problems.push({ path: `/products/${i}`, reason: `repeats ${key} of /products/${first}` });
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
