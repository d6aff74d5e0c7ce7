import type {
  DayWindow,
  FacilityLedger,
  StockCardLedger,
  StockMovement,
  StockMovementKind,
} from '../../../domain/stock-ledger.js';
import { FACILITY_CODE_SYSTEM } from '../identifiers.js';
import type { LmisFacilityRef, OpenLmisDeps } from '../types.js';
import { stockCards } from './stock-summaries.js';
import * as api from '../api.js';

/**
 * Each facility's stock cards over a window of days, for bridges (LMIS stock → DHIS2): facilities
 * page by page from GET /api/facilities, their active programs, the cards of each from
 * GET /api/v2/stockCardSummaries and each card's line items from GET /api/stockCards/{id}
 * (reference §4: reason, quantity, stock on hand after, source/destination, occurredDate; user
 * token, the API key is refused there). One facility is held in memory at a time.
 *
 * How a line item counts (openlmis-dhis2-integration's rule: received = TRANSFER/CREDIT lines):
 * a source or a CREDIT transfer reason or a receipt-named reason is a receipt; a destination, a
 * DEBIT transfer or a consumption-named reason is consumption (stock issued onward leaves the
 * facility's hands as consumption does); a physical inventory (no reason, source or destination)
 * and every other reason is an adjustment, by its signed quantity.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;

const RECEIPT_REASONS = new Set(['receipts', 'received', 'receipt', 'transfer in']);
const CONSUMPTION_REASONS = new Set(['consumed', 'consumption', 'dispensed', 'issued', 'transfer out']);
const FACILITY_PAGE = 200;

export function movementKindOf(item: Json): StockMovementKind {
  if (item.sourceId) return 'receipt';
  if (item.destinationId) return 'consumption';
  const reason = item.reason as Json | null | undefined;
  if (!reason) return 'adjustment';
  const name = String(reason.name ?? '').toLowerCase();
  if (RECEIPT_REASONS.has(name) || (reason.reasonCategory === 'TRANSFER' && reason.reasonType === 'CREDIT'))
    return 'receipt';
  if (CONSUMPTION_REASONS.has(name) || (reason.reasonCategory === 'TRANSFER' && reason.reasonType === 'DEBIT'))
    return 'consumption';
  return 'adjustment';
}

/** The signed change of a line item (quantityWithSign; a count's is its difference to the balance before). */
function signedQuantity(item: Json): number {
  if (Number.isFinite(Number(item.quantityWithSign))) return Number(item.quantityWithSign);
  return Number(item.quantity ?? 0);
}

/** One card's opening balance before the window and its movements within it. */
export function cardLedger(items: Json[], window: DayWindow): { opening: number; movements: StockMovement[] } {
  const dated = items
    .map((i) => ({ item: i, date: String(i.occurredDate ?? '').slice(0, 10) }))
    .filter((x) => x.date)
    .sort(
      (a, b) =>
        a.date.localeCompare(b.date) || String(a.item.processedDate).localeCompare(String(b.item.processedDate)),
    );
  const before = dated.filter((x) => x.date < window.from);
  const opening = before.length ? Number(before[before.length - 1].item.stockOnHand ?? 0) : 0;
  const movements = dated
    .filter((x) => x.date >= window.from && x.date <= window.to)
    .map((x) => ({ date: x.date, quantity: signedQuantity(x.item), kind: movementKindOf(x.item) }))
    .filter((m) => m.quantity !== 0);
  return { opening, movements };
}

async function facilityLedger(
  deps: OpenLmisDeps,
  facility: LmisFacilityRef,
  window: DayWindow,
): Promise<FacilityLedger> {
  const cards: StockCardLedger[] = [];
  for (const program of await deps.refs.activePrograms(facility.id)) {
    for (const entry of await stockCards(deps.client, facility.id, program.id)) {
      if (!entry.stockCardId) continue;
      const orderable = await deps.refs.orderableById(entry.orderableId, entry.orderableVersion);
      if (!orderable) continue; // an orderable the server no longer serves: nothing to name it by
      const card = (await api.getStockCard(deps.client, entry.stockCardId))!;
      const lot =
        entry.lotId && orderable.tradeItemId
          ? (await deps.refs.lots(orderable.tradeItemId)).find((l) => l.id === entry.lotId)
          : undefined;
      cards.push({
        product: deps.products.toProduct(orderable.productCode, orderable.fullProductName),
        lot: lot ? { number: lot.lotCode, expiry: lot.expirationDate } : undefined,
        ...cardLedger((card.lineItems ?? []) as Json[], window),
      });
    }
  }
  return {
    facility: {
      id: facility.id,
      identifier: { system: FACILITY_CODE_SYSTEM, value: facility.code },
      display: facility.name,
    },
    cards,
  };
}

/** Every facility's ledger, facilities read a page at a time; facilities without stock cards are left out. */
export async function* openLmisLedgers(deps: OpenLmisDeps, window: DayWindow): AsyncIterable<FacilityLedger> {
  for (let page = 0; ; page++) {
    const answer = (await api.facilitiesPage(deps.client, { page, size: FACILITY_PAGE, sort: 'code' })) as Json;
    const content = (Array.isArray(answer) ? answer : (answer.content ?? [])) as Json[];
    for (const f of content) {
      if (f.active === false) continue;
      const ledger = await facilityLedger(
        deps,
        { id: String(f.id), code: String(f.code), name: String(f.name) },
        window,
      );
      if (ledger.cards.length) yield ledger;
    }
    if (Array.isArray(answer) || answer.last !== false || !content.length) return;
  }
}
