import { badRequest } from './errors.js';
import { isUuid, newId } from './ids.js';
import type { Json, StockCard, StockCardLineItem, StockEventKind } from './model.js';
import type { SandboxStore } from './state.js';

/**
 * Stock events (reference §4; stockmanagement validators): the kind is inferred from the lines —
 * source ⇒ receive, destination ⇒ issue, reason only ⇒ adjustment, none of them on any line ⇒
 * physical inventory (quantity = counted stock on hand). Quantities are dispensing units.
 */
export interface StockEventLineInput {
  orderableId?: string | null;
  lotId?: string | null;
  quantity?: number | null;
  occurredDate?: string | null;
  reasonId?: string | null;
  reasonFreeText?: string | null;
  sourceId?: string | null;
  sourceFreeText?: string | null;
  destinationId?: string | null;
  destinationFreeText?: string | null;
  stockAdjustments?: Array<{ reasonId: string; quantity: number }> | null;
  extraData?: Json | null;
}
export interface StockEventInput {
  resourceId?: string | null;
  facilityId?: string | null;
  programId?: string | null;
  signature?: string | null;
  documentNumber?: string | null;
  userId?: string | null;
  lineItems?: StockEventLineInput[] | null;
}

const PREFIX = 'stockmanagement.error.event';

export function inferKind(lines: StockEventLineInput[]): StockEventKind {
  if (lines.some((l) => l.sourceId)) return 'receive';
  if (lines.some((l) => l.destinationId)) return 'issue';
  if (lines.some((l) => l.reasonId)) return 'adjustment';
  return 'physicalInventory';
}

function today(store: SandboxStore): string {
  return new Date(store.clock()).toISOString().slice(0, 10);
}

function validateMandatory(store: SandboxStore, event: StockEventInput): StockEventLineInput[] {
  if (!event.facilityId || !store.facility(event.facilityId))
    throw badRequest(`${PREFIX}.facilityId.invalid`, 'Facility ID {0} is not valid.', event.facilityId ?? null);
  if (!event.programId || !store.program(event.programId))
    throw badRequest(`${PREFIX}.programId.invalid`, 'Program ID {0} is not valid.', event.programId ?? null);
  const lines = event.lineItems ?? [];
  if (!lines.length)
    throw badRequest(`${PREFIX}.no.lineItems`, 'No line items were provided. {0}', event.lineItems ?? null);
  if (lines.some((l) => !l.orderableId))
    throw badRequest(`${PREFIX}.orderableId.invalid`, 'Orderable ID {0} is not valid.');
  for (const l of lines) {
    if (!l.occurredDate || !/^\d{4}-\d{2}-\d{2}$/.test(l.occurredDate))
      throw badRequest(`${PREFIX}.occurredDate.invalid`, 'Occurred date {0} is not valid.', l.occurredDate ?? null);
    if (l.occurredDate > today(store)) {
      throw badRequest(
        `${PREFIX}.occurredDate.in.future`,
        "Occurred date {0} is in the future, your computer's time might have drifted from standard time.",
        l.occurredDate,
      );
    }
  }
  const invalid = lines
    .filter((l) => typeof l.quantity !== 'number' || !Number.isInteger(l.quantity) || l.quantity < 0)
    .map((l) => l.quantity ?? null);
  if (invalid.length) throw badRequest(`${PREFIX}.quantities.invalid`, 'Quantities {0} are not valid.', invalid);
  return lines;
}

function validateApproved(
  store: SandboxStore,
  facilityTypeId: string,
  programId: string,
  lines: StockEventLineInput[],
): void {
  const approved = new Set(store.approvedProductsFor(facilityTypeId, programId).map((a) => a.orderableId));
  const missing = [...new Set(lines.map((l) => l.orderableId!).filter((id) => !approved.has(id)))];
  if (missing.length) {
    // codes of the orderables that exist; unknown ids contribute nothing, as findByIds does
    const codes = missing
      .map((id) => store.orderable(id)?.productCode)
      .filter(Boolean)
      .join(', ');
    throw badRequest(
      `${PREFIX}.orderable.not.in.approvedList`,
      'The following orderables are not present in the approved list: {0}',
      codes,
    );
  }
}

function validateLots(store: SandboxStore, lines: StockEventLineInput[]): void {
  for (const l of lines) {
    if (!l.lotId) continue;
    const lot = store.lot(l.lotId);
    if (!lot) throw badRequest(`${PREFIX}.lot.not.exist`, 'Lot {0} does not exist.', l.lotId);
    const orderable = store.orderable(l.orderableId!);
    if (orderable?.identifiers.tradeItem !== lot.tradeItemId)
      throw badRequest(`${PREFIX}.lot.not.match.orderable`, 'Lot {0} is not under {1}.', l.lotId, l.orderableId);
  }
}

