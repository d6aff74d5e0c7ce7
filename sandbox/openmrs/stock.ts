import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dataTooLong, invalidSubmission, notFound, rejectedValue, restError } from './errors.js';
import type { User } from './model.js';
import { pageOf } from './paging.js';
import { restDate } from './representation.js';
import { LOC } from './seed.js';
import type { Caller, OpenMrsStore } from './state.js';
import { PROCESSORS, stockTakeReservations, type Movement, type Reserved } from './stock-processors.js';
import { registerTransactionRoutes, StockTransactions, type DispenseInput } from './stock-transactions.js';

/**
 * The stock management module (openmrs/openmrs-module-stockmanagement, used by the O3 stock app),
 * REST only, under /ws/rest/v1/stockmanagement: stock items (one per drug), parties (a Location
 * or an external stock source), operation types, stock operations with their status machine
 * (NEW → SUBMITTED → COMPLETED, or → DISPATCHED → COMPLETED for transfers; RETURNED, REJECTED,
 * CANCELLED) driven by `stockoperationaction`, and `stockiteminventory`, which does not page.
 * Stock moves as the module's processors move it (stock-processors.ts): out of the source at
 * SUBMIT (adjustments, stock takes, disposals, transfers), into the destination on completion
 * (receipts, transfers), and back when a submitted operation is returned, rejected or cancelled.
 */
export const DRUGS = {
  amoxicillin: '3f2a1b0c-0001-4d5e-8f70-a1b2c3d4e501',
  paracetamol: '3f2a1b0c-0002-4d5e-8f70-a1b2c3d4e502',
  ors: '3f2a1b0c-0003-4d5e-8f70-a1b2c3d4e503',
  zinc: '3f2a1b0c-0004-4d5e-8f70-a1b2c3d4e504',
};
export const REASONS = {
  damaged: 'c0a1b2c3-0001-4e5f-9a0b-1c2d3e4f5061',
  expired: 'c0a1b2c3-0002-4e5f-9a0b-1c2d3e4f5062',
  found: 'c0a1b2c3-0003-4e5f-9a0b-1c2d3e4f5063',
};
export const CENTRAL_STORE_PARTY = 'e5d4c3b2-0000-4a1b-8c2d-3e4f50617280';

export type OperationType =
  | 'receipt'
  | 'stockissue'
  | 'transferout'
  | 'requisition'
  | 'adjustment'
  | 'disposed'
  | 'stocktake'
  | 'initial'
  | 'return';
export type OperationStatus = 'NEW' | 'SUBMITTED' | 'DISPATCHED' | 'COMPLETED' | 'RETURNED' | 'REJECTED' | 'CANCELLED';

interface StockItem {
  uuid: string;
  drugUuid: string;
  drugName: string;
  commonName: string;
  hasExpiration: boolean;
  dispensingUnitName: string;
  /** The item's packaging unit for its dispensing unit (factor 1), which the sandbox's items use for stock operations too. */
  packagingUomUuid: string;
}
interface Party {
  uuid: string;
  name: string;
  locationUuid: string | null;
  stockSourceUuid: string | null;
}
interface OperationTypeDef {
  uuid: string;
  name: string;
  operationType: OperationType;
  hasSource: boolean;
  hasDestination: boolean;
}
interface OperationItem {
  uuid: string;
  stockItemUuid: string;
  batchNo: string | null;
  expiration: string | null;
  quantity: number;
}
export interface StockOperation {
  uuid: string;
  operationNumber: string;
  operationTypeUuid: string;
  operationType: OperationType;
  status: OperationStatus;
  sourceUuid: string | null;
  destinationUuid: string | null;
  atLocationUuid: string | null;
  operationDate: string;
  remarks: string | null;
  reasonUuid: string | null;
  externalReference: string | null;
  requisitionStockOperationUuid: string | null;
  dateCreated: number;
  creator: string;
  items: OperationItem[];
  statusHistory: OperationStatus[];
  /** ReservedTransaction rows: made when the operation is locked, cleared on completion or cancel. */
  reserved: Reserved<OperationItem>[];
}

const TYPE_UUID: Record<OperationType, string> = {
  receipt: '2e8b4a1c-0001-4b2a-9c3d-4e5f60718291',
  stockissue: '2e8b4a1c-0002-4b2a-9c3d-4e5f60718292',
  transferout: '2e8b4a1c-0003-4b2a-9c3d-4e5f60718293',
  requisition: '2e8b4a1c-0004-4b2a-9c3d-4e5f60718294',
  adjustment: '2e8b4a1c-0005-4b2a-9c3d-4e5f60718295',
  disposed: '2e8b4a1c-0006-4b2a-9c3d-4e5f60718296',
  stocktake: '2e8b4a1c-0007-4b2a-9c3d-4e5f60718297',
  initial: '2e8b4a1c-0008-4b2a-9c3d-4e5f60718298',
  return: '2e8b4a1c-0009-4b2a-9c3d-4e5f60718299',
};
/**
 * The types whose processor requiresDispatchAcknowledgement (StockIssue, Return; the base says no):
 * only they are DISPATCHed and then COMPLETEd by the receiver; the others, transferout included,
 * go SUBMITTED → APPROVE → COMPLETED and are never DISPATCHED
 * (StockManagementServiceImpl.processStockOperationAction: "notdispatcheable", "approvalactionnotallowed").
 */
