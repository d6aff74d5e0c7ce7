import type { ConnectorLog } from '../connector-log.js';
import type { DroppedField } from './refused-line-fields.js';

/** Where a count left a field out: the stocktake and the batch its line counts. */
export interface CountedBatch {
  storeId: string;
  stocktakeId: string;
  /** The number Open mSupply's stocktake screen lists it by, when the write has read it. */
  stocktakeNumber?: number;
  itemId: string;
  /** The item's code, when the write looked it up (a top-up has the line's item id only). */
  itemCode?: string;
  batch?: string | null;
  stockLineId?: string;
}

/**
 * One warning per field a count left out of a stocktake line (refused-line-fields.ts): the count
 * succeeded, so its client hears nothing, but finalise leaves the batch without that field (its
 * shelf, manufacturer, campaign or program), which the operator should know to put right in Open
 * mSupply. Only ids, codes and the refusal's variant: nothing a setting or a client sent.
 */
export function warnDroppedField(log: ConnectorLog, where: CountedBatch): DroppedField {
  return (field, reason) =>
    log.warn(
      { system: 'msupply', ...where, batch: where.batch ?? undefined, field, reason },
      `msupply: a count left ${field} out of its stocktake line (Open mSupply refused it: ${reason}); finalise leaves the batch without it`,
    );
}
