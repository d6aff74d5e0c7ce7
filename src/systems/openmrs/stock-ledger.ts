import type { DayWindow, FacilityLedger, StockCardLedger, StockMovementKind } from '../../domain/stock-ledger.js';
import { NS } from '../../domain/namespace.js';
import type { Facility } from '../../domain/facility.js';
import type { FacilityCapability } from '../../routing/ports.js';
import { malformedAnswer, asRecord } from '../../upstream/errors.js';
import { MAX_PAGES } from '../../upstream/paging.js';
import { nextStartIndex, type OpenMrsClient } from './client.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import type { OpenMrsProductMap } from './products.js';
import { SM, type StockReference } from './stock-reference.js';

/**
 * Each stock location's ledger over a window of days, for the stock → DHIS2 bridge: the stock
 * management module's `stockitemtransaction` list (openmrs/openmrs-module-stockmanagement
 * StockItemTransactionResource: one row per party, stock item and batch each time stock moves,
 * `quantity` signed, in a packaging unit whose `packagingUomFactor` gives base units), read for one
 * party at a time up to the window's end (`dateMax`, on the row's `dateCreated`), page by page
 * (`startIndex`/`limit`, following `links[rel=next]`), folded into cards as it comes: a facility's
 * history is never held as rows. The module lists newest first, so a row recorded while we page
 * shifts the pages by one: rows are taken once by uuid, never twice.
 *
 * The parties of one facility are one ledger: OpenMRS keeps stock in the locations where it is
 * held (a main store, a pharmacy, a ward), usually below the facility's own location, and DHIS2
 * has one org unit for the facility. A party belongs to its nearest location (itself or an
 * ancestor) that is a facility (the facility location tag); a move between two parties of the same
 * facility is an adjustment at each end (out at one, in at the other: nothing leaves the facility),
 * never consumption or a receipt. The parties are told apart by the operation's source and
 * destination party names, which is what the transaction row carries.
 *
 * How a movement counts (as for the OpenLMIS and Open mSupply ledgers): dispensing to a patient
 * (`isPatientTransaction`) and stock transferred or issued out are consumption; a receipt, and a
 * transfer or issue coming in, is received; everything else (adjustments, stock takes, disposals,
 * opening stock, returns) is an adjustment, signed. The operation kind comes from the operation
 * type's name through `stockoperationtype` (the transaction row names the type, not its kind).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

/** A stock item the catalogue does not carry keeps its uuid under this system (the bridge counts it as unmapped). */
export const STOCK_ITEM_SYSTEM = `${NS}/identifier/openmrs-stock-item`;

export interface LedgerDeps {
  client: OpenMrsClient;
  reference: Pick<StockReference, 'stockItem'>;
  products: () => OpenMrsProductMap;
  facilities: Pick<FacilityCapability, 'get'>;
}

export interface TransactionRow {
  uuid: string;
  dateCreated: string;
  quantity: number;
  packagingUomFactor?: number | string | null;
  isPatientTransaction?: boolean;
  stockItemUuid: string;
  stockBatchNo?: string | null;
  expiration?: string | null;
  stockOperationTypeName?: string | null;
  operationSourcePartyName?: string | null;
  operationDestinationPartyName?: string | null;
}

export function movementKindOf(
  row: TransactionRow,
  operationType: string | undefined,
  /** Names of the parties of the same facility (a move between two of them stays inside it). */
  ownParties: ReadonlySet<string> = new Set(),
): StockMovementKind {
  if (row.isPatientTransaction) return 'consumption';
  const within =
    !!row.operationSourcePartyName &&
    !!row.operationDestinationPartyName &&
    ownParties.has(row.operationSourcePartyName) &&
    ownParties.has(row.operationDestinationPartyName);
  if (within) return 'adjustment';
  if (operationType === 'transferout' || operationType === 'stockissue')
    return row.quantity < 0 ? 'consumption' : 'receipt';
  if (operationType === 'receipt' && row.quantity > 0) return 'receipt';
  return 'adjustment';
}

/** The row's quantity in base units (the stock item's dispensing unit). */
export function baseUnits(row: Pick<TransactionRow, 'quantity' | 'packagingUomFactor'>): number {
  const factor =
    row.packagingUomFactor === null || row.packagingUomFactor === undefined ? 1 : Number(row.packagingUomFactor);
  return Number(row.quantity) * (Number.isFinite(factor) && factor > 0 ? factor : 1);
}