const DISPATCHED_TYPES = new Set<OperationType>(['stockissue', 'return']);
/**
 * The types whose lines name an existing batch by `stockBatchUuid` rather than a batch number
 * (StockOperationTypeProcessorBase.requiresBatchUuid is true; receipt, initial, return and
 * requisition override it to false): saveStockOperation throws "Stock batch %s not found" (400).
 */
const NAMES_BATCH_UUID = new Set<OperationType>(['adjustment', 'disposed', 'stocktake', 'transferout', 'stockissue']);

/** A batch's uuid: derived from its item and number, so the inventory, the ledger and stockbatch agree. */
export function batchUuidOf(stockItemUuid: string, batchNo: string): string {
  return `${stockItemUuid.slice(0, 24)}${batchNo.padEnd(12, '0').slice(0, 12)}`;
}

export class StockService {
  readonly items = new Map<string, StockItem>();
  readonly parties = new Map<string, Party>();
  readonly types = new Map<string, OperationTypeDef>();
  readonly operations = new Map<string, StockOperation>();
  readonly reasons = new Map<string, string>();
  /** StockBatch rows: one per item and batch number, made when a line first names that number. */
  readonly batches = new Map<
    string,
    { uuid: string; stockItemUuid: string; batchNo: string; expiration: string | null }
  >();
  /** on hand per party|stockItem|batch */
  readonly onHand = new Map<
    string,
    { party: string; item: string; batchNo: string | null; expiration: string | null; quantity: number }
  >();
  /** Every movement, as the module's stockitemtransaction ledger shows it (stock-transactions.ts). */
  readonly transactions = new StockTransactions();
  /** When the movements being applied are recorded: the sandbox clock, or a back-dated instant. */
  private recordingAt: number | undefined;
  private sequence = 0;

  constructor(readonly store: OpenMrsStore) {
    const drug = (uuid: string, name: string, unit: string, n: number) =>
      this.items.set(`5c0e1d2f-000${n}-4a3b-8c4d-5e6f708192a${n}`, {
        uuid: `5c0e1d2f-000${n}-4a3b-8c4d-5e6f708192a${n}`,
        drugUuid: uuid,
        drugName: name,
        commonName: name,
        hasExpiration: true,
        dispensingUnitName: unit,
        packagingUomUuid: `7d1e2f3a-000${n}-4b5c-8d6e-7f8091a2b3c${n}`,
      });
    drug(DRUGS.amoxicillin, 'Amoxicillin 250mg dispersible tablet', 'Tablet', 1);
    drug(DRUGS.paracetamol, 'Paracetamol 500mg tablet', 'Tablet', 2);
    drug(DRUGS.ors, 'Oral rehydration salts 20.5g', 'Sachet', 3);
    drug(DRUGS.zinc, 'Zinc sulfate 20mg dispersible tablet', 'Tablet', 4);
    const party = (uuid: string, loc: string | null, name: string) =>
      this.parties.set(uuid, {
        uuid,
        name,
        locationUuid: loc,
        stockSourceUuid: loc ? null : 'f6e5d4c3-0000-4b1a-9d2c-3e4f5061728a',
      });
    party('e5d4c3b2-0001-4a1b-8c2d-3e4f50617281', LOC.mwangaza, 'Mwangaza Health Centre');
    party('e5d4c3b2-0002-4a1b-8c2d-3e4f50617282', LOC.mwangazaPharmacy, 'Mwangaza Pharmacy');
    party('e5d4c3b2-0003-4a1b-8c2d-3e4f50617283', LOC.kilima, 'Kilima Dispensary');
    party('e5d4c3b2-0004-4a1b-8c2d-3e4f50617284', LOC.rioAzul, 'Rio Azul Clinic');
    party(CENTRAL_STORE_PARTY, null, 'Central Medical Stores');
    for (const [t, uuid] of Object.entries(TYPE_UUID) as [OperationType, string][]) {
      this.types.set(uuid, {
        uuid,
        name: t === 'transferout' ? 'Transfer Out' : t[0].toUpperCase() + t.slice(1),
        operationType: t,
        hasSource: true,
        hasDestination: ['receipt', 'transferout', 'stockissue', 'requisition', 'return'].includes(t),
      });
    }
    this.reasons.set(REASONS.damaged, 'Damaged');
    this.reasons.set(REASONS.expired, 'Expired');
    this.reasons.set(REASONS.found, 'Found');
    // opening stock at Mwangaza Health Centre, as a completed receipt
    const admin = [...store.users.values()][0];
    const opening = this.create(
      {
        operationTypeUuid: TYPE_UUID.receipt,
        sourceUuid: CENTRAL_STORE_PARTY,
        destinationUuid: 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281',
        operationDate: '2024-02-01T00:00:00.000+0000',
        remarks: 'opening stock',
        stockOperationItems: [
          {
            stockItemUuid: this.itemByDrug(DRUGS.amoxicillin)!.uuid,
            batchNo: 'AMX-2401',
            // far off: expiry now counts (an expired batch holds none for the module's checks), and
            // tests run on the real clock; ORS-2312 is the expired one
            expiration: '2031-12-31',
            quantity: 1000,
          },
          {
            stockItemUuid: this.itemByDrug(DRUGS.paracetamol)!.uuid,
            batchNo: 'PCM-2401',
            expiration: '2032-06-30',
            quantity: 2000,
          },
          {
            stockItemUuid: this.itemByDrug(DRUGS.ors)!.uuid,
            batchNo: 'ORS-2312',
            expiration: '2025-12-31',
            quantity: 300,
          },
        ],
      },
      admin,
      true,
    );
    this.recordingAt = Date.parse('2024-02-01T00:00:00Z');
    this.act({ name: 'SUBMIT', uuid: opening.uuid }, true);
    this.act({ name: 'APPROVE', uuid: opening.uuid }, true);
    this.recordingAt = undefined;
  }