function validateReasons(
  store: SandboxStore,
  facilityTypeId: string,
  programId: string,
  kind: StockEventKind,
  lines: StockEventLineInput[],
): void {
  for (const l of lines) {
    if (l.sourceId && l.destinationId)
      throw badRequest(
        `${PREFIX}.sourceAndDestination.bothPresent`,
        'Source {0} and destination {1} should not both be present.',
        l.sourceId,
        l.destinationId,
      );
    if (!l.reasonId) continue;
    const reason = store.reason(l.reasonId);
    if (!reason) throw badRequest(`${PREFIX}.reason.not.exist`, 'Reason {0} does not exist.', l.reasonId);
    const assigned = store.seed.validReasons.some(
      (v) => v.reasonId === reason.id && v.programId === programId && v.facilityTypeId === facilityTypeId,
    );
    if (!assigned)
      throw badRequest(`${PREFIX}.reason.not.in.validList`, 'Reason {0} is not in valid reason list.', l.reasonId);
    if (l.sourceId) {
      if (reason.reasonType !== 'CREDIT')
        throw badRequest(
          `${PREFIX}.receive.reasonType.invalid`,
          'You have provided a reason {0} of type {1} that is invalid for a receive event.',
          reason.id,
          reason.reasonType,
        );
      if (reason.reasonCategory !== 'TRANSFER')
        throw badRequest(
          `${PREFIX}.receive.reasonCategory.invalid`,
          'You have provided a reason {0} of category {1} that is invalid for a receive event.',
          reason.id,
          reason.reasonCategory,
        );
    } else if (l.destinationId) {
      if (reason.reasonType !== 'DEBIT')
        throw badRequest(
          `${PREFIX}.issue.reasonType.invalid`,
          'You have provided a reason {0} of type {1} that is invalid for a issue event.',
          reason.id,
          reason.reasonType,
        );
      if (reason.reasonCategory !== 'TRANSFER')
        throw badRequest(
          `${PREFIX}.issue.reasonCategory.invalid`,
          'You have provided a reason {0} of category {1} that is invalid for a issue event.',
          reason.id,
          reason.reasonCategory,
        );
    } else if (kind === 'adjustment') {
      if (reason.reasonType !== 'CREDIT' && reason.reasonType !== 'DEBIT')
        throw badRequest(
          `${PREFIX}.adjustment.reason.type.invalid`,
          'Reason type {0} is not valid for this adjustment event.',
          reason.reasonType,
        );
      if (reason.reasonCategory !== 'ADJUSTMENT' && reason.reasonCategory !== 'TRANSFER')
        throw badRequest(
          `${PREFIX}.adjustment.reason.category.invalid`,
          'Reason category {0} is not valid for this adjustment event.',
          reason.reasonCategory,
        );
    }
    if (l.reasonFreeText && !reason.isFreeTextAllowed)
      throw badRequest(
        `${PREFIX}.reasonFreeText.notAllowed`,
        'Reason {0} with free text "{1}" is not allowed.',
        reason.id,
        l.reasonFreeText,
      );
  }
}

function validateSourcesDestinations(
  store: SandboxStore,
  facilityTypeId: string,
  programId: string,
  lines: StockEventLineInput[],
): void {
  const valid = (kind: 'source' | 'destination', nodeId: string) =>
    store.seed.validSourcesDestinations.some(
      (v) => v.kind === kind && v.nodeId === nodeId && v.programId === programId && v.facilityTypeId === facilityTypeId,
    );
  for (const l of lines) {
    if (l.sourceId && !valid('source', l.sourceId))
      throw badRequest(`${PREFIX}.source.not.in.validList`, 'Source {0} is not in the valid sources list.', l.sourceId);
    if (l.destinationId && !valid('destination', l.destinationId))
      throw badRequest(
        `${PREFIX}.destination.not.in.validList`,
        'Destination {0} is not in the valid destinations list.',
        l.destinationId,
      );
  }
}

function validatePhysicalInventory(
  store: SandboxStore,
  facilityId: string,
  programId: string,
  lines: StockEventLineInput[],
): void {
  const key = (orderableId: string, lotId: string | null | undefined) => `${orderableId}|${lotId ?? ''}`;
  const seen = new Set<string>();
  for (const l of lines) {
    const k = key(l.orderableId!, l.lotId);
    if (seen.has(k))
      throw badRequest(
        `${PREFIX}.orderable.and.lot.duplication`,
        'Same orderable and lot should not appear more than once in one event: {0}.',
        k,
      );
    seen.add(k);
    if (l.stockAdjustments?.some((a) => a.quantity < 0))
      throw badRequest(`${PREFIX}.adjustment.quantity.invalid`, 'Stock Adjustment quantity must not be negative.');
  }
  const activeCards = [...store.stockCards.values()].filter(
    (c) => c.facilityId === facilityId && c.programId === programId && currentSoh(c) > 0,
  );
  if (activeCards.some((c) => !seen.has(key(c.orderableId, c.lotId)))) {
    throw badRequest(
      'stockmanagement.error.physicalInventory.lineItems.not.include.active.stockCard',
      'Physical inventory line items must include all active stock cards.',
    );
  }
}