/** Folds transaction rows (any order) into one card per stock item and batch. */
export class CardFolder {
  private readonly cards = new Map<string, StockCardLedger>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly window: DayWindow,
    private readonly operationType: (typeName: string | null | undefined) => string | undefined,
    private readonly ownParties: ReadonlySet<string> = new Set(),
  ) {}

  /** One row of `party`'s ledger (each party's stock its own cards, so a move between two is a pair). */
  async add(
    row: TransactionRow,
    productOf: (stockItemUuid: string) => Promise<StockCardLedger['product']>,
    party = '',
  ) {
    if (this.seen.has(row.uuid)) return;
    this.seen.add(row.uuid);
    const day = String(row.dateCreated).slice(0, 10);
    if (day > this.window.to) return;
    const key = `${party}|${row.stockItemUuid}|${row.stockBatchNo ?? ''}`;
    let card = this.cards.get(key);
    if (!card) {
      card = {
        product: await productOf(row.stockItemUuid),
        lot: row.stockBatchNo
          ? { number: row.stockBatchNo, expiry: row.expiration ? String(row.expiration).slice(0, 10) : undefined }
          : undefined,
        opening: 0,
        movements: [],
      };
      this.cards.set(key, card);
    }
    const units = baseUnits(row);
    if (day < this.window.from) card.opening += units;
    else if (units !== 0)
      card.movements.push({
        date: day,
        quantity: units,
        kind: movementKindOf(row, this.operationType(row.stockOperationTypeName), this.ownParties),
      });
  }

  /** The cards, each card's movements in the order they happened (the module answers newest first). */
  result(): StockCardLedger[] {
    return [...this.cards.values()].map((c) => ({
      ...c,
      movements: [...c.movements].sort((a, b) => a.date.localeCompare(b.date)),
    }));
  }
}

const dateMaxOf = (day: string) => `${day}T23:59:59.999+0000`;

/** One party's transactions up to `dateMax`, page by page. */
async function* transactionPages(
  client: OpenMrsClient,
  partyUuid: string,
  dateMax: string,
): AsyncIterable<TransactionRow[]> {
  const path = `${SM}/stockitemtransaction`;
  const limit = client.settings().pageSize;
  let startIndex = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const body = asRecord(
      await client.call<unknown>({
        method: 'GET',
        path,
        query: { partyUuid, dateMax, v: 'default', limit, startIndex },
      }),
    ) as { results?: unknown[]; links?: { rel?: string; uri?: string }[] } | undefined;
    if (!body || !Array.isArray(body.results))
      throw malformedAnswer(OPENMRS, `GET ${path} answered without a results list`, makeOpenMrsError);
    yield body.results as TransactionRow[];
    const next = nextStartIndex(body);
    if (next === undefined || body.results.length === 0) return;
    if (Number.isNaN(next) || next <= startIndex)
      throw malformedAnswer(
        OPENMRS,
        `GET ${path} gave a next link that does not move forward (startIndex ${startIndex})`,
        makeOpenMrsError,
      );
    startIndex = next;
  }
  throw malformedAnswer(OPENMRS, `GET ${path} kept paging past ${MAX_PAGES} pages`, makeOpenMrsError, 'too-costly');
}

export async function* openmrsLedgers(deps: LedgerDeps, window: DayWindow): AsyncIterable<FacilityLedger> {
  const { client } = deps;
  const types = await client.all<Json>({ path: `${SM}/stockoperationtype`, query: { v: 'default' } });
  const typeByName = new Map(types.map((t) => [String(t.name), String(t.operationType)]));
  const operationType = (name: string | null | undefined) => (name ? typeByName.get(name) : undefined);
  const productOf = async (stockItemUuid: string) => {
    const item = await deps.reference.stockItem(stockItemUuid);
    const drug = item?.drugUuid ? String(item.drugUuid) : undefined;
    return (
      (drug && deps.products().productOf(drug, item?.drugName ?? undefined)) || {
        system: STOCK_ITEM_SYSTEM,
        code: stockItemUuid,
      }
    );
  };
  // stock parties standing for a location (a stock source, e.g. the central stores, is no facility)
  const parties = (await client.all<Json>({ path: `${SM}/party`, query: { v: 'default' } })).filter(
    (p) => p.locationUuid && p.voided !== true,
  );
  for (const group of await byFacility(deps, parties)) {
    const folder = new CardFolder(window, operationType, new Set(group.parties.map((p) => String(p.name))));
    for (const party of group.parties)
      for await (const rows of transactionPages(client, String(party.uuid), dateMaxOf(window.to)))
        for (const row of rows) await folder.add(row, productOf, String(party.uuid));
    const cards = folder.result();
    if (!cards.length) continue;
    const { id, facility } = group;
    yield {
      facility: { id, identifier: facility?.identifiers[0], display: facility?.name ?? String(group.parties[0].name) },
      cards,
    };
  }
}

/** Ancestors walked at most (a facility's stock rooms sit a level or two below it). */
const MAX_LOCATION_DEPTH = 10;

/** The parties grouped by their facility location, in the order the parties are listed. */
async function byFacility(
  deps: Pick<LedgerDeps, 'facilities'>,
  parties: Json[],
): Promise<{ id: string; facility?: Facility; parties: Json[] }[]> {
  const groups = new Map<string, { id: string; facility?: Facility; parties: Json[] }>();
  for (const party of parties) {
    const own = String(party.locationUuid);
    const found = await facilityAbove(deps, own);
    const id = found?.id ?? own;
    const group = groups.get(id) ?? { id, facility: found ?? (await deps.facilities.get(own)), parties: [] };
    group.parties.push(party);
    groups.set(id, group);
  }
  return [...groups.values()];
}

/** The location itself or its nearest ancestor that is a facility, if any. */
async function facilityAbove(deps: Pick<LedgerDeps, 'facilities'>, location: string): Promise<Facility | undefined> {
  let id: string | undefined = location;
  for (let depth = 0; id && depth < MAX_LOCATION_DEPTH; depth++) {
    const f = await deps.facilities.get(id);
    if (!f) return undefined;
    if (f.kind === 'facility') return f;
    id = f.partOf;
  }
  return undefined;
}
