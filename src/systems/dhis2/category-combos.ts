import { BusinessRuleError } from '../../domain/errors.js';
import { asRecord } from '../../upstream/errors.js';

/**
 * Which category option combo (COC) a product's value goes under, from the data element's own
 * category combo as DHIS2's metadata gives it (`GET /api/dataElements?fields=…,categoryCombo[id,
 * name,isDefault,categoryOptionCombos[id,code,name]]`, docs.dhis2.org developer/web-api
 * metadata.md; reference §1.4). A data element that is not disaggregated has the default combo and
 * its one COC. One disaggregated by commodity (one data element for every product, a COC per
 * product, as national HMIS often keep family planning commodities) takes the COC whose code is
 * the product's DHIS2 code, unless dhis2-indicators.json names one; a product its combo does not
 * have is refused naming the product, before anything is sent.
 */
export interface CategoryOptionCombo {
  id: string;
  code?: string;
  name?: string;
}

export interface CategoryComboMeta {
  id: string;
  name?: string;
  isDefault: boolean;
  categoryOptionCombos: CategoryOptionCombo[];
}

/** A data element's `categoryCombo` as read; undefined when the server sent no COC list. */
export function comboFrom(raw: unknown): CategoryComboMeta | undefined {
  const c = asRecord(raw);
  if (!c || typeof c.id !== 'string' || !Array.isArray(c.categoryOptionCombos)) return undefined;
  const categoryOptionCombos = c.categoryOptionCombos
    .map(asRecord)
    .filter((o): o is Record<string, unknown> => !!o && typeof o.id === 'string')
    .map((o) => ({
      id: String(o.id),
      code: typeof o.code === 'string' ? o.code : undefined,
      name: typeof o.name === 'string' ? o.name : undefined,
    }));
  const name = typeof c.name === 'string' ? c.name : undefined;
  // old servers omit isDefault: the default combo is the one named "default" with one COC
  const isDefault = c.isDefault === true || (c.isDefault === undefined && name === 'default');
  return { id: c.id, name, isDefault, categoryOptionCombos };
}

export interface CocQuestion {
  /** The product's DHIS2 code. */
  product: string;
  measure: string;
  dataElement: string;
  /** The COC dhis2-indicators.json names for this product and measure (UID or code), if any. */
  named?: string;
  /** The data element's combo; undefined when DHIS2 did not say (the data element is unknown to it). */
  combo?: CategoryComboMeta;
  /** The file's default COC, for a data element DHIS2 says nothing about. */
  fallback: string;
  /** FHIRPath of the line, for the refusal. */
  where: string;
}

const sameAs = (coc: CategoryOptionCombo, key: string) => coc.id === key || coc.code === key;

export function cocFor(q: CocQuestion): string {
  const { combo } = q;
  // DHIS2 knows nothing of the data element: it refuses the value itself (a conflict on its line)
  if (!combo) return q.named ?? q.fallback;
  const label = `category combo ${combo.name ?? combo.id} (${combo.id})`;
  if (q.named) {
    const hit = combo.categoryOptionCombos.find((c) => sameAs(c, q.named!));
    if (hit) return hit.id;
    throw new BusinessRuleError(
      `product ${q.product}: dhis2-indicators.json names category option combo ${q.named} for ${q.measure}, which is not one of data element ${q.dataElement}'s ${label}`,
      q.where,
    );
  }
  if (combo.isDefault) return combo.categoryOptionCombos[0]?.id ?? q.fallback;
  const own = combo.categoryOptionCombos.find((c) => c.code === q.product);
  if (own) return own.id;
  const some = combo.categoryOptionCombos
    .slice(0, 5)
    .map((c) => c.code ?? c.name ?? c.id)
    .join(', ');
  throw new BusinessRuleError(
    `product ${q.product}: data element ${q.dataElement} (${q.measure}) is disaggregated by ${label}, and none of its category option combos has the code ${q.product} (it has ${some || 'none'}); name one under products.${q.product}.${q.measure}.categoryOptionCombo in dhis2-indicators.json`,
    q.where,
  );
}
