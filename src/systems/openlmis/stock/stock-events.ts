import type { LmisClient, LmisFacilityRef, LmisProgram, OpenLmisSettings } from '../types.js';
import type { ResolvedLine } from './stock-lines.js';
import { cardKey, type StockCardEntry } from './stock-summaries.js';
import { ExpiringCache } from '../../../upstream/expiring-cache.js';
import * as ops from '../api.js';

/**
 * Posting one stock event (reference §4): through the code-based public API
 * (stockmanagement ≥ 5.2: codes in, reason by name) or the UUID API. The event kind is inferred
 * by OpenLMIS: no reason on any line = physical inventory, reasons only = adjustment. The report
 * identifier is the documentNumber, so a retry can find out whether the event already landed.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;

export interface StockEventPlan {
  facility: LmisFacilityRef;
  program: LmisProgram;
  documentNumber: string;
  signature?: string;
  lines: ResolvedLine[];
}

/** OpenLMIS quantities are positive; the reason type carries the sign of an adjustment. */
const magnitude = (l: ResolvedLine) => Math.abs(l.quantity);

export function uuidEventBody(plan: StockEventPlan): Json {
  return {
    facilityId: plan.facility.id,
    programId: plan.program.id,
    documentNumber: plan.documentNumber,
    signature: plan.signature,
    lineItems: plan.lines.map((l) => ({
      orderableId: l.orderable.id,
      lotId: l.lot?.id,
      quantity: magnitude(l),
      occurredDate: l.occurredDate,
      reasonId: l.reason?.id,
    })),
  };
}

export function codeEventBody(plan: StockEventPlan): Json {
  return {
    facility: plan.facility.code,
    program: plan.program.code,
    documentNumber: plan.documentNumber,
    signature: plan.signature,
    items: plan.lines.map((l) => ({
      orderable: l.orderable.productCode,
      lot: l.lot?.lotCode,
      quantity: magnitude(l),
      occurredDate: l.occurredDate,
      reason: l.reason?.name,
    })),
  };
}

/** Which API to use: configured, or detected once per server (a 404 route = no public API; a failed probe is tried again). */
export function createStockApiChooser(
  client: LmisClient,
  settings: () => OpenLmisSettings,
): (plan: StockEventPlan) => Promise<'code' | 'uuid'> {
  const detected = new ExpiringCache(() => Number.POSITIVE_INFINITY);
  return (plan) => {
    const s = settings();
    if (s.stockApi !== 'auto') return Promise.resolve(s.stockApi);
    return detected.get(s.baseUrl, () =>
      ops
        .probePublicStockApi(client, plan.facility.code, plan.program.code)
        .then((res) =>
          res.status === 404 && !(res.body as Json | undefined)?.messageKey ? ('uuid' as const) : ('code' as const),
        ),
    );
  };
}

export async function postStockEvent(client: LmisClient, api: 'code' | 'uuid', plan: StockEventPlan): Promise<string> {
  // the user token: an API key needs a userId in the event, and the user has the stock rights
  const id =
    api === 'code'
      ? await ops.postPublicStockEvent(client, codeEventBody(plan))
      : await ops.postStockEvent(client, uuidEventBody(plan));
  return typeof id === 'string' ? id : String((id as Json)?.id ?? '');
}

/**
 * Did an event with this documentNumber already land? Events are atomic, so the stock card of the
 * first line tells: it carries a line item with the documentNumber iff the event was applied.
 */
export async function findAppliedEvent(
  client: LmisClient,
  plan: StockEventPlan,
  cards: StockCardEntry[],
): Promise<string | undefined> {
  const first = plan.lines[0];
  if (!first) return undefined;
  const card = cards.find((c) => cardKey(c.orderableId, c.lotId) === cardKey(first.orderable.id, first.lot?.id));
  if (!card?.stockCardId) return undefined;
  // stock cards refuse API keys (reference §1)
  const body = await ops.getStockCard(client, card.stockCardId, [404]);
  const item = ((body?.lineItems ?? []) as Json[]).find((li) => li.documentNumber === plan.documentNumber);
  return item ? String(item.eventId ?? item.stockEventId ?? item.id ?? 'applied') : undefined;
}
