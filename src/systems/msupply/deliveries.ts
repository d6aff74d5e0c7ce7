import { BusinessRuleError, ConflictError, UpstreamError } from '../../domain/errors.js';
import { inRanges } from '../../domain/instant-range.js';
import { lineKeys } from '../../domain/repeated-lines.js';
import {
  basedOnMatches,
  type Delivery,
  type DeliveryLine,
  type DeliveryStatus,
  type Quantity,
} from '../../domain/index.js';
import type { DeliveryCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import type { MsupplyApi, ShipmentLineRow, ShipmentRow, StoreRow } from './api.js';
import { writeOrLanded } from './landed-meanwhile.js';
import { UpstreamCallError } from '../../upstream/errors.js';
import { recordedBefore } from './recorded-before.js';
import { claimReceiveTry, receiveRefusedMark, receiveTries, triedMeanwhile } from './receive-tries.js';
import { MSUPPLY, SHIPMENT_SYSTEM, deliveryLineId, otherPartyRef, storeRef } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';
import { orderOfShipment } from './shipment-order.js';
import { packsAsQuantity, tidy } from './packs.js';
import type { StoreDirectory } from './stores.js';

/**
 * SupplyDelivery ↔ Open mSupply inbound shipments. A warehouse's SHIPPED outbound shipment
 * creates the receiving store's inbound shipment, SHIPPED, with the same batches (the invoice
 * transfer processor, server/service/src/processors/transfer/invoice in
 * msupply-foundation/open-msupply); the facility reads it as an in-progress delivery and confirms
 * it: the shipment is marked DELIVERED (its lines become editable), each line is set to the packs
 * that arrived, and it is RECEIVED (stock enters the store), then VERIFIED where
 * msupply.verifyDeliveries says so. Shipment quantities are packs (`numberOfPacks` × `packSize`
 * units). A warehouse's outbound shipments read as deliveries too, when a search names the supplier
 * (each shipped one as the inbound shipment made from it). Each step is journaled and looks before it writes; a
 * delivery already received before the first attempt is a 409, not a second receipt, unless it was
 * received with exactly these quantities: the same confirmation again, answered as done.
 *
 * The confirmation's date received is not kept: Open mSupply stamps receivedDatetime itself when
 * the shipment is marked RECEIVED. Its UpdateInboundShipmentInput.receivedDatetime is backdating
 * (server/service/src/invoice/inbound_shipment/update/validate.rs): refused unless the store's
 * backdating preference is on, the shipment is already received, the date is earlier than the one
 * it has and within the preference's maximum days; sent with the RECEIVED update it is refused
 * outright, and the stock never received. A delivery therefore reads with Open mSupply's own
 * stamp and says it keeps no date of the client's (no dateReceivedKept).
 */
export interface DeliveryDeps {
  api: MsupplyApi;
  stores: StoreDirectory;
  products: () => MsupplyProductMap;
  /** msupply.verifyDeliveries: go on from RECEIVED to VERIFIED. */
  verify: () => boolean;
}

export function deliveryStatusOf(status: ShipmentRow['status']): DeliveryStatus {
  if (status === 'RECEIVED' || status === 'VERIFIED') return 'completed';
  if (status === 'CANCELLED') return 'abandoned';
  return 'in-progress';
}

/**
 * Writing a delivery receives its inbound shipment (RECEIVED: the stock is in the store), which
 * only a received (completed) delivery may do. The reference names no state a receiver saves a
 * receipt in without receiving it, so an in-progress, abandoned or entered-in-error write is
 * refused, nothing sent.
 */
function onlyReceived(d: Delivery): void {
  if (d.status === 'completed') return;
  throw new BusinessRuleError(
    `a delivery written ${d.status} is not sent to Open mSupply: writing a delivery receives its inbound shipment (stock into the store), so only a completed (received) delivery is written; send it completed once received`,
    'Delivery.status',
  );
}

const received = (s: ShipmentRow['status']) => s === 'RECEIVED' || s === 'VERIFIED';

/**
 * A receipt records its try's mark just before it sends RECEIVED, once its lines are set and
 * checked (receive-tries.ts): a later attempt finding the shipment received after a try that may
 * have landed may be finding its own receipt, whose answer was lost (a storekeeper may have edited
 * its lines since: they are editable until VERIFIED), so it is done, never a 409 for a receipt
 * that landed. A try whose RECEIVED Open mSupply refused, or that never reached Open mSupply (a
 * site whose link is down may go on receiving by hand), records its refusal: it did not land.
 * Refused: an answer that the call was not applied (any refusal, not only a 422 of the data), or
 * a call that failed while connecting, before a byte of it went out (UpstreamError.neverSent).
 */
const definitelyRefused = (err: unknown) =>
  (err instanceof UpstreamCallError && !err.transient) || (err instanceof UpstreamError && err.neverSent);

/**
 * An inbound shipment is a delivery to its store from the other party. An outbound shipment (the
 * warehouse's side) the transfer processor made an inbound shipment from (linkedShipment, read
 * with it) is that same delivery as the supplier holds it: it reads as the inbound shipment, under
 * its ids, status and quantities, so one delivery has one FHIR id (and one version) whichever
 * search finds it. One not shipped yet, or to a customer with no store, has no inbound shipment:
 * it is the delivery, from its store to the other party's store, under ids of its own. It is
 * based on the lines of the order its requisition is (shipment-order.ts).
 */
export function decodeShipment(
  s: ShipmentRow,
  store: Pick<StoreRow, 'id' | 'code'>,
  products: MsupplyProductMap,
): Delivery {
  const inbound = inboundOf(s);
  if (inbound) return decodeShipment(inbound.row, inbound.store, products);
  const here = storeRef(store);
  const other = otherPartyRef(s);
  const outbound = s.type === 'OUTBOUND_SHIPMENT';
  const identifier = { system: SHIPMENT_SYSTEM, value: s.id };
  const lines: DeliveryLine[] = [];
  for (const l of s.lines.nodes) {
    const product = products.productOf(l.itemCode, l.itemName);
    if (!product || l.type === 'SERVICE') continue;
    const shipped = l.shippedNumberOfPacks ?? l.numberOfPacks;
    lines.push({
      lineId: deliveryLineId(identifier, product, l.batch ?? undefined),
      product,
      // broken packs (2.5 of 50) read as the units they hold, so the delivery can be confirmed as read
      quantityShipped: packsAsQuantity(shipped, l.packSize),
      ...(received(s.status) ? { quantityAccepted: packsAsQuantity(l.numberOfPacks, l.packSize) } : {}),
      ...(l.batch ? { lot: { number: l.batch, ...(l.expiryDate ? { expiry: l.expiryDate } : {}) } } : {}),
    });
  }
  const shipped = new Map(lines.map((l) => [`${l.product.system}|${l.product.code}`, l.product]));
  const basedOn = orderOfShipment(s.requisition, store, s.otherParty?.store, [...shipped.values()]);
  return {
    id: s.id,
    identifier,
    status: deliveryStatusOf(s.status),
    ...(basedOn ? { basedOn } : {}),
    destination: outbound ? other : here,
    supplier: outbound ? here : other,
    // Open mSupply's own stamps, never a client's date received (no dateReceivedKept: see above)
    occurredAt: s.receivedDatetime ?? s.deliveredDatetime ?? s.shippedDatetime ?? undefined,
    lines,
    source: { system: MSUPPLY, id: s.id },
    lastUpdated:
      s.verifiedDatetime ?? s.receivedDatetime ?? s.deliveredDatetime ?? s.shippedDatetime ?? s.createdDatetime,
  };
}

/** The inbound shipment made from an outbound one, with the receiving store, when it was read with it. */
function inboundOf(s: ShipmentRow): { row: ShipmentRow; store: Pick<StoreRow, 'id' | 'code'> } | undefined {
  const linked = s.linkedShipment;
  // the receiving store is the outbound shipment's other party (its name is that store's)
  const store = s.otherParty?.store;
  return s.type === 'OUTBOUND_SHIPMENT' && linked?.type === 'INBOUND_SHIPMENT' && store
    ? { row: linked, store }
    : undefined;
}

/**
 * The ids a delivery read from an outbound shipment that has an inbound one was served under
 * before it read as that inbound shipment (the outbound's id, and line ids derived from it): each
 * to the id it has now, so a read by one is redirected (a client holding it keeps one copy).
 */
export function formerOutboundIds(outboundId: string, delivery: Delivery): Map<string, string> {
  if (delivery.id === outboundId || !delivery.id) return new Map();
  const former = { system: SHIPMENT_SYSTEM, value: outboundId };
  return new Map([
    [outboundId, delivery.id],
    ...delivery.lines.flatMap((l) =>
      l.lineId ? [[deliveryLineId(former, l.product, l.lot?.number), l.lineId] as const] : [],
    ),
  ]);
}

/**
 * Why a line cannot be confirmed in a whole number, when its broken packs hold a fraction of a
 * unit too (2.505 packs of 100: 250.5 tablets, a half tablet issued). Open mSupply takes any
 * fraction of a pack, a FHIR quantity here only whole packs or units: such a line is read as its
 * packs, and the way through is to leave it out, which receives it as shipped.
 */
function unstatable(line: ShipmentLineRow): string {
  const shipped = line.shippedNumberOfPacks ?? line.numberOfPacks;
  if (Number.isInteger(shipped) || packsAsQuantity(shipped, line.packSize).unit !== 'pack') return '';
  return `; the line of ${line.itemCode} holds ${shipped} packs of ${line.packSize} (${tidy(shipped * line.packSize)} dispensing units), which no whole number of packs or units states: leave the line out of the confirmation to receive it as shipped, or receive it in Open mSupply`;
}

/** Packs that arrived on a line, from what the facility says it accepted: units may make broken packs, as Open mSupply's do. */
function acceptedPacks(q: Quantity, line: ShipmentLineRow, where: string): number {
  if (!Number.isSafeInteger(q.value) || q.value < 0)
    throw new BusinessRuleError(
      `${where}: quantity ${String(q.value)} is not a whole, non-negative number of ${q.unit}s${unstatable(line)}`,
      where,
    );
  if (q.unit === 'pack') return q.value;
  if (!(line.packSize > 0))
    throw new BusinessRuleError(
      `${where}: line of ${line.itemCode} has no pack size, so units cannot become packs`,
      where,
    );
  return tidy(q.value / line.packSize);
}

/**
 * A line of a shipment not yet received holds other packs than this confirmation's step set: a
 * storekeeper counted it in Open mSupply since. Theirs is the later count; it stands.
 */
function countedSince(shipment: ShipmentRow, line: ShipmentLineRow, sent: number | undefined, i: number) {
  const where = `Delivery.lines[${i}].quantityAccepted`;
  return new ConflictError(
    `${where}: the line of shipment ${shipment.invoiceNumber} for item ${line.itemCode}${line.batch ? ` batch ${line.batch}` : ''} holds ${tidy(line.numberOfPacks)} packs of ${tidy(line.packSize)} in Open mSupply, not the ${sent === undefined ? 'packs' : tidy(sent)} this confirmation set: counted there since; nothing was received, and the shipment is left as it is to receive in Open mSupply`,
    409,
    [where],
  );
}

/**
 * A line of the shipment this accepted confirmation planned on is gone, or now several (a
 * storekeeper deleted or split it in Open mSupply; lines are editable until VERIFIED): which
 * packs to receive is theirs to say now, not this confirmation's. A 409 naming the line, not a
 * 422 (the delivery was right when accepted), nothing received by this write and nothing more
 * written. `begunBefore`: an attempt (an earlier one, or this one past its line steps) began its
 * steps, so may have set the shipment DELIVERED and lines to their packs, which stay (the text
 * says so, never "nothing written").
 */
function linesChangedSince(
  shipment: ShipmentRow,
  code: string,
  batch: string | undefined,
  candidates: ShipmentLineRow[],
  i: number,
  begunBefore: boolean,
) {
  const where = `Delivery.lines[${i}]`;
  const now = candidates.length ? `${candidates.length} lines` : 'no line';
  const left = begunBefore
    ? 'nothing was received, no more is written, and the shipment is left as it is to receive in Open mSupply (any line an attempt of this confirmation set keeps the packs it set)'
    : 'nothing was received or written, and the shipment is left as it is to receive in Open mSupply';
  const receipt = received(shipment.status)
    ? `it is ${shipment.status} there with those lines, and this confirmation is not applied to it`
    : left;
  return new ConflictError(
    `${where}: shipment ${shipment.invoiceNumber} has ${now} for item ${code}${batch ? ` batch ${batch}` : ''} in Open mSupply, one when this delivery was accepted: its line was ${candidates.length ? 'split, or another added for the item,' : 'deleted'} there since; ${receipt}`,
    409,
    [`${where}.product`],
  );
}

export function createDeliveryCapability(deps: DeliveryDeps): DeliveryCapability {
  const { api, stores } = deps;
  const inbound = { type: { equalTo: 'INBOUND_SHIPMENT' } };
  const shipments = { type: { equalAny: ['INBOUND_SHIPMENT', 'OUTBOUND_SHIPMENT'] } };

  /**
   * The inbound or outbound shipment with this id, in whichever store the user may act in;
   * `linked` as for api.shipments.
   */
  const find = async (
    id: string,
    linked = false,
  ): Promise<{ shipment: ShipmentRow; store: Pick<StoreRow, 'id' | 'code'> } | undefined> => {
    for (const store of await stores.readable()) {
      const [shipment] = await api.shipments(store.id, { ...shipments, id: { equalTo: id } }, linked);
      if (shipment) return { shipment, store };
    }
    return undefined;
  };

  /**
   * The outbound shipment an inbound one with this id was made from, in a store the user may act
   * in, read with it: a user who may act in the warehouse alone reads the delivery a supplier
   * search listed (under the inbound shipment's id) through the warehouse's copy: only for an id
   * behind a link (a search listed it; listsThroughCopies), never for any id nothing else found.
   */
  const shippedAs = async (
    inboundId: string,
  ): Promise<{ shipment: ShipmentRow; store: Pick<StoreRow, 'id' | 'code'> } | undefined> => {
    const filter = { type: { equalTo: 'OUTBOUND_SHIPMENT' }, linkedInvoiceId: { equalTo: inboundId } };
    for (const store of await stores.readable()) {
      const [shipment] = await api.shipments(store.id, filter, true);
      if (shipment) return { shipment, store };
    }
    return undefined;
  };

  /**
   * What the confirmation sets on each shipment line, checked against the shipment. `wasAccepted`:
   * planned for a write already accepted (its precheck found one line for each), so a line with
   * no match or several now was deleted or split in Open mSupply since (linesChangedSince), whose
   * 409 says lines may hold packs set by an earlier attempt when `begunBefore`.
   */
  const plan = (delivery: Delivery, shipment: ShipmentRow, wasAccepted = false, begunBefore = false) => {
    const products = deps.products();
    const confirmedBy = lineKeys();
    return delivery.lines.map((line, i) => {
      const where = `Delivery.lines[${i}]`;
      const code = products.itemCode(line.product, `${where}.product`);
      const candidates = shipment.lines.nodes.filter(
        (l) => l.itemCode === code && (!line.lot?.number || l.batch === line.lot.number),
      );
      if (candidates.length !== 1 && wasAccepted)
        throw linesChangedSince(shipment, code, line.lot?.number, candidates, i, begunBefore);
      if (candidates.length !== 1) {
        throw new BusinessRuleError(
          `${where}: ${candidates.length ? 'several lines' : 'no line'} of shipment ${shipment.invoiceNumber} for item ${code}${line.lot?.number ? ` batch ${line.lot.number}` : ''}${candidates.length ? ': name the lot' : ''}`,
          `${where}.product`,
        );
      }
      const target = candidates[0];
      // each shipment line takes one accepted quantity: a second would be dropped (its step has the
      // same name) or, applied, replace the first
      const earlier = confirmedBy(target.id, i);
      if (earlier !== undefined)
        throw new BusinessRuleError(
          `${where}: confirms the same line of shipment ${shipment.invoiceNumber} (item ${code}${target.batch ? ` batch ${target.batch}` : ''}) as Delivery.lines[${earlier}]: send one line with the quantity accepted`,
          `${where}.product`,
        );
      const accepted = line.quantityAccepted ?? line.quantityShipped;
      if (!accepted) throw new BusinessRuleError(`${where}: no accepted quantity`, `${where}.quantityAccepted`);
      // no accepted quantity: received as shipped, whatever fraction of a pack that is (an R4 PUT
      // of one line confirms the others as read, and 2.505 packs is no quantity a client can echo)
      if (!line.quantityAccepted) return { line: target, packs: target.shippedNumberOfPacks ?? target.numberOfPacks };
      return { line: target, packs: acceptedPacks(accepted, target, `${where}.quantityAccepted`) };
    });
  };

  /**
   * The shipment was received with exactly the packs this confirmation accepts: the same
   * confirmation sent again (an app re-uploading after a lost answer), answered as done. A
   * different one is a second confirmation, refused: a delivery is received once. `sent`: the
   * packs this write's line steps journaled, also this confirmation's when a storekeeper changed
   * a line's pack size since (accepted units are other packs now, the line still holds these).
   */
  const sameConfirmation = (delivery: Delivery, shipment: ShipmentRow, sent?: Map<string, number>): boolean => {
    try {
      return plan(delivery, shipment).every(
        (step) => step.line.numberOfPacks === step.packs || step.line.numberOfPacks === sent?.get(step.line.id),
      );
    } catch {
      return false;
    }
  };
  const alreadyReceived = (shipment: ShipmentRow) =>
    new ConflictError(
      `shipment ${shipment.invoiceNumber} was already received (${shipment.status}) in Open mSupply with other quantities; a delivery is confirmed once`,
    );

  /**
   * After a step refused because the shipment was received meanwhile: the shipment, if it was
   * received with this delivery's packs on every line (another attempt of this confirmation did
   * it); received with other packs (a storekeeper received it by hand) is a conflict, never this
   * write done; not received, undefined (the refusal stands).
   */
  const receivedAsThis = async (
    delivery: Delivery,
    store: Pick<StoreRow, 'id' | 'code'>,
    shipment: ShipmentRow,
    sent?: Map<string, number>,
    sentBefore = false,
    triedSince?: () => Promise<boolean>,
  ): Promise<ShipmentRow | undefined> => {
    const now = await currentShipment(store, shipment);
    if (!received(now.status)) return undefined;
    // `sentBefore`: an earlier attempt's RECEIVED may have landed (receive-tries.ts): this may be
    // its receipt; `triedSince`: whether an overlapping attempt took a try since this one began
    if (!sentBefore && !sameConfirmation(delivery, now, sent) && !(await triedSince?.())) throw alreadyReceived(now);
    return now;
  };

  /**
   * Each line not holding this confirmation's packs at its pack size now, written again before
   * the shipment is received: a storekeeper who changed a line's pack size after its step (a retry
   * replays the step's packs) would otherwise have other units received than were accepted. A
   * line holding neither those packs nor the ones its step sent (`sent`) was counted in Open
   * mSupply after this write's step: their count is the later one, never written over nor received
   * as this confirmation; a 409, checked on every line before any is written.
   */
  const packsAsPlannedNow = async (
    delivery: Delivery,
    store: Pick<StoreRow, 'id' | 'code'>,
    shipment: ShipmentRow,
    sent: Map<string, number>,
  ) => {
    const now = await currentShipment(store, shipment);
    // run after the line steps (this attempt's or an earlier one's): lines hold packs they set
    const steps = plan(delivery, now, true, true);
    for (const [i, step] of steps.entries())
      if (step.line.numberOfPacks !== step.packs && step.line.numberOfPacks !== sent.get(step.line.id))
        throw countedSince(now, step.line, sent.get(step.line.id), i);
    for (const step of steps)
      if (step.line.numberOfPacks !== step.packs)
        await api.updateInboundShipmentLine(store.id, { id: step.line.id, numberOfPacks: step.packs });
  };

  /**
   * The inbound shipment as it is now, read again between a confirmation's steps. One deleted in
   * Open mSupply meanwhile (a store user removed it) is refused for good, as locate refuses it: no
   * retry can bring it back, and reading on would fail as a bug of ours.
   */
  const currentShipment = async (store: Pick<StoreRow, 'id' | 'code'>, shipment: ShipmentRow): Promise<ShipmentRow> => {
    const [now] = await api.shipments(store.id, { ...inbound, id: { equalTo: shipment.id } });
    if (!now)
      throw new BusinessRuleError(
        `shipment ${shipment.invoiceNumber} is no longer in Open mSupply store ${store.code}: it was deleted there while this delivery was being confirmed; read the store's deliveries again`,
        'Delivery.identifier',
      );
    return now;
  };

  const locate = async (delivery: Delivery) => {
    const id = delivery.identifier.system === SHIPMENT_SYSTEM ? delivery.identifier.value : delivery.id;
    const found = id ? await find(id) : undefined;
    if (!found)
      throw new BusinessRuleError(
        `delivery ${delivery.identifier.system}|${delivery.identifier.value} is not an Open mSupply inbound shipment the integration user can see`,
        'Delivery.identifier',
      );
    if (found.shipment.type !== 'INBOUND_SHIPMENT')
      throw new BusinessRuleError(
        `shipment ${found.shipment.invoiceNumber} is the supplier's outbound shipment: a delivery is confirmed on the receiving store's inbound shipment`,
        'Delivery.identifier',
      );
    // refused before anything is sent: Open mSupply would refuse the first line's update (CannotEditInvoice)
    if (found.shipment.status === 'CANCELLED')
      throw new ConflictError(
        `shipment ${found.shipment.invoiceNumber} was cancelled in Open mSupply: there is nothing to receive on it`,
        409,
        ['Delivery.identifier'],
      );
    return found;
  };

  /**
   * A receipt's steps up to RECEIVED: the shipment DELIVERED, each line set to the packs accepted
   * (planned on the shipment as it is now: a line a storekeeper split or deleted since acceptance
   * is a 409, linesChangedSince), then RECEIVED. `sentBefore`: an earlier attempt's RECEIVED
   * may have landed; `nextTry`: the first number this attempt's RECEIVED may be recorded under
   * (claimReceiveTry: one an overlapping attempt took meanwhile is left to it).
   */
  const receiveAsPlanned = async (
    delivery: Delivery,
    store: Pick<StoreRow, 'id' | 'code'>,
    shipment: ShipmentRow,
    journal: StepJournal,
    sentBefore: boolean,
    nextTry: number,
  ): Promise<string> => {
    // an overlapping attempt (a lapsed lease) may have sent RECEIVED since this one read its tries
    const triedSince = () => triedMeanwhile(journal, nextTry);
    // an earlier attempt that began its steps may have set lines a 409 here leaves as they are
    const steps = plan(delivery, shipment, true, await recordedBefore(journal, 'delivered'));
    await journal.run('delivered', async () => {
      const now = await currentShipment(store, shipment);
      const due = (x: ShipmentRow) => x.status === 'SHIPPED' || x.status === 'NEW';
      if (!due(now)) return 'DELIVERED';
      // refused because another attempt moved it on first (landed-meanwhile.ts): it is delivered
      return writeOrLanded(
        async () => {
          await api.updateInboundShipment(store.id, { id: shipment.id, status: 'DELIVERED' });
          return 'DELIVERED';
        },
        async () => (due(await currentShipment(store, shipment)) ? undefined : 'DELIVERED'),
      );
    });
    const sent = new Map<string, number>();
    for (const step of steps) {
      const packs = await journal.run(`line:${step.line.id}`, async () => {
        // received meanwhile (another attempt, or a storekeeper by hand): Open mSupply takes line
        // edits until VERIFIED (invoice/validate.rs check_invoice_is_editable), its stock
        // following them, so writing would overwrite what was received: done only if it holds these packs
        if (await receivedAsThis(delivery, store, shipment, sent, false, triedSince)) return step.packs;
        // refused (CannotEditInvoice once VERIFIED, BatchIsReserved once its stock is used) because
        // it was received between that look and the write: done if with these same packs
        return writeOrLanded(
          async () => {
            await api.updateInboundShipmentLine(store.id, { id: step.line.id, numberOfPacks: step.packs });
            return step.packs;
          },
          async () =>
            (await receivedAsThis(delivery, store, shipment, sent, false, triedSince)) ? step.packs : undefined,
        );
      });
      sent.set(step.line.id, packs);
    }
    return journal.run('received', async () => {
      // received by hand meanwhile: this receipt only with its packs (receivedAsThis), or after an
      // earlier attempt sent RECEIVED
      const now = await receivedAsThis(delivery, store, shipment, sent, sentBefore, triedSince);
      if (now) return now.status;
      await packsAsPlannedNow(delivery, store, shipment, sent);
      const thisTry = await claimReceiveTry(journal, nextTry);
      // no receivedDatetime: that is backdating, refused on a shipment not yet received
      return writeOrLanded(
        async () => {
          try {
            return (await api.updateInboundShipment(store.id, { id: shipment.id, status: 'RECEIVED' })).status;
          } catch (err) {
            // refused outright (a conflict, "Forbidden", a proxy's 403…) or never sent (refused while
            // connecting): this one did not land, so an operator's replay is no receipt of this
            // write; any other failure without an answer may have
            if (definitelyRefused(err)) await journal.run(receiveRefusedMark(thisTry), async () => true);
            throw err;
          }
        },
        async () => (await receivedAsThis(delivery, store, shipment, sent, sentBefore))?.status,
      );
    });
  };

  return {
    async get(id, listed) {
      // with its inbound shipment, should it be an outbound one shipped: it reads as that
      const found = (await find(id, true)) ?? (listed ? await shippedAs(id) : undefined);
      return found ? decodeShipment(found.shipment, found.store, deps.products()) : undefined;
    },
    async search(criteria: SearchCriteria) {
      // a supplier named: that store's outbound shipments (the warehouse's view); else inbound ones
      const outboundOf = criteria.supplier ? await stores.readable(criteria.supplier) : undefined;
      const filter: Record<string, unknown> = outboundOf ? { type: { equalTo: 'OUTBOUND_SHIPMENT' } } : { ...inbound };
      if (criteria.identifier && (!criteria.identifier.system || criteria.identifier.system === SHIPMENT_SYSTEM))
        filter.id = { equalTo: criteria.identifier.value };
      else if (criteria.identifier) return { items: [] };
      const found = await Promise.all(
        (outboundOf ?? (await stores.readable(criteria.facility))).map(async (store) =>
          (await api.shipments(store.id, filter, !!outboundOf)).map((s) => decodeShipment(s, store, deps.products())),
        ),
      );
      return {
        items: found
          .flat()
          .filter(
            (d) =>
              (!criteria.status || d.status === criteria.status) &&
              inRanges(d.occurredAt, criteria.date) &&
              inRanges(d.lastUpdated, criteria.lastUpdated) &&
              (!criteria.basedOn || basedOnMatches(d, criteria.basedOn)) &&
              (!outboundOf || !criteria.facility || d.destination.id === criteria.facility),
          ),
      };
    },
    formerIds: formerOutboundIds,
    formerIdsWhy:
      "was an id of the warehouse's copy of the shipment (its Open mSupply outbound shipment, once listed under ids of its own); the same shipment now reads as the facility's inbound shipment, under the id every search gives it",
    listsThroughCopies: true,
    async precheck(delivery) {
      onlyReceived(delivery);
      const { shipment } = await locate(delivery);
      if (received(shipment.status) && !sameConfirmation(delivery, shipment)) throw alreadyReceived(shipment);
      plan(delivery, shipment);
    },
    async confirm(delivery: Delivery, journal: StepJournal): Promise<WriteResult> {
      onlyReceived(delivery);
      const { shipment, store } = await locate(delivery);
      // only the first attempt may find it received: after that, a retry resumes its own work
      const found = await journal.run('not-yet-received', async () => {
        if (!received(shipment.status)) return shipment.status;
        if (!sameConfirmation(delivery, shipment)) throw alreadyReceived(shipment);
        return 'same-confirmation';
      });
      if (found === 'same-confirmation')
        return { system: MSUPPLY, ids: { shipment: shipment.id }, status: deliveryStatusOf(shipment.status) };
      // looked up before this attempt records it: only an earlier attempt's RECEIVED may have landed
      const tries = await receiveTries(journal);
      const sentBefore = tries.mayHaveLanded;
      // received after this write's RECEIVED was sent (or recorded, by a release before the mark):
      // its own receipt, whatever a storekeeper edited on its lines since; not planned again
      const landed = received(shipment.status) && (sentBefore || (await recordedBefore(journal, 'received')));
      let status = landed
        ? await journal.run('received', async () => shipment.status)
        : await receiveAsPlanned(delivery, store, shipment, journal, sentBefore, tries.count + 1);
      if (deps.verify() && status !== 'VERIFIED') {
        // looks first, as 'received' does: a retry after a lost answer finds it VERIFIED, which
        // Open mSupply no longer lets anyone update (CannotEditInvoice)
        status = await journal.run('verified', async () => {
          const now = await currentShipment(store, shipment);
          if (now.status === 'VERIFIED') return now.status;
          return writeOrLanded(
            async () => (await api.updateInboundShipment(store.id, { id: shipment.id, status: 'VERIFIED' })).status,
            async () => ((await currentShipment(store, shipment)).status === 'VERIFIED' ? 'VERIFIED' : undefined),
          );
        });
      }
      return {
        system: MSUPPLY,
        ids: { shipment: shipment.id },
        status: deliveryStatusOf(status as ShipmentRow['status']),
      };
    },
  };
}
