import { BusinessRuleError, ConflictError } from '../../domain/errors.js';
import { orderNamedBy } from '../../domain/delivery.js';
import { orderLineId } from '../../domain/line-ids.js';
import { firstRepeatedLine } from '../../domain/repeated-lines.js';
import type { Delivery, DeliveryLine, DeliveryStatus } from '../../domain/index.js';
import type { DeliveryCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import { deliveryMatches } from '../../routing/delivery-match.js';
import { getOrAbsent } from '../../upstream/lookup.js';
import type { OpenMrsRequest } from './client.js';
import { OPENMRS, answered } from './errors.js';
import { objectAnswer } from './object-answer.js';
import { OPERATION_NUMBER_SYSTEM, actOn, deliveryLineId, identifierOf, listOperations } from './operations.js';
import { SM } from './stock-reference.js';
import { UUID, type StockDeps } from './stock.js';
import { refuseCompletedByAnother, type ConfirmedBy } from './confirmed-by.js';

/**
 * Deliveries ↔ stock operations into a location: a `stockissue` from another store (DISPATCHED:
 * stock left the supplier) or a `receipt` from an external supplier awaiting approval (SUBMITTED)
 * reads as in-progress, COMPLETED as completed; confirming a delivery completes the issue
 * (COMPLETE) or approves the receipt (APPROVE), which puts the stock into the receiving location.
 * A `transferout` is only ever seen completed: the module does not dispatch it (its processor
 * needs no dispatch acknowledgement), the supplier's APPROVE completes it into the destination.
 * A delivery is named by the operation number; its order is the requisition it fulfils
 * (requisitionStockOperationUuid).
 *
 * Receiving less than was sent, as the stock management module allows it:
 * - a receipt awaiting approval is corrected the way its approver would: RETURN it, change its
 *   lines' quantities to those received (a RETURNED operation is updatable), SUBMIT it again, then
 *   APPROVE; the stock added is what was received. Each step is journaled and acts only from the
 *   status it applies to, so a retry never applies it twice.
 * - a transfer out is completed as dispatched (TransferOutOperationTypeProcessor.onCompleted), and
 *   the module's REST API disables the receiver's QUANTITY_RECEIVED action: a short transfer cannot be
 *   recorded there, so it is refused with that rule, not silently rounded up.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

const STATUS: Record<string, DeliveryStatus> = {
  DISPATCHED: 'in-progress',
  COMPLETED: 'completed',
  CANCELLED: 'abandoned',
  REJECTED: 'abandoned',
  RETURNED: 'abandoned',
};
/** A receipt is on its way once submitted (its approval is the confirmation). */
const RECEIPT_STATUS: Record<string, DeliveryStatus> = { ...STATUS, SUBMITTED: 'in-progress' };
/** The remark a corrected receipt carries: how a retry knows the correction was made. */
const CORRECTION_REMARK = 'received less than sent: quantities corrected to those received';
const CORRECTED = /^received less than sent: /;
/** The operation's own number: the identifier its delivery reads under. */
const numberOf = (op: Json) => ({ system: OPERATION_NUMBER_SYSTEM, value: String(op.operationNumber) });
/**
 * Writing a delivery COMPLETEs its transfer or APPROVEs its receipt (stock into the location),
 * which only a received (completed) delivery may do: the stock management module keeps no draft
 * of a receipt, so an in-progress, abandoned or entered-in-error write is refused, nothing sent.
 */
function onlyReceived(d: Delivery): void {
  if (d.status === 'completed') return;
  throw new BusinessRuleError(
    `a delivery written ${d.status} is not sent to OpenMRS: writing a delivery completes its stock operation (stock into the location), so only a completed (received) delivery is written; send it completed once received`,
    'Delivery.status',
  );
}

const statusOf = (op: Json): DeliveryStatus | undefined =>
  (op.operationType === 'receipt' ? RECEIPT_STATUS : STATUS)[op.status];

/**
 * The operation a confirmation acts on, as journaled: its uuid (whether its sending is marked is
 * the step `find-operation-marks`), or, written by 1770052 only, both in one object, still read.
 */
type Chosen = string | { uuid: string; marksSent: boolean };
interface Pinned {
  op: Json;
  marksSent: boolean;
}

export interface DeliveryDeps extends StockDeps {
  /** Who completed an operation, where a delivery written through the mediator did (confirmed-by.ts). */
  confirmedBy?: ConfirmedBy;
}

export function createDeliveryCapability(deps: DeliveryDeps): DeliveryCapability {
  const { client, reference } = deps;

  const decode = async (op: Json): Promise<Delivery> => {
    const identifier = numberOf(op);
    const [source, destination] = await Promise.all([
      reference.party(op.sourceUuid),
      reference.party(op.destinationUuid),
    ]);
    // absent (404) is no order to name; an outage is an error, not a delivery read without its order
    const requisitionPath = `${SM}/stockoperation/${String(op.requisitionStockOperationUuid)}`;
    const requisition = op.requisitionStockOperationUuid
      ? objectAnswer(
          await getOrAbsent<Json, OpenMrsRequest>(client, { path: requisitionPath }),
          requisitionPath,
          String(op.requisitionStockOperationUuid),
        )
      : undefined;
    const lines: DeliveryLine[] = [];
    for (const it of op.stockOperationItems ?? []) {
      const item = await reference.stockItem(it.stockItemUuid);
      const product = item && deps.products().productOf(String(item.drugUuid), item.drugName);
      if (!product) continue;
      const shipped = { value: Number(it.quantity), unit: 'dispensing-unit' as const };
      lines.push({
        lineId: deliveryLineId(identifier, product, it.batchNo ?? undefined),
        product,
        quantityShipped: shipped,
        ...(op.status === 'COMPLETED' ? { quantityAccepted: shipped } : {}),
        lot: it.batchNo ? { number: String(it.batchNo), expiry: it.expiration ?? undefined } : undefined,
      });
    }
    return {
      id: String(op.uuid),
      identifier,
      status: statusOf(op) ?? 'in-progress',
      basedOn: requisition
        ? {
            orderNumber: identifierOf(requisition.externalReference) ?? {
              system: OPERATION_NUMBER_SYSTEM,
              value: String(requisition.operationNumber),
            },
            orderId: String(requisition.uuid),
          }
        : undefined,
      destination: { id: destination?.locationUuid ?? undefined, display: destination?.name },
      supplier: source ? { id: source.locationUuid ?? undefined, display: source.name } : undefined,
      occurredAt: fhirDateTime(op.operationDate),
      lines,
      source: { system: OPENMRS, id: String(op.uuid) },
    };
  };

  const transfers = async (location?: string) => {
    // a stock issue (DISPATCHED: on its way, the receiver COMPLETEs it) is how a store fulfils a
    // requisition; a transfer out is never dispatched: its approval completes it into the destination
    const [issues, transfersOut, receipts] = await Promise.all(
      ['stockissue', 'transferout', 'receipt'].map(async (type) =>
        listOperations(client, { operationTypeUuid: await reference.operationType(type), locationUuid: location }),
      ),
    );
    // only what is on its way or arrived is a delivery: a NEW or SUBMITTED transfer has not left, a NEW receipt is a draft
    return [...issues, ...transfersOut, ...receipts.map((o): Json => ({ ...o, operationType: 'receipt' }))].filter(
      (o) => statusOf(o) !== undefined,
    );
  };

  /**
   * The delivery operation with this uuid, read alone (a read by id, or the operation a
   * confirmation pinned, needs one, not the three lists); undefined when OpenMRS has none or it
   * is no delivery (another type, or a transfer that has not left), as `transfers` would list it.
   */
  const transfer = async (uuid: string): Promise<Json | undefined> => {
    if (!UUID.test(uuid)) return undefined;
    // an answer without a uuid (a gateway's page) is an outage, not "no such delivery" (objectAnswer)
    const path = `${SM}/stockoperation/${uuid}`;
    const op = objectAnswer(await getOrAbsent<Json, OpenMrsRequest>(client, { path }), path, uuid);
    if (!op) return undefined;
    const [issue, transferOut, receipt] = await Promise.all(
      ['stockissue', 'transferout', 'receipt'].map((type) => reference.operationType(type)),
    );
    const type = String(op.operationTypeUuid);
    if (type === receipt)
      return statusOf({ ...op, operationType: 'receipt' }) ? { ...op, operationType: 'receipt' } : undefined;
    return (type === issue || type === transferOut) && statusOf(op) ? op : undefined;
  };

  /**
   * The operations into the delivery's facility that fulfil the order it is `basedOn`: by the
   * order number, or by the id of any order line shipped (ids derive from the order number and
   * product, whoever made the order), or by the requisition's uuid (routing names it for a line an
   * app wrote under its own id), so an app confirms under its own delivery number, as it can in
   * OpenLMIS.
   */
  const ofOrder = async (d: Delivery): Promise<Json[]> => {
    const { orderNumber, lineIds, orderId } = d.basedOn ?? {};
    if (!orderNumber && !lineIds?.length && !orderId) return [];
    const found: Json[] = [];
    for (const op of await transfers(d.destination.id)) {
      const shipped = await decode(op);
      const order = shipped.basedOn?.orderNumber;
      if (!order) continue;
      const sameNumber = orderNumber?.system === order.system && orderNumber.value === order.value;
      if (sameNumber || (orderId && shipped.basedOn?.orderId === orderId)) found.push(op);
      else if (shipped.lines.some((l) => lineIds?.includes(orderLineId(order, l.product)))) found.push(op);
    }
    return found;
  };

  const find = async (d: Delivery): Promise<Json | undefined> => {
    if (d.identifier.system === OPERATION_NUMBER_SYSTEM)
      return (await transfers()).find((o) => String(o.operationNumber) === d.identifier.value);
    return oneOf(await ofOrder(d));
  };

  /**
   * A confirmed line's accepted quantity in the dispensing units the module counts (what a
   * delivery reads as shipped): packs, which a SupplyDelivery counts by default, times the
   * catalogue's pack size, so 3 packs of 100 against 300 sent is a receipt in full, not of 3.
   */
  const receivedUnits = (line: DeliveryLine, i: number): number | undefined =>
    line.quantityAccepted &&
    deps.products().units(line.product, line.quantityAccepted, `Delivery.lines[${i}].quantityAccepted`);

  /**
   * The drug a confirmed line names, by any of its codings (as every write resolves a product), so
   * a line naming it by the app's own code first and the GTIN after is still the shipped drug's.
   */
  const drugOf = (line: DeliveryLine, i: number): string =>
    deps.products().drugUuid(line.product, `Delivery.lines[${i}].product`);

  /** The receipt's lines received short: the operation item's uuid and the quantity received. */
  const shortLines = async (op: Json, delivery: Delivery): Promise<{ uuid: string; quantity: number }[]> => {
    const short: { uuid: string; quantity: number }[] = [];
    for (const it of op.stockOperationItems ?? []) {
      const item = await reference.stockItem(it.stockItemUuid);
      const line = delivery.lines.find(
        (l, i) => item && drugOf(l, i) === String(item.drugUuid) && (l.lot?.number ?? '') === (it.batchNo ?? ''),
      );
      const received = line && receivedUnits(line, delivery.lines.indexOf(line));
      if (received !== undefined && received < Number(it.quantity))
        short.push({ uuid: String(it.uuid), quantity: received });
    }
    return short;
  };

  /**
   * The receipt approved already when its correction is due (OpenMRS's approver, in full, after
   * this write chose it): it can no longer be returned, and its update is OpenMRS's bare 400 "can
   * not be modified". A 409 naming the completion instead: who did it (refuseCompletedByAnother),
   * or, the operation's own number, that the quantities it holds stand. Nothing is changed.
   */
  const refuseApprovedReceipt = async (op: Json, delivery: Delivery): Promise<void> => {
    const completed = { ...op, status: 'COMPLETED' };
    await refuseCompletedByAnother(completed, delivery, numberOf(op), deps.confirmedBy);
    throw new ConflictError(
      `OpenMRS stock operation ${numberOf(op).value} (${String(op.uuid)}) was approved with the quantities sent before the quantities received could be recorded: this delivery (${delivery.identifier.value}) applies nothing more; a correction is OpenMRS's (an adjustment)`,
      409,
      ['Delivery.lines'],
    );
  };

  /** RETURN, change the lines to the quantities received, SUBMIT again: each step once, journaled. */
  const correctReceipt = async (
    op: Json,
    short: { uuid: string; quantity: number }[],
    delivery: Delivery,
    journal: StepJournal,
  ) => {
    const uuid = String(op.uuid);
    await journal.run('return-receipt', () =>
      actOn(client, uuid, 'RETURN', ['SUBMITTED'], `received less than sent (${delivery.identifier.value})`, {
        sending: async () => {},
        past: async (status) => {
          if (status === 'COMPLETED') await refuseApprovedReceipt(op, delivery);
        },
      }),
    );
    await journal.run('correct-receipt', async () => {
      if (!short.length) return 'RETURNED';
      const op = await client.send<Json>({
        method: 'POST',
        path: `${SM}/stockoperation/${uuid}`,
        body: { stockOperationItems: short, remarks: CORRECTION_REMARK },
      });
      return answered(op, 'status', 'POST stockoperation (receipt correction)');
    });
    await journal.run('resubmit-receipt', () => actOn(client, uuid, 'SUBMIT', ['RETURNED']));
  };

  /** Everything the confirmation of `op` would refuse, known without writing. */
  const checkLines = async (op: Json, delivery: Delivery): Promise<void> => {
    const shipped = await decode(op);
    // one received quantity per sent line: a second line for it would be read past (the first wins)
    const repeat = firstRepeatedLine(delivery.lines, (l, i) => `${drugOf(l, i)}|${l.lot?.number ?? ''}`);
    for (const [i, l] of delivery.lines.entries()) {
      if (repeat?.index === i)
        throw new BusinessRuleError(
          `product ${l.product.code}${l.lot?.number ? ` lot ${l.lot.number}` : ''} is confirmed twice (also Delivery.lines[${repeat.earlier}]): send one line with the quantity received`,
          `Delivery.lines[${i}].product`,
        );
      const drug = drugOf(l, i);
      const sent = shipped.lines.find(
        (s, j) => drugOf(s, j) === drug && (s.lot?.number ?? '') === (l.lot?.number ?? ''),
      );
      if (!sent)
        throw new BusinessRuleError(
          `product ${l.product.code} was not shipped in ${delivery.identifier.value}`,
          `Delivery.lines[${i}]`,
        );
      checkReceived(op, receivedUnits(l, i), sent.quantityShipped!.value, i);
    }
  };

  /**
   * The operation this confirmation acts on, chosen once and journaled: a retry acts on the
   * transfer the first attempt chose, not on whichever one is open now (an order shipped in parts:
   * part 1 completed by an attempt whose answer was lost, part 2 dispatched since, must not be
   * completed by the retry of part 1's confirmation).
   */
  const pinned = async (delivery: Delivery, journal: StepJournal): Promise<Pinned> => {
    const chosen = await journal.run('find-operation', async (): Promise<Chosen> => {
      const op = await find(delivery);
      if (!op) throw notFound(delivery);
      // a first attempt: completed already, it was not by this job (its journal would hold the choice)
      await refuseCompletedByAnother(op, delivery, numberOf(op), deps.confirmedBy);
      // completeOnce marks its sending: journaled before the choice, so a choice on record always
      // has it (journaled after, a crash between the two steps left a choice "never marked")
      await journal.run('find-operation-marks', async () => true);
      // a bare uuid, as every release reads it (instances of two releases share a PostgreSQL store)
      return String(op.uuid);
    });
    // a step of its own, which a release before ignores; a choice journaled before the marker
    // existed (an upgrade with writes waiting) has none, and its sending is unknown
    const marks = await journal.run('find-operation-marks', async () => false);
    const { uuid, marksSent } = typeof chosen === 'string' ? { uuid: chosen, marksSent: marks } : chosen;
    const op = await transfer(uuid);
    if (!op) throw notFound(delivery);
    return { op, marksSent };
  };

  /**
   * The action that completes the operation (`name` from `from`), once, journaled as `step`. Found
   * completed already, it is this write's own completion only if an earlier attempt of it sent the
   * action (its answer lost), journaled as `step`-sent just before sending; else another delivery
   * or OpenMRS's UI completed it since the operation was chosen (two confirmations racing: DL-2
   * completes the transfer while DL-1's write waits for a retry), and this write is refused naming
   * who did, as the precheck refuses it at the edge, never answered as a second completion.
   * `marksSent`: false for a write journaled before this marker existed (an upgrade with writes
   * waiting), whose sending is unknown: taken as sent, as before, never refused for lack of it.
   */
  const completeOnce = (
    op: Json,
    delivery: Delivery,
    journal: StepJournal,
    marksSent: boolean,
    [step, name, from]: [string, string, string],
  ) => {
    // whether this attempt marked the sending first: a mark found from an earlier attempt means
    // that attempt sent the action too, and it may be the one that landed (its answer lost)
    let markedNow = false;
    const mark = async () => ((markedNow = true), true);
    return journal.run(step, () =>
      actOn(client, String(op.uuid), name, [from], undefined, {
        sending: () => journal.run(`${step}-sent`, mark).then(() => undefined),
        async past(status, raced = false) {
          if (status !== 'COMPLETED') return;
          // raced: its own action refused just now; another's completed it, unless an earlier
          // attempt of this write sent it too (timed out on our side, applied late)
          const sent = raced
            ? !marksSent || !markedNow
            : !marksSent || (await journal.run(`${step}-sent`, async () => false));
          await refuseCompletedByAnother({ ...op, status }, delivery, numberOf(op), deps.confirmedBy, sent);
        },
      }),
    );
  };

  return {
    async get(id) {
      // a delivery's own id is its operation's uuid: read alone; a line id is found in the lists
      if (UUID.test(id)) {
        const op = await transfer(id);
        return op && decode(op);
      }
      for (const op of await transfers()) {
        const d = await decode(op);
        if (d.id === id || d.lines.some((l) => l.lineId === id)) return d;
      }
      return undefined;
    },
    async search(criteria: SearchCriteria) {
      // by number, before decoding: each decode reads the operation's requisition
      const ops = (await transfers(criteria.facility)).filter(
        (o) => !criteria.identifier || String(o.operationNumber) === criteria.identifier.value,
      );
      const all = await Promise.all(ops.map(decode));
      return {
        items: all.filter(
          (d) =>
            (!criteria.status || d.status === criteria.status) &&
            (!criteria.facility || d.destination.id === criteria.facility) &&
            deliveryMatches(d, { ...criteria, basedOn: undefined }) &&
            (!criteria.basedOn || fulfils(d, criteria.basedOn)),
        ),
      };
    },
    async precheck(delivery) {
      onlyReceived(delivery);
      const op = await find(delivery);
      if (!op) throw notFound(delivery);
      // sent again while its write is recorded: the outbox answers it as that write (de-duplicated).
      // Its job may have completed the operation with the answer lost, and waits to learn so.
      const recorded = await deps.confirmedBy?.recorded(delivery);
      if (!recorded) await refuseCompletedByAnother(op, delivery, numberOf(op), deps.confirmedBy);
      // completed by its write on record: a receipt received short now holds the quantities
      // received (its correction rewrote the lines), so other figures read against them as "more
      // than was sent" (a 422 naming the corrected figure as sent). The write on record answers it:
      // the same confirmation replayed, other figures a 409 (the outbox's key)
      else if (op.status === 'COMPLETED') return;
      await checkLines(op, delivery);
    },
    async confirm(delivery: Delivery, journal: StepJournal): Promise<WriteResult> {
      onlyReceived(delivery);
      const { op, marksSent } = await pinned(delivery, journal);
      await checkLines(op, delivery);
      const receipt = op.operationType === 'receipt';
      const short = receipt ? await shortLines(op, delivery) : [];
      // corrected by an earlier attempt whose answer was lost: still to be submitted again
      const corrected = receipt && op.status === 'RETURNED' && CORRECTED.test(String(op.remarks ?? ''));
      if (short.length || corrected) await correctReceipt(op, short, delivery, journal);
      const status = receipt
        ? await completeOnce(op, delivery, journal, marksSent, ['approve-receipt', 'APPROVE', 'SUBMITTED'])
        : await completeOnce(op, delivery, journal, marksSent, ['complete-transfer', 'COMPLETE', 'DISPATCHED']);
      return {
        system: OPENMRS,
        ids: { [receipt ? 'receipt' : 'transfer']: String(op.uuid) },
        status: (receipt ? RECEIPT_STATUS : STATUS)[status] ?? status,
      };
    },
  };
}

/**
 * Whether the delivery fulfils the order a `based-on` search names: by the id of one of its lines
 * shipped (derived from the order number and product, as the order reads), or by the requisition's
 * uuid (routing asks by it for a line an app wrote under its own id). An OpenMRS delivery names
 * its order by number, not by line ids, so the shared match (line ids) found none of them.
 */
function fulfils(d: Delivery, basedOn: string): boolean {
  const order = d.basedOn?.orderNumber;
  if (!order) return false;
  return d.basedOn?.orderId === basedOn || d.lines.some((l) => orderLineId(order, l.product) === basedOn);
}

/**
 * Several operations fulfil one order (shipped in parts): the one still on its way is meant; one
 * already completed only when it is the only one. A retry does not come here again: it acts on
 * the operation its first attempt chose (journaled), so it never moves on to a later part.
 */
function oneOf(ops: Json[]): Json | undefined {
  if (ops.length <= 1) return ops[0];
  const open = ops.filter((o) => statusOf(o) === 'in-progress');
  if (open.length === 1) return open[0];
  throw new BusinessRuleError(
    `the order was shipped in ${ops.length} operations (${ops.map((o) => o.operationNumber).join(', ')}): name one in SupplyDelivery.identifier as a SupplyDelivery search reads it`,
    'Delivery.identifier',
  );
}

/** Why no operation is the delivery, and what the client can do: what it named, and where. */
function notFound(d: Delivery): BusinessRuleError {
  const named = `${d.identifier.system}|${d.identifier.value}`;
  if (d.identifier.system === OPERATION_NUMBER_SYSTEM)
    return new BusinessRuleError(
      `delivery ${named} is not an OpenMRS transfer or receipt: take the identifier from the delivery as read (SupplyDelivery?destination=…)`,
      'Delivery.identifier',
    );
  const order = orderNamedBy(d);
  if (order)
    return new BusinessRuleError(
      `no OpenMRS transfer or receipt into ${d.destination.display ?? d.destination.id ?? 'the destination'} fulfils the order ${order}: it has not been shipped (an order still queued has not reached OpenMRS); confirm it once a SupplyDelivery search lists it`,
      'Delivery.basedOn',
    );
  return new BusinessRuleError(
    `delivery ${named} names no OpenMRS transfer: take the identifier from the delivery as read (SupplyDelivery?destination=…, system ${OPERATION_NUMBER_SYSTEM}), or base it on the order it delivers`,
    'Delivery.identifier',
  );
}

/**
 * What the module can record of a received quantity: a receipt takes less than was sent (its
 * approver corrects it), never more; a transfer out completes only as dispatched.
 */
function checkReceived(op: Json, received: number | undefined, sent: number, i: number): void {
  if (received === undefined || received === sent) return;
  const where = `Delivery.lines[${i}].quantityAccepted`;
  if (received < 0) throw new BusinessRuleError(`a received quantity cannot be negative (${received})`, where);
  if (op.operationType === 'receipt') {
    if (received > sent)
      throw new BusinessRuleError(
        `OpenMRS cannot receive more than was sent on a receipt (${received} received, ${sent} sent)`,
        where,
      );
    return;
  }
  throw new BusinessRuleError(
    `OpenMRS completes a transfer as shipped (${sent}): the stock management module adds the dispatched quantity at completion and its REST API disables the receiver's QUANTITY_RECEIVED action, so accepting ${received} cannot be recorded there; record the difference as an adjustment`,
    where,
  );
}

/**
 * OpenMRS REST writes offsets without a colon ("2026-12-01T07:00:00.000+0000"); FHIR's dateTime
 * needs "+00:00", else the read SupplyDelivery cannot be sent back (its own PUT refuses it).
 */
function fhirDateTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}
