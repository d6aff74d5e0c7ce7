import type { StockLine, StockReport } from '../../../domain/index.js';
import type { LmisFacilityRef, LmisProgram, OpenLmisDeps } from '../types.js';
import { FACILITY_CODE_SYSTEM, LMIS_SYSTEM } from '../identifiers.js';
import { stockCards } from './stock-summaries.js';

/**
 * Stock card summaries → an InventoryReport snapshot per facility and program: one line per stock
 * card (lot and expiry included), quantities in dispensing units. The report id is the facility
 * and program UUIDs in hex (64 characters, FHIR's id limit), so `get` needs no state to decode it.
 */
const hex = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
const uuidOf = (h: string) =>
  `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;

export function stockReportId(facilityId: string, programId: string): string {
  return `${hex(facilityId)}${hex(programId)}`;
}

export function parseStockReportId(id: string): { facilityId: string; programId: string } | undefined {
  return /^[0-9a-f]{64}$/.test(id)
    ? { facilityId: uuidOf(id.slice(0, 32)), programId: uuidOf(id.slice(32)) }
    : undefined;
}

export async function readStockReport(
  deps: OpenLmisDeps,
  facility: LmisFacilityRef,
  program: LmisProgram,
): Promise<StockReport> {
  const cards = await stockCards(deps.client, facility.id, program.id);
  const lines: StockLine[] = [];
  let latest = '';
  for (const card of cards) {
    const orderable = await deps.refs.orderableById(card.orderableId, card.orderableVersion);
    if (!orderable) continue; // a card for an orderable the server no longer serves: nothing to name it by
    const lot =
      card.lotId && orderable.tradeItemId
        ? (await deps.refs.lots(orderable.tradeItemId)).find((l) => l.id === card.lotId)
        : undefined;
    lines.push({
      product: deps.products.toProduct(orderable.productCode, orderable.fullProductName),
      quantity: { value: card.stockOnHand, unit: 'dispensing-unit' },
      lot: lot ? { number: lot.lotCode, expiry: lot.expirationDate } : undefined,
      countedAt: card.occurredDate,
    });
    if ((card.processedDate ?? '') > latest) latest = card.processedDate!;
  }
  return {
    id: stockReportId(facility.id, program.id),
    status: 'active',
    countType: 'snapshot',
    reportedAt: latest || new Date().toISOString(),
    ...(latest ? {} : { reportedAtIsRead: true as const }),
    facility: {
      id: facility.id,
      identifier: { system: FACILITY_CODE_SYSTEM, value: facility.code },
      display: facility.name,
    },
    program: program.code,
    lines,
    source: { system: LMIS_SYSTEM, id: `${facility.id}/${program.id}` },
    lastUpdated: latest || undefined,
  };
}
