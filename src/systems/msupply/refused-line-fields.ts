import { msupplyReason } from './errors.js';

/**
 * Open mSupply's refusals of a stocktake line's insert or update for a field naming what the
 * store cannot take, and the field each refuses (server/service/src/stocktake_line/insert|update
 * /validate.rs): a location not in the store, or not of the item's restricted type (upstream
 * compares the type's id with the location's, so any location of a restricted item that is not
 * of its type); a manufacturer that does not exist, is not visible in the store or is not a
 * manufacturer; a campaign or program that no longer exists.
 */
const REFUSED_FIELD: Readonly<Record<string, string>> = {
  LocationDoesNotExist: 'location',
  IncorrectLocationType: 'location',
  ManufacturerDoesNotExist: 'manufacturerId',
  ManufacturerNotVisible: 'manufacturerId',
  ManufacturerIsNotAManufacturer: 'manufacturerId',
  CampaignDoesNotExist: 'campaignId',
  ProgramDoesNotExist: 'programId',
};

/** A field left out of a stocktake line, and Open mSupply's reason (its error variant) for refusing it. */
export type DroppedField = (field: string, reason: string) => void;

/**
 * `send` with `fields` (the stock line's own, given with a count), again without each one Open
 * mSupply refuses: the stock line held it, but the count fails for good over it where the numbers
 * were fine. The refused write changed nothing, so sending it again is safe. Open mSupply's
 * finalise then leaves the batch without that field (a line's none is written over the stock
 * line's: stocktake/update/generate.rs), as its own stocktake screen would have it. Each field
 * left out is told to `dropped`: the batch loses it, which the operator should hear of.
 */
export async function sendDroppingRefused<F extends object>(
  fields: F,
  send: (fields: Partial<F>) => Promise<unknown>,
  dropped: DroppedField,
): Promise<void> {
  let given: Partial<F> = fields;
  for (;;) {
    try {
      await send(given);
      return;
    } catch (err) {
      const reason = msupplyReason(err) ?? '';
      const field = REFUSED_FIELD[reason];
      if (!field || !(field in given)) throw err;
      dropped(field, reason);
      const rest: Record<string, unknown> = { ...given };
      delete rest[field];
      given = rest as Partial<F>;
    }
  }
}
