import { BusinessRuleError } from '../../domain/index.js';

/**
 * Lengths OpenLMIS keeps, checked before any call so a value it cannot store is refused with the
 * field named (422) instead of failing half way (issue 9 items 3, 4: a 2 MiB order number got the
 * requisition initiated, then the fill PUT a 413). Free-text columns in OpenLMIS v3 are
 * varchar(255) (openlmis-stockmanagement stock_events.documentnumber, signature; openlmis-requisition
 * requisition_line_items.requestedquantityexplanation), and our order number is written into the
 * requisition's extraData beside them, so one limit serves all.
 */
export const TEXT_MAX = 255;

export interface LimitedText {
  value: string | undefined;
  /** The domain path of the value, for the 422's expression. */
  where: string;
  what: string;
}

export function checkTextLimits(texts: LimitedText[]): void {
  const over = texts.filter((t) => t.value !== undefined && t.value.length > TEXT_MAX);
  if (!over.length) return;
  throw new BusinessRuleError(
    over.map((t) => `${t.what} is ${t.value!.length} characters long; OpenLMIS keeps at most ${TEXT_MAX}`).join('; '),
    over.map((t) => t.where),
  );
}