  /**
   * An operation created and taken to its end as if it happened at `at` (its transactions dated
   * then): how tests give the ledger a history. Transfers are dispatched and completed.
   */
  completeAt(body: Record<string, any>, at: string): StockOperation {
    const ms = Date.parse(at);
    if (Number.isNaN(ms)) throw invalidSubmission({ at: 'an ISO instant' });
    const admin = [...this.store.users.values()][0];
    const op = this.create({ ...body, operationDate: body.operationDate ?? at }, admin);
    this.recordingAt = ms;
    try {
      this.act({ name: 'SUBMIT', uuid: op.uuid });
      this.act({ name: DISPATCHED_TYPES.has(op.operationType) ? 'DISPATCH' : 'APPROVE', uuid: op.uuid });
      if (DISPATCHED_TYPES.has(op.operationType)) this.act({ name: 'COMPLETE', uuid: op.uuid });
    } finally {
      this.recordingAt = undefined;
    }
    return op;
  }

  /** Dispensing to a patient: stock out of the location's party, a patient transaction in the ledger. */
  dispense(input: DispenseInput) {
    const party = [...this.parties.values()].find((p) => p.locationUuid === input.locationUuid);
    if (!party) throw invalidSubmission({ locationUuid: `Location ${input.locationUuid} is not a stock party` });
    const item = this.itemByDrug(input.drugUuid);
    if (!item) throw invalidSubmission({ drugUuid: `No stock item for drug ${input.drugUuid}` });
    const batch = [...this.onHand.values()].find(
      (r) => r.party === party.uuid && r.item === item.uuid && (!input.batchNo || r.batchNo === input.batchNo),
    );
    if (item.hasExpiration && !batch)
      throw invalidSubmission({ batchNo: `No batch of ${item.drugName} at ${party.name}` });
    const line = {
      uuid: randomUUID(),
      stockItemUuid: item.uuid,
      batchNo: batch?.batchNo ?? null,
      expiration: batch?.expiration ?? null,
      quantity: input.quantity,
    };
    this.recordingAt = input.at ? Date.parse(input.at) : undefined;
    try {
      return this.add(party.uuid, line, -input.quantity, null, randomUUID());
    } finally {
      this.recordingAt = undefined;
    }
  }

  itemByDrug(drugUuid: string): StockItem | undefined {
    return [...this.items.values()].find((i) => i.drugUuid === drugUuid);
  }

  typeUuid(t: OperationType): string {
    return TYPE_UUID[t];
  }

  counts(): Record<string, unknown> {
    const byType: Record<string, Record<string, number>> = {};
    for (const o of this.operations.values()) {
      byType[o.operationType] ??= {};
      byType[o.operationType][o.status] = (byType[o.operationType][o.status] ?? 0) + 1;
    }
    return { stockOperations: this.operations.size, stockOperationsByType: byType };
  }

  quantity(
    partyUuid: string,
    stockItemUuid: string,
    batchNo?: string | null,
    { excludeExpired = false }: { excludeExpired?: boolean } = {},
  ): number {
    return [...this.onHand.values()]
      .filter(
        (r) =>
          r.party === partyUuid &&
          r.item === stockItemUuid &&
          (batchNo === undefined || r.batchNo === batchNo) &&
          (!excludeExpired || !this.expired(r.expiration)),
      )
      .reduce((n, r) => n + r.quantity, 0);
  }

  /**
   * Whether a batch's stock is left out of the module's inventory searches: StockManagementDao
   * .getStockItemInventory, with requireNonExpiredStockBatches (the StockItemInventorySearchFilter
   * default), keeps `sb.expiration is null or sb.expiration > :today`, today being DateUtil.today(),
   * midnight: a batch is expired on its expiry day.
   */
  expired(expiration: string | null): boolean {
    return !!expiration && expiration.slice(0, 10) <= new Date(this.store.now()).toISOString().slice(0, 10);
  }

