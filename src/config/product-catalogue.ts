import { catalogueProblems, type ProductCatalogue } from '../domain/product-catalogue.js';
import { loadMapping, type MappingFile } from './mappings.js';

/** fhir-mappings/products.json: the one product catalogue every connector reads its codes from. */
export const PRODUCTS_FILE: MappingFile<ProductCatalogue> = {
  file: 'products.json',
  schema: 'products.schema.json',
  check: catalogueProblems,
};

/** The catalogue in a mapping directory (default: the active one), validated. */
export function loadProductCatalogue(dir?: string): ProductCatalogue {
  return loadMapping(PRODUCTS_FILE, dir);
}