export function currentSoh(card: StockCard): number {
  return card.lineItems.length ? card.lineItems[card.lineItems.length - 1].stockOnHand : 0;
}

/** Stock on hand at the end of `asOfDate` (inclusive), by occurred date. */
export function sohAsOf(
  card: StockCard,
  asOfDate?: string,
): { soh: number; occurredDate: string | null; processedDate: string | null } {
  const items = asOfDate ? card.lineItems.filter((i) => i.occurredDate <= asOfDate) : card.lineItems;
  const last = items[items.length - 1];
  return {
    soh: last?.stockOnHand ?? 0,
    occurredDate: last?.occurredDate ?? null,
    processedDate: last?.processedDate ?? null,
  };
}

/** Re-sorts the card by (occurredDate, processedDate) and recomputes running SOH; throws on a negative balance. */
function recalculate(store: SandboxStore, card: StockCard): void {
  card.lineItems.sort(
    (a, b) => a.occurredDate.localeCompare(b.occurredDate) || a.processedDate.localeCompare(b.processedDate),
  );
  let soh = 0;
  for (const item of card.lineItems) {
    const next = item.physicalInventory ? item.quantity : soh + item.signedQuantity;
    if (next < 0) {
      const code = store.orderable(card.orderableId)?.productCode ?? '';
      throw badRequest(
        `${PREFIX}.debit.quantity.exceed.stockOnHand`,
        'An operation from {0} on product {1} would make the stock on hand below zero ({2} subtract {3}). Please review your stock card and the operation you are trying to perform.',
        item.occurredDate,
        code,
        soh,
        item.quantity,
      );
    }
    if (item.physicalInventory) item.signedQuantity = next - soh;
    item.stockOnHand = next;
    soh = next;
  }
}

function signFor(store: SandboxStore, line: StockEventLineInput, kind: StockEventKind): number {
  if (kind === 'receive') return 1;
  if (kind === 'issue') return -1;
  if (!line.reasonId) return 1;
  return store.reason(line.reasonId)?.reasonType === 'DEBIT' ? -1 : 1;
}

/**
 * Validates and applies a stock event; returns its id. All-or-nothing: the cards are changed on
 * copies and swapped in only when every card stays non-negative.
 */
export function processStockEvent(store: SandboxStore, event: StockEventInput, userId: string | null): string {
  const lines = validateMandatory(store, event);
  const facility = store.facility(event.facilityId!)!;
  const programId = event.programId!;
  const kind = inferKind(lines);
  validateApproved(store, facility.typeId, programId, lines);
  validateLots(store, lines);
  validateReasons(store, facility.typeId, programId, kind, lines);
  validateSourcesDestinations(store, facility.typeId, programId, lines);
  if (kind === 'physicalInventory') validatePhysicalInventory(store, facility.id, programId, lines);

  const eventId = newId();
  const processedDate = new Date(store.clock()).toISOString();
  const touched = new Map<string, StockCard>();
  lines.forEach((line, index) => {
    const lotId = line.lotId ?? null;
    const existing = store.stockCard(facility.id, programId, line.orderableId!, lotId);
    const key = existing?.id ?? `new:${line.orderableId}|${lotId ?? ''}`;
    let card = touched.get(key);
    if (!card) {
      card = existing
        ? structuredClone(existing)
        : { id: newId(), facilityId: facility.id, programId, orderableId: line.orderableId!, lotId, lineItems: [] };
      touched.set(key, card);
    }
    const quantity = line.quantity!;
    const item: StockCardLineItem = {
      id: newId(),
      eventId,
      quantity,
      signedQuantity: kind === 'physicalInventory' ? 0 : signFor(store, line, kind) * quantity,
      reasonId: line.reasonId ?? null,
      sourceId: line.sourceId ?? null,
      destinationId: line.destinationId ?? null,
      occurredDate: line.occurredDate!,
      processedDate: `${processedDate.slice(0, -1)}${String(index).padStart(3, '0')}Z`,
      stockOnHand: 0,
      documentNumber: event.documentNumber ?? null,
      signature: event.signature ?? null,
      physicalInventory: kind === 'physicalInventory',
    };
    card.lineItems.push(item);
  });
  for (const card of touched.values()) recalculate(store, card);
  for (const card of touched.values()) store.stockCards.set(card.id, card);
  store.stockEvents.set(eventId, {
    id: eventId,
    kind,
    facilityId: facility.id,
    programId,
    documentNumber: event.documentNumber ?? null,
    signature: event.signature ?? null,
    userId: event.userId && isUuid(event.userId) ? event.userId : userId,
    processedDate,
    lineItems: lines as Json[],
  });
  return eventId;
}