  create(body: Record<string, any>, user: User, seeding = false): StockOperation {
    const type = this.types.get(String(body?.operationTypeUuid));
    if (!type)
      throw invalidSubmission({ operationTypeUuid: 'stockmanagement.stockoperation.operationtypeuuid.required' });
    const party = (field: string) => {
      const v = body[field];
      if (v === undefined || v === null) return null;
      if (!this.parties.has(String(v))) throw invalidSubmission({ [field]: `Party ${String(v)} not found` });
      return String(v);
    };
    const sourceUuid = party('sourceUuid');
    const destinationUuid = party('destinationUuid');
    // every operation names a source: a receipt's is the supplier (a stock source party)
    if (type.hasSource && !sourceUuid)
      throw invalidSubmission({ sourceUuid: 'stockmanagement.stockoperation.source.required' });
    if (type.hasDestination && !destinationUuid)
      throw invalidSubmission({ destinationUuid: 'stockmanagement.stockoperation.destination.required' });
    if (type.operationType === 'adjustment' && !this.reasons.has(String(body.reasonUuid)))
      throw invalidSubmission({ reasonUuid: 'stockmanagement.stockoperation.reason.required' });
    if (
      typeof body.operationDate !== 'string' ||
      Number.isNaN(Date.parse(body.operationDate.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')))
    )
      throw invalidSubmission({ operationDate: 'stockmanagement.stockoperation.operationdate.required' });
    if (!Array.isArray(body.stockOperationItems) || !body.stockOperationItems.length)
      throw invalidSubmission({ stockOperationItems: 'stockmanagement.stockoperation.items.required' });
    const items = body.stockOperationItems.map((it: Record<string, any>, i: number) => {
      const item = this.items.get(String(it?.stockItemUuid));
      if (!item) throw invalidSubmission({ [`stockOperationItems[${i}].stockItemUuid`]: 'Stock item not found' });
      const q = Number(it.quantity);
      if (
        !Number.isFinite(q) ||
        (type.operationType !== 'adjustment' && q < 0) ||
        (type.operationType === 'adjustment' && q === 0)
      )
        throw invalidSubmission({
          [`stockOperationItems[${i}].quantity`]: 'stockmanagement.stockoperation.quantity.invalid',
        });
      if (item.hasExpiration && ['receipt', 'initial'].includes(type.operationType) && !it.batchNo)
        throw invalidSubmission({
          [`stockOperationItems[${i}].batchNo`]: 'stockmanagement.stockoperation.batchno.required',
        });
      const named = typeof it.stockBatchUuid === 'string' ? this.batches.get(it.stockBatchUuid) : undefined;
      const batchNo = named ? named.batchNo : it.batchNo ? String(it.batchNo) : null;
      const expiration = named ? named.expiration : it.expiration ? String(it.expiration).slice(0, 10) : null;
      if (batchNo && !this.batches.has(batchUuidOf(item.uuid, batchNo)))
        this.batches.set(batchUuidOf(item.uuid, batchNo), {
          uuid: batchUuidOf(item.uuid, batchNo),
          stockItemUuid: item.uuid,
          batchNo,
          expiration,
        });
      return { uuid: randomUUID(), stockItemUuid: item.uuid, batchNo, expiration, quantity: q };
    });
    fitsColumns(body);
    const op: StockOperation = {
      uuid: randomUUID(),
      operationNumber: `OP-${String(++this.sequence).padStart(5, '0')}`,
      operationTypeUuid: type.uuid,
      operationType: type.operationType,
      status: 'NEW',
      sourceUuid,
      destinationUuid,
      atLocationUuid: this.parties.get(sourceUuid ?? destinationUuid ?? '')?.locationUuid ?? null,
      operationDate: body.operationDate,
      remarks: body.remarks ?? null,
      reasonUuid: body.reasonUuid ?? null,
      externalReference: body.externalReference ? String(body.externalReference) : null,
      requisitionStockOperationUuid: body.requisitionStockOperationUuid ?? null,
      dateCreated: this.store.now(),
      creator: user.uuid,
      items,
      statusHistory: ['NEW'],
      reserved: [],
    };
    this.operations.set(op.uuid, op);
    if (!seeding) this.store.count(`stockoperation.create.${type.operationType}`);
    return op;
  }

  /**
   * A new line with a quantity must name its packaging unit: StockManagementServiceImpl
   * .saveStockOperation looks `stockItemPackagingUOMUuid` up among all packaging units and throws
   * "Stock item uom %s not found" (a RestClientException, 400) when it is absent or unknown. Only
   * the REST create checks it; the sandbox's own helpers (completeAt, fulfil) write without one.
   */
  requirePackagingUoms(body: Record<string, any>): void {
    const known = new Set([...this.items.values()].map((i) => i.packagingUomUuid));
    const lines: Record<string, any>[] = Array.isArray(body?.stockOperationItems) ? body.stockOperationItems : [];
    for (const it of lines) {
      if (it?.quantity === undefined || it?.quantity === null) continue;
      const uom = it.stockItemPackagingUOMUuid;
      if (typeof uom !== 'string' || !known.has(uom))
        throw restError(400, `Stock item uom ${uom === undefined || uom === null ? 'null' : String(uom)} not found`);
    }
  }

  /**
   * StockOperationDTOValidator refuses an operation dated after the server's clock
   * (`operationDate.after(new Date())`), on a create and on an update alike. Only the REST calls
   * check it: an operation a test backdates or forward-dates (completeAt) is history, not a call.
   */
  requireNotFuture(body: Record<string, any>): void {
    const date = body?.operationDate;
    if (typeof date !== 'string') return;
    const at = Date.parse(date.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (at > this.store.now())
      // the module's messages.properties text for stockmanagement.stockoperation.operationdatenotfuture
      throw rejectedValue('operationDate', 'Operation date must not be in the future');
  }

  /**
   * Lines of a type that moves existing stock must name a known batch by `stockBatchUuid`
   * (NAMES_BATCH_UUID); a batch number is not looked up. Only the REST create checks it.
   */
  requireBatches(body: Record<string, any>): void {
    const type = this.types.get(String(body?.operationTypeUuid));
    if (!type || !NAMES_BATCH_UUID.has(type.operationType)) return;
    const lines: Record<string, any>[] = Array.isArray(body?.stockOperationItems) ? body.stockOperationItems : [];
    for (const it of lines) {
      const uuid = it?.stockBatchUuid;
      if (typeof uuid !== 'string' || !this.batches.has(uuid))
        throw restError(400, `Stock batch ${uuid === undefined || uuid === null ? 'null' : String(uuid)} not found`);
    }
  }

  /**
   * `POST stockoperation/{uuid}`: the module's update (StockManagementServiceImpl.saveStockOperation).
   * Only a NEW or RETURNED operation can be modified ("Stock operation can not be modified"), which is
   * how a receipt's quantities are corrected: the approver returns it, its lines are changed, it is
   * submitted again. Lines are named by their uuid; only quantity and remarks change here.
   */
  update(uuid: string, body: Record<string, any>): StockOperation {
    const op = this.operations.get(uuid);
    if (!op) throw notFound();
    if (op.status !== 'NEW' && op.status !== 'RETURNED')
      throw restError(400, 'Stock operation can not be modified (stockmanagement.stockoperation.notupdateable)');
    const lines: Record<string, any>[] = Array.isArray(body?.stockOperationItems) ? body.stockOperationItems : [];
    const changes = lines.map((it, i) => {
      const item = op.items.find((x) => x.uuid === it?.uuid);
      if (!item) throw invalidSubmission({ [`stockOperationItems[${i}].uuid`]: 'Stock operation item not found' });
      const q = Number(it.quantity);
      if (!Number.isFinite(q) || q < 0)
        throw invalidSubmission({
          [`stockOperationItems[${i}].quantity`]: 'stockmanagement.stockoperation.quantity.invalid',
        });
      return { item, q };
    });
    fitsColumns(body);
    for (const { item, q } of changes) item.quantity = q;
    if (typeof body?.remarks === 'string') op.remarks = body.remarks;
    this.store.count(`stockoperation.update.${op.operationType}`);
    return op;
  }

  /**
   * `stockoperationaction`: the status machine (StockManagementServiceImpl.processStockOperationAction).
   * An action that locks the operation (SUBMIT, or DISPATCH/COMPLETE from NEW or RETURNED) checks
   * the source's balance, reserves the lines and writes the processor's pending rows; APPROVE and
   * COMPLETE write its completed rows; RETURN, REJECT and CANCEL its reversal (stock-processors.ts).
   */
  act(body: Record<string, any>, seeding = false): StockOperation {
    const op = this.operations.get(String(body?.uuid));
    if (!op) throw notFound();
    const name = String(body?.name ?? '').toUpperCase();
    const dispatched = DISPATCHED_TYPES.has(op.operationType);
    const next: Partial<Record<string, Partial<Record<OperationStatus, OperationStatus>>>> = {
      SUBMIT: { NEW: 'SUBMITTED', RETURNED: 'SUBMITTED' },
      APPROVE: dispatched || op.operationType === 'requisition' ? {} : { SUBMITTED: 'COMPLETED' },
      DISPATCH: dispatched ? { NEW: 'DISPATCHED', RETURNED: 'DISPATCHED', SUBMITTED: 'DISPATCHED' } : {},
      COMPLETE: dispatched
        ? { DISPATCHED: 'COMPLETED' }
        : op.operationType === 'requisition'
          ? { SUBMITTED: 'COMPLETED' }
          : { NEW: 'COMPLETED', RETURNED: 'COMPLETED' },
      RETURN: { SUBMITTED: 'RETURNED', DISPATCHED: 'RETURNED' },
      REJECT: { SUBMITTED: 'REJECTED' },
      CANCEL: { NEW: 'CANCELLED', SUBMITTED: 'CANCELLED', RETURNED: 'CANCELLED' },
    };
    const to = next[name]?.[op.status];
    if (!to)
      throw restError(
        400,
        `stockmanagement.stockoperation.action.notallowed: ${name} on a ${op.status} ${op.operationType}`,
      );
    const locking = name === 'SUBMIT' || (['NEW', 'RETURNED'].includes(op.status) && to !== 'CANCELLED');
    const processor = PROCESSORS[op.operationType];
    if (locking && !seeding) this.refuseNegativeBalance(op);
    if (locking) {
      op.reserved = this.reserve(op);
      this.apply(op, processor.pending(op.reserved));
    }
    if (to === 'COMPLETED') this.apply(op, processor.completed(op.reserved));
    if (to === 'RETURNED' || to === 'REJECTED' || to === 'CANCELLED') this.apply(op, processor.cancelled(op.reserved));
    if (to === 'COMPLETED' || to === 'RETURNED' || to === 'REJECTED' || to === 'CANCELLED') op.reserved = [];
    op.status = to;
    op.statusHistory.push(to);
    if (!seeding) this.store.count(`stockoperation.${name.toLowerCase()}.${op.operationType}`);
    return op;
  }

  /**
   * The operation's ReservedTransactions: each line's quantity, or for a stock take the
   * difference from what the batch holds unexpired. A requisition's quantities are optional and
   * it reserves nothing.
   */
  private reserve(op: StockOperation): Reserved<OperationItem>[] {
    if (op.operationType === 'requisition') return [];
    if (op.operationType === 'stocktake')
      return stockTakeReservations(op.items, (line) =>
        this.quantity(op.sourceUuid!, line.stockItemUuid, line.batchNo, { excludeExpired: true }),
      );
    return op.items.map((line) => ({ line, quantity: line.quantity }));
  }

  /** Writes a processor's rows into the ledger, at the operation's source or destination. */
  private apply(op: StockOperation, movements: Movement<OperationItem>[]): void {
    for (const m of movements) {
      const party = m.at === 'source' ? op.sourceUuid : op.destinationUuid;
      if (party) this.add(party, m.line, m.quantity, op.uuid);
    }
  }

  /**
   * On SUBMIT (or a DISPATCH/COMPLETE that locks it), an operation that takes stock out of its
   * source may not leave a batch there below zero:
   * StockManagementServiceImpl.validateStockInventoryAfterOperation, for the types whose processor
   * says shouldVerifyNegativeStockAmountsAtSource (adjustment, disposed, transferout, stockissue,
   * return) unless the global property stockmanagement.negativeStockBalanceAllowed (default
   * false, omod config.xml) is set. The refusal is a StockManagementException (400) whose message
   * is "Item %1s batch %2s will have a negative balance of %3s %4s after operation."; the operation
   * stays as it was. The balance it checks against leaves expired batches out (the inventory
   * search's default, see `expired`), so an expired batch holds none, unless the operation type
   * allowExpiredBatchNumbers: only `disposed` (liquibase changeset stockmanagement-1758855877841-332).
   */
  private refuseNegativeBalance(op: StockOperation): void {
    const outOfSource: Partial<Record<OperationType, number>> = {
      adjustment: 1,
      disposed: -1,
      transferout: -1,
      stockissue: -1,
      return: -1,
    };
    const sign = outOfSource[op.operationType];
    if (!sign || !op.sourceUuid) return;
    const effect = new Map<string, { item: OperationItem; change: number }>();
    for (const it of op.items) {
      const key = `${it.stockItemUuid}|${it.batchNo ?? ''}`;
      const e = effect.get(key) ?? { item: it, change: 0 };
      e.change += sign * it.quantity;
      effect.set(key, e);
    }
    const errors = [...effect.values()]
      .map(({ item, change }) => ({
        item,
        after:
          this.quantity(op.sourceUuid!, item.stockItemUuid, item.batchNo, {
            excludeExpired: op.operationType !== 'disposed',
          }) + change,
      }))
      .filter(({ after }) => after < 0)
      .map(({ item, after }) => {
        const stockItem = this.items.get(item.stockItemUuid)!;
        return `Item ${stockItem.drugName} batch ${item.batchNo} will have a negative balance of ${after} ${stockItem.dispensingUnitName} after operation.`;
      });
    if (errors.length) throw restError(400, errors.join(', '));
  }

  private add(
    party: string,
    item: OperationItem,
    change: number,
    operationUuid: string | null = null,
    patientUuid: string | null = null,
  ) {
    const key = `${party}|${item.stockItemUuid}|${item.batchNo ?? ''}`;
    const row = this.onHand.get(key) ?? {
      party,
      item: item.stockItemUuid,
      batchNo: item.batchNo,
      expiration: item.expiration,
      quantity: 0,
    };
    row.quantity += change;
    if (item.expiration) row.expiration = item.expiration;
    this.onHand.set(key, row);
    return this.transactions.record({
      dateCreated: this.recordingAt ?? this.store.now(),
      partyUuid: party,
      stockItemUuid: item.stockItemUuid,
      batchNo: row.batchNo,
      expiration: row.expiration,
      quantity: change,
      operationUuid,
      patientUuid,
    });
  }

  /**
   * What the supplying store does with a submitted requisition: a stock issue linked to it (the
   * module wants one for an issue unless allowStockIssueWithoutRequisition), dispatched.
   */
  fulfil(requisitionUuid: string, quantities?: Record<string, number>): StockOperation {
    const req = this.operations.get(requisitionUuid);
    if (!req || req.operationType !== 'requisition') throw notFound();
    const admin = [...this.store.users.values()][0];
    const transfer = this.create(
      {
        operationTypeUuid: TYPE_UUID.stockissue,
        sourceUuid: req.sourceUuid,
        destinationUuid: req.destinationUuid,
        operationDate: new Date(this.store.now()).toISOString(),
        requisitionStockOperationUuid: req.uuid,
        remarks: `for ${req.operationNumber}`,
        stockOperationItems: req.items.map((i) => ({
          stockItemUuid: i.stockItemUuid,
          batchNo: i.batchNo,
          expiration: i.expiration,
          quantity: quantities?.[i.stockItemUuid] ?? i.quantity,
        })),
      },
      admin,
      true,
    );
    this.act({ name: 'SUBMIT', uuid: transfer.uuid }, true);
    this.act({ name: 'DISPATCH', uuid: transfer.uuid }, true);
    return transfer;
  }

  // representations --------------------------------------------------------------------------------

  itemRep(i: StockItem) {
    return {
      uuid: i.uuid,
      drugUuid: i.drugUuid,
      drugName: i.drugName,
      conceptUuid: null,
      conceptName: null,
      commonName: i.commonName,
      hasExpiration: i.hasExpiration,
      dispensingUnitName: i.dispensingUnitName,
      // in the module's default representation (StockItemResource): the packaging units a stock
      // operation line names in stockItemPackagingUOMUuid
      dispensingUnitPackagingUoMUuid: i.packagingUomUuid,
      defaultStockOperationsUoMUuid: i.packagingUomUuid,
      isDrug: true,
      voided: false,
    };
  }

  partyRep(p: Party) {
    return {
      uuid: p.uuid,
      name: p.name,
      locationUuid: p.locationUuid,
      stockSourceUuid: p.stockSourceUuid,
      voided: false,
    };
  }

  operationRep(o: StockOperation) {
    const partyName = (u: string | null) => (u ? (this.parties.get(u)?.name ?? null) : null);
    return {
      uuid: o.uuid,
      operationNumber: o.operationNumber,
      operationTypeUuid: o.operationTypeUuid,
      operationType: o.operationType,
      operationTypeName: this.types.get(o.operationTypeUuid)!.name,
      status: o.status,
      sourceUuid: o.sourceUuid,
      sourceName: partyName(o.sourceUuid),
      destinationUuid: o.destinationUuid,
      destinationName: partyName(o.destinationUuid),
      atLocationUuid: o.atLocationUuid,
      // a java.util.Date: OpenMRS REST answers it in its own format and the server's zone (UTC here)
      operationDate: restDate(Date.parse(o.operationDate.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))),
      remarks: o.remarks,
      reasonUuid: o.reasonUuid,
      reasonName: o.reasonUuid ? (this.reasons.get(o.reasonUuid) ?? null) : null,
      externalReference: o.externalReference,
      requisitionStockOperationUuid: o.requisitionStockOperationUuid,
      dateCreated: new Date(o.dateCreated).toISOString().replace('Z', '+0000'),
      creatorUuid: o.creator,
      voided: false,
      stockOperationItems: o.items.map((i) => ({
        uuid: i.uuid,
        stockItemUuid: i.stockItemUuid,
        stockItemName: this.items.get(i.stockItemUuid)?.drugName ?? null,
        batchNo: i.batchNo,
        expiration: i.expiration,
        quantity: i.quantity,
      })),
    };
  }

  inventory(q: Record<string, string | undefined>) {
    // StockItemInventoryResource.doSearch answers an empty result unless an item is named (stock item,
    // drug, concept or stock operation): a party alone lists nothing on a real server
    if (!q.stockItemUuid && !q.drugUuid && !q.conceptUuid && !q.stockOperationUuid) return [];
    const party = q.partyUuid ?? [...this.parties.values()].find((p) => p.locationUuid === q.locationUuid)?.uuid;
    // excludeExpired defaults to true (StockItemInventoryResource: requireNonExpiredStockBatches),
    // and expired batches' rows are left out of the search, not answered as 0
    const excludeExpired = !q.excludeExpired?.trim() || /^(true|1)$/i.test(q.excludeExpired.trim());
    const rows = [...this.onHand.values()].filter(
      (r) =>
        (!excludeExpired || !this.expired(r.expiration)) &&
        (!party || r.party === party) &&
        (!q.stockItemUuid || r.item === q.stockItemUuid) &&
        (!q.drugUuid || this.items.get(r.item)?.drugUuid === q.drugUuid),
    );
    const byBatch = q.groupBy !== 'LocationStockItem' && q.groupBy !== 'StockItemOnly';
    const groups = new Map<string, typeof rows>();
    for (const r of rows) {
      const key =
        q.groupBy === 'StockItemOnly' ? r.item : byBatch ? `${r.party}|${r.item}|${r.batchNo}` : `${r.party}|${r.item}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups.values()].map((g) => {
      const r = g[0];
      const p = this.parties.get(r.party)!;
      const item = this.items.get(r.item)!;
      return {
        partyUuid: q.groupBy === 'StockItemOnly' ? null : p.uuid,
        partyName: q.groupBy === 'StockItemOnly' ? null : p.name,
        locationUuid: q.groupBy === 'StockItemOnly' ? null : p.locationUuid,
        stockItemUuid: item.uuid,
        drugUuid: item.drugUuid,
        drugName: item.drugName,
        commonName: item.commonName,
        stockBatchUuid: byBatch ? batchUuidOf(item.uuid, r.batchNo ?? 'none') : null,
        batchNumber: byBatch ? r.batchNo : null,
        expiration: byBatch ? r.expiration : null,
        quantity: g.reduce((n, x) => n + x.quantity, 0),
        quantityUoM: item.dispensingUnitName,
        quantityUoMUuid: null,
        quantityFactor: 1,
      };
    });
  }
}

export interface StockRouteDeps {
  store: OpenMrsStore;
  stock: StockService;
  selfUrl: (req: FastifyRequest) => string;
  restBase: () => string;
  user: (req: FastifyRequest, privilege: string) => User;
  caller: (req: FastifyRequest) => Caller;
}

const SM = '/openmrs/ws/rest/v1/stockmanagement';

export function registerStockRoutes(app: FastifyInstance, d: StockRouteDeps): void {
  const { stock } = d;
  type Q = Record<string, string | undefined>;
  const q = (req: FastifyRequest) => req.query as Q;
  const reader = (req: FastifyRequest) => d.user(req, 'App: stockmanagement.stockItems');
  const list = <T>(req: FastifyRequest, items: T[], rep: (x: T) => unknown) => {
    const page = pageOf(items, q(req), d.selfUrl(req));
    page.results = (page.results as T[]).map(rep);
    return page;
  };
  app.get(`${SM}/stockitem`, async (req) => {
    reader(req);
    const { drugUuid, q: text } = q(req);
    return list(
      req,
      [...stock.items.values()].filter(
        (i) =>
          (!drugUuid || i.drugUuid === drugUuid) && (!text || i.drugName.toLowerCase().includes(text.toLowerCase())),
      ),
      (i) => stock.itemRep(i),
    );
  });
  app.get(`${SM}/stockitem/:uuid`, async (req) => {
    reader(req);
    const item = stock.items.get((req.params as Q).uuid!);
    if (!item) throw notFound();
    return stock.itemRep(item);
  });
  app.get(`${SM}/party`, async (req) => {
    reader(req);
    return list(
      req,
      [...stock.parties.values()].filter((p) => !q(req).locationUuid || p.locationUuid === q(req).locationUuid),
      (p) => stock.partyRep(p),
    );
  });
  app.get(`${SM}/stockoperationtype`, async (req) => {
    reader(req);
    return list(req, [...stock.types.values()], (t) => t);
  });
  app.get(`${SM}/stockoperation`, async (req) => {
    reader(req);
    const f = q(req);
    const statuses = f.status?.split(',');
    const found = [...stock.operations.values()]
      .filter(
        (o) =>
          (!f.operationTypeUuid || o.operationTypeUuid === f.operationTypeUuid) &&
          (!statuses || statuses.includes(o.status)) &&
          (!f.locationUuid ||
            [o.sourceUuid, o.destinationUuid].some((p) => p && stock.parties.get(p)?.locationUuid === f.locationUuid)),
      )
      .sort((a, b) => b.dateCreated - a.dateCreated || b.operationNumber.localeCompare(a.operationNumber));
    return list(req, found, (o) => stock.operationRep(o));
  });
  app.get(`${SM}/stockoperation/:uuid`, async (req) => {
    reader(req);
    const o = stock.operations.get((req.params as Q).uuid!);
    if (!o) throw notFound();
    return stock.operationRep(o);
  });
  app.post(`${SM}/stockoperation`, async (req, reply) => {
    const user = d.user(req, 'App: stockmanagement.stockoperations');
    const body = req.body as Record<string, unknown>;
    stock.requirePackagingUoms(body);
    stock.requireBatches(body);
    stock.requireNotFuture(body);
    return reply.code(201).send(stock.operationRep(stock.create(body, user)));
  });
  app.post(`${SM}/stockoperation/:uuid`, async (req) => {
    d.user(req, 'App: stockmanagement.stockoperations');
    stock.requireNotFuture(req.body as Record<string, unknown>);
    return stock.operationRep(stock.update((req.params as Q).uuid!, req.body as Record<string, unknown>));
  });
  // the module answers the action it was sent, not the operation: StockOperationActionResource.save
  // returns its delegate, whose representation is reason, name, uuid and lineItems
  app.post(`${SM}/stockoperationaction`, async (req) => {
    d.user(req, 'App: stockmanagement.stockoperations');
    const body = (req.body ?? {}) as Record<string, unknown>;
    stock.act(body);
    return {
      reason: body.reason ?? null,
      name: body.name ?? null,
      uuid: body.uuid ?? null,
      lineItems: body.lineItems ?? null,
    };
  });
  // StockBatchResource.doSearch: stockItemUuid (an unknown one lists nothing), paged as any list
  app.get(`${SM}/stockbatch`, async (req) => {
    reader(req);
    const { stockItemUuid } = q(req);
    return list(
      req,
      [...stock.batches.values()].filter((b) => !stockItemUuid || b.stockItemUuid === stockItemUuid),
      (b) => ({ ...b, voided: false }),
    );
  });
  app.get(`${SM}/stockiteminventory`, async (req) => {
    reader(req);
    // the module comments paging out for this resource (StockItemInventoryResource): every row at once
    return { results: stock.inventory(q(req)) };
  });
  app.get('/openmrs/ws/rest/v1/concept', async (req) => {
    reader(req);
    const text = q(req).q?.toLowerCase();
    return {
      results: [...stock.reasons]
        .filter(([, name]) => !text || name.toLowerCase().startsWith(text))
        .map(([uuid, name]) => ({ uuid, display: name })),
    };
  });
  registerTransactionRoutes(app, {
    ledger: stock.transactions,
    context: {
      partyName: (uuid) => (uuid ? (stock.parties.get(uuid)?.name ?? null) : null),
      operation(uuid) {
        const o = stock.operations.get(uuid);
        if (!o) return undefined;
        const typeName = stock.types.get(o.operationTypeUuid)!.name;
        return {
          number: o.operationNumber,
          status: o.status,
          typeName,
          source: o.sourceUuid,
          destination: o.destinationUuid,
        };
      },
      unitName: (item) => stock.items.get(item)?.dispensingUnitName ?? 'Unit',
    },
    selfUrl: d.selfUrl,
    reader,
    dispense: (input) => stock.dispense(input),
  });
  app.post('/_sandbox/stock/operations', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, any>;
    const { at, ...operation } = body;
    return reply.code(201).send(stock.operationRep(stock.completeAt(operation, String(at))));
  });
  app.post('/_sandbox/stock/fulfil', async (req) => {
    const body = req.body as { requisitionUuid: string; quantities?: Record<string, number> };
    return stock.operationRep(stock.fulfil(body.requisitionUuid, body.quantities));
  });
}

/** stockmgmt_stock_operation's text columns: a longer value fails the insert (errors.ts dataTooLong). */
const COLUMNS: [field: string, column: string, max: number][] = [
  ['externalReference', 'external_reference', 50],
  ['remarks', 'remarks', 255],
];

function fitsColumns(body: Record<string, unknown>): void {
  for (const [field, column, max] of COLUMNS)
    if (typeof body?.[field] === 'string' && (body[field] as string).length > max) throw dataTooLong(column);
}
