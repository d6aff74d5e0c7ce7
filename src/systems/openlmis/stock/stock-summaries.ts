import type { LmisClient } from '../types.js';
import * as api from '../api.js';

/**
 * Current stock cards of a facility and program from GET /api/v2/stockCardSummaries (reference
 * §4): one summary per approved product, with one canFulfillForMe entry per stock card (lot or
 * none). Read with the API key where configured; the endpoint is unpaged by default.
 */
export interface StockCardEntry {
  stockCardId?: string;
  orderableId: string;
  orderableVersion?: number;
  lotId?: string;
  stockOnHand: number;
  occurredDate?: string;
  processedDate?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;

export async function stockCards(client: LmisClient, facilityId: string, programId: string): Promise<StockCardEntry[]> {
  const summaries = await api.listStockCardSummaries(client, facilityId, programId);
  return summaries.flatMap((s) =>
    ((s.canFulfillForMe ?? []) as Json[]).map((e) => ({
      stockCardId: e.stockCard?.id ?? undefined,
      // a commodity type is fulfilled by trade items: the entry's own orderable is the card's
      orderableId: String(e.orderable?.id ?? s.orderable?.id),
      orderableVersion: e.orderable?.versionNumber ?? s.orderable?.versionNumber ?? undefined,
      lotId: e.lot?.id ?? undefined,
      stockOnHand: Number(e.stockOnHand ?? 0),
      occurredDate: e.occurredDate ?? undefined,
      processedDate: e.processedDate ?? undefined,
    })),
  );
}

export const cardKey = (orderableId: string, lotId?: string) => `${orderableId}|${lotId ?? ''}`;
