import type { StockLineMore } from './model.js';
import type { MsupplyState } from './state.js';
import { nameNode } from './views.js';

type Obj = Record<string, unknown>;

/**
 * A stocktake line's location, manufacture date, volume per pack, donor, manufacturer, campaign
 * and program: only what its insert gives, volume per pack 0 if not given
 * (msupply-foundation/open-msupply server/service/src/stocktake_line/insert/generate.rs).
 */
export function stocktakeLineMore(input: Obj): StockLineMore {
  const location = input.location as { value?: string | null } | null | undefined;
  return {
    locationId: location?.value ?? null,
    manufactureDate: (input.manufactureDate as string | undefined) ?? null,
    volumePerPack: (input.volumePerPack as number | undefined) ?? 0,
    donorId: (input.donorId as string | undefined) ?? null,
    manufacturerId: (input.manufacturerId as string | undefined) ?? null,
    campaignId: (input.campaignId as string | undefined) ?? null,
    programId: (input.programId as string | undefined) ?? null,
  };
}

/**
 * A stocktake line's fields after an update: each given one set (a NullableStringUpdate's or
 * NullableDateUpdate's value, null clearing it; volume per pack a Float), the rest kept
 * (msupply-foundation/open-msupply server/service/src/stocktake_line/update/generate.rs).
 */
export function moreUpdated(line: StockLineMore = {}, input: Obj): StockLineMore {
  const set = (key: string, kept: string | null | undefined) => {
    const update = input[key] as { value?: string | null } | null | undefined;
    return update ? (update.value ?? null) : (kept ?? null);
  };
  return {
    locationId: set('location', line.locationId),
    manufactureDate: set('manufactureDate', line.manufactureDate),
    volumePerPack: (input.volumePerPack as number | null | undefined) ?? line.volumePerPack ?? 0,
    donorId: set('donorId', line.donorId),
    manufacturerId: set('manufacturerId', line.manufacturerId),
    campaignId: set('campaignId', line.campaignId),
    programId: set('programId', line.programId),
  };
}

/**
 * The stock line's fields after a count's finalise: the line's written over the stock line's,
 * none where the line has none (stocktake/update/generate.rs generate_stock_in_out_or_update: a
 * StockUpdate, stock-in or stock-out line all carry them), except the manufacture date a count
 * that takes packs away leaves as it was (the stock-out line has none).
 */
export function moreAfterCount(stock: StockLineMore = {}, line: StockLineMore = {}, delta: number): StockLineMore {
  return {
    locationId: line.locationId ?? null,
    manufactureDate: delta >= 0 ? (line.manufactureDate ?? null) : (stock.manufactureDate ?? null),
    volumePerPack: line.volumePerPack ?? 0,
    donorId: line.donorId ?? null,
    manufacturerId: line.manufacturerId ?? null,
    campaignId: line.campaignId ?? null,
    programId: line.programId ?? null,
  };
}

/** StockLineNode's fields for them. */
export function moreNodeFields(state: MsupplyState, more: StockLineMore = {}): Obj {
  const name = (id: string | null | undefined) => {
    const found = id ? state.names.get(id) : undefined;
    return ({ storeId }: { storeId: string }) => (found ? nameNode(state, found, storeId) : null);
  };
  return {
    locationId: more.locationId ?? null,
    location: more.locationId ? { __typename: 'LocationNode', id: more.locationId } : null,
    manufactureDate: more.manufactureDate ?? null,
    volumePerPack: more.volumePerPack ?? 0,
    donor: name(more.donorId),
    manufacturer: name(more.manufacturerId),
    campaign: more.campaignId ? { __typename: 'CampaignNode', id: more.campaignId } : null,
    program: more.programId ? { __typename: 'ProgramNode', id: more.programId } : null,
  };
}

/** StocktakeLineNode's fields for them: a donor by id and name, not a NameNode as on a stock line. */
export function stocktakeLineMoreFields(state: MsupplyState, more: StockLineMore = {}): Obj {
  const node = moreNodeFields(state, more);
  return {
    location: node.location,
    manufactureDate: node.manufactureDate,
    volumePerPack: node.volumePerPack,
    donorId: more.donorId ?? null,
    donorName: more.donorId ? (state.names.get(more.donorId)?.name ?? null) : null,
    manufacturer: node.manufacturer,
    campaign: node.campaign,
    program: node.program,
  };
}
