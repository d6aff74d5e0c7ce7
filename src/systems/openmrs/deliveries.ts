import { BusinessRuleError } from '../../domain/errors.js';
import type { Delivery, DeliveryLine, DeliveryStatus } from '../../domain/index.js';
import type { DeliveryCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import { OPENMRS } from './errors.js';
import {
  OPERATION_NUMBER_SYSTEM,
  actOn,
  deliveryLineId,
  getOperation,
  identifierOf,
  listOperations,
} from './operations.js';
import type { StockDeps } from './stock.js';

/**
 * Deliveries ↔ stock operations into a location: a `transferout` from another store (DISPATCHED:
 * stock left the supplier) or a `receipt` from an external supplier awaiting approval (SUBMITTED)
 * reads as in-progress, COMPLETED as completed; confirming a delivery completes the transfer
 * (COMPLETE) or approves the receipt (APPROVE), which puts the stock into the receiving location. A delivery is named by the operation number;
 * its order is the requisition it fulfils (requisitionStockOperationUuid). The module completes a
 * transfer as shipped, so a confirmation that accepts less than was shipped is refused, not
 * silently rounded up.
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
const statusOf = (op: Json): DeliveryStatus | undefined =>
  (op.operationType === 'receipt' ? RECEIPT_STATUS : STATUS)[op.status];

export function createDeliveryCapability(deps: StockDeps): DeliveryCapability {
  const { client, reference } = deps;

  const decode = async (op: Json): Promise<Delivery> => {
    const identifier = { system: OPERATION_NUMBER_SYSTEM, value: String(op.operationNumber) };
    const [source, destination] = await Promise.all([
      reference.party(op.sourceUuid),
      reference.party(op.destinationUuid),
    ]);
    const requisition = op.requisitionStockOperationUuid
      ? await getOperation(client, op.requisitionStockOperationUuid).catch(() => undefined)
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
          }
        : undefined,
      destination: { id: destination?.locationUuid ?? undefined, display: destination?.name },
      supplier: source ? { id: source.locationUuid ?? undefined, display: source.name } : undefined,
      occurredAt: typeof op.operationDate === 'string' ? op.operationDate : undefined,
      lines,
      source: { system: OPENMRS, id: String(op.uuid) },
    };
  };

  const transfers = async (location?: string) => {
    const [transfersOut, receipts] = await Promise.all(
      ['transferout', 'receipt'].map(async (type) =>
        listOperations(client, { operationTypeUuid: await reference.operationType(type), locationUuid: location }),
      ),
    );
    // only what is on its way or arrived is a delivery: a NEW or SUBMITTED transfer has not left, a NEW receipt is a draft
    return [...transfersOut, ...receipts.map((o): Json => ({ ...o, operationType: 'receipt' }))].filter(
      (o) => statusOf(o) !== undefined,
    );
  };

  const find = async (d: Delivery): Promise<Json | undefined> => {
    if (d.identifier.system !== OPERATION_NUMBER_SYSTEM) return undefined;
    return (await transfers()).find((o) => String(o.operationNumber) === d.identifier.value);
  };

  return {
    async get(id) {
      for (const op of await transfers()) {
        const d = await decode(op);
        if (d.id === id || d.lines.some((l) => l.lineId === id)) return d;
      }
      return undefined;
    },
    async search(criteria: SearchCriteria) {
      const ops = await transfers(criteria.facility);
      const all = await Promise.all(ops.map(decode));
      return {
        items: all.filter(
          (d) =>
            (!criteria.status || d.status === criteria.status) &&
            (!criteria.facility || d.destination.id === criteria.facility) &&
            (!criteria.identifier || d.identifier.value === criteria.identifier.value),
        ),
      };
    },
    async precheck(delivery) {
      const op = await find(delivery);
      if (!op)
        throw new BusinessRuleError(
          `delivery ${delivery.identifier.system}|${delivery.identifier.value} is not an OpenMRS transfer`,
          'SupplyDelivery.identifier',
        );
      const shipped = await decode(op);
      for (const [i, l] of delivery.lines.entries()) {
        const sent = shipped.lines.find(
          (s) => s.product.code === l.product.code && (s.lot?.number ?? '') === (l.lot?.number ?? ''),
        );
        if (!sent)
          throw new BusinessRuleError(
            `product ${l.product.code} was not shipped in ${delivery.identifier.value}`,
            `SupplyDelivery.lines[${i}]`,
          );
        if (l.quantityAccepted && l.quantityAccepted.value !== sent.quantityShipped!.value) {
          throw new BusinessRuleError(
            `OpenMRS completes a transfer as shipped (${sent.quantityShipped!.value}); accepting ${l.quantityAccepted.value} cannot be recorded there`,
            `SupplyDelivery.lines[${i}].quantityAccepted`,
          );
        }
      }
    },
    async confirm(delivery: Delivery, journal: StepJournal): Promise<WriteResult> {
      await this.precheck!(delivery);
      const op = (await find(delivery))!;
      const receipt = op.operationType === 'receipt';
      const status = await journal.run(receipt ? 'approve-receipt' : 'complete-transfer', () =>
        receipt
          ? actOn(client, String(op.uuid), 'APPROVE', ['SUBMITTED'])
          : actOn(client, String(op.uuid), 'COMPLETE', ['DISPATCHED']),
      );
      return {
        system: OPENMRS,
        ids: { [receipt ? 'receipt' : 'transfer']: String(op.uuid) },
        status: (receipt ? RECEIPT_STATUS : STATUS)[status] ?? status,
      };
    },
  };
}
