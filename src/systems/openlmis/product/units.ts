import { BusinessRuleError } from '../../../domain/errors.js';
import type { Quantity, QuantityUnit } from '../../../domain/index.js';
import type { LmisOrderable } from '../types.js';

/**
 * Packs ↔ dispensing units (reference §3.1, §3.3). Requisitions and stock count dispensing units;
 * orders, shipments and PODs count packs. The domain Quantity says which unit it is in, and these
 * convert at the boundary so no flow guesses.
 */
type PackRules = Pick<LmisOrderable, 'netContent' | 'packRoundingThreshold' | 'roundToZero'>;

/**
 * OpenLMIS `packsToOrder` (BasicOrderableDto): whole packs, one more when the remainder exceeds
 * packRoundingThreshold, and never 0 packs for a positive quantity unless roundToZero.
 */
export function packsToOrder(dispensingUnits: number, orderable: PackRules): number {
  if (dispensingUnits <= 0 || !orderable.netContent) return 0;
  let packs = Math.floor(dispensingUnits / orderable.netContent);
  const remainder = dispensingUnits % orderable.netContent;
  if (remainder > 0 && remainder > orderable.packRoundingThreshold) packs += 1;
  if (packs === 0 && !orderable.roundToZero) packs = 1;
  return packs;
}

export function packsToUnits(packs: number, orderable: Pick<LmisOrderable, 'netContent'>): number {
  return packs * orderable.netContent;
}

/**
 * The quantity in `unit`, converting when the client counted in the other one. A dispensing-unit
 * quantity that is not a whole number of packs cannot become packs without inventing stock, so
 * it is a 422 naming the line (`where`) rather than a silent rounding.
 */
export function toUnit(
  quantity: Quantity,
  unit: QuantityUnit,
  orderable: Pick<LmisOrderable, 'netContent' | 'productCode'>,
  where: string,
): number {
  // counts are whole and exact: a fraction or a value past 2^53 − 1 would be rounded by someone, silently
  if (!Number.isSafeInteger(quantity.value))
    throw new BusinessRuleError(
      `${where}: quantity ${String(quantity.value)} is not a whole number of ${quantity.unit}s`,
      where,
    );
  if (quantity.unit === unit) return quantity.value;
  if (!orderable.netContent || orderable.netContent <= 0) {
    throw new BusinessRuleError(
      `${where}: product ${orderable.productCode} has no pack size (netContent) in OpenLMIS, so ${quantity.unit} cannot be converted to ${unit}`,
      where,
    );
  }
  if (unit === 'dispensing-unit') {
    const units = quantity.value * orderable.netContent;
    if (!Number.isSafeInteger(units))
      throw new BusinessRuleError(
        `${where}: ${quantity.value} packs of ${orderable.netContent} is not a whole number of dispensing units`,
        where,
      );
    return units;
  }
  if (quantity.value % orderable.netContent !== 0) {
    throw new BusinessRuleError(
      `${where}: ${quantity.value} dispensing units of ${orderable.productCode} is not a whole number of packs (${orderable.netContent} per pack); send packs or a multiple of ${orderable.netContent}`,
      where,
    );
  }
  return quantity.value / orderable.netContent;
}
