import type { MsupplyState } from './state.js';

type Obj = Record<string, unknown>;

/** A store's location (location table): its type, which an item may be restricted to. */
export interface Location {
  id: string;
  storeId: string;
  locationTypeId: string | null;
}

/**
 * What a stocktake line may name beyond the store's items and stock: locations, the campaigns and
 * programs that exist. The seed's own, so a stock line set with them counts through; a test
 * removes one to see the refusal.
 */
export interface LineFieldFixtures {
  locations: Map<string, Location>;
  campaigns: Set<string>;
  programs: Set<string>;
  /** Items restricted to a location type (item.restricted_location_type_id). */
  restrictedLocationType: Map<string, string>;
}

export function lineFieldFixtures(): LineFieldFixtures {
  const locations = new Map<string, Location>();
  for (const id of ['location-shelf-a', 'location-cold-room'])
    locations.set(id, { id, storeId: 'store-hc-north', locationTypeId: null });
  return {
    locations,
    campaigns: new Set(['campaign-measles-2026']),
    programs: new Set(['program-essential']),
    restrictedLocationType: new Map(),
  };
}

/** A field given as a plain id (insert) or a NullableStringUpdate (update): the id it sets, if any. */
const idOf = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object'
      ? ((v as { value?: string | null }).value ?? undefined)
      : undefined;

/**
 * The "Bad user input" detail Open mSupply refuses a stocktake line's insert or update with for a
 * field naming what the store cannot take (msupply-foundation/open-msupply
 * server/service/src/stocktake_line/insert|update/validate.rs; all BadUserInput in
 * server/graphql/stocktake_line/src/mutations): a location not in the store, or one whose type is
 * not the item's restricted type (upstream compares the restricted type's id with the location's
 * id, so the check runs whenever the item is restricted, unless the location's id is the type's);
 * a manufacturer that does not exist, is not visible in the store or is not a manufacturer
 * (validate.rs check_other_party); a campaign or program that does not exist.
 */
export function refusedLocation(state: MsupplyState, storeId: string, itemId: string, input: Obj): string | undefined {
  const f = state.lineFields;
  const location = idOf(input.location);
  if (!location) return undefined;
  const found = f.locations.get(location);
  if (!found || found.storeId !== storeId) return 'LocationDoesNotExist';
  const restricted = f.restrictedLocationType.get(itemId);
  if (restricted && restricted !== location && found.locationTypeId !== restricted) return 'IncorrectLocationType';
  return undefined;
}

/**
 * The same for its manufacturer (name.is_manufacturer, visible through name_store_join), campaign
 * and program, in that order, checked after the count and its reason as upstream does.
 */
export function refusedSource(state: MsupplyState, storeId: string, input: Obj): string | undefined {
  const f = state.lineFields;
  const manufacturer = idOf(input.manufacturerId);
  if (manufacturer) {
    const name = state.names.get(manufacturer);
    if (!name) return 'ManufacturerDoesNotExist';
    if (!state.visibleName(storeId, manufacturer)) return 'ManufacturerNotVisible';
    if (!name.isManufacturer) return 'ManufacturerIsNotAManufacturer';
  }
  const campaign = idOf(input.campaignId);
  if (campaign && !f.campaigns.has(campaign)) return 'CampaignDoesNotExist';
  const program = idOf(input.programId);
  if (program && !f.programs.has(program)) return 'ProgramDoesNotExist';
  return undefined;
}
