import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidSubmission, restError } from './errors.js';
import type { User } from './model.js';
import { pageOf } from './paging.js';

/**
 * The stock management module's transaction ledger (openmrs/openmrs-module-stockmanagement
 * omod/.../web/resource/StockItemTransactionResource.java and the service's
 * findStockItemTransactions): one StockItemTransaction per party, stock item and batch each time
 * stock moves, its `quantity` signed (into the party positive, out of it negative) in the packaging
 * unit of measure whose `packagingUomFactor` turns it into base units. Searched by `partyUuid`,
 * `stockItemUuid`, `stockOperationUuid`, `dateMin`/`dateMax` (on the transaction's `dateCreated`),
 * newest first (by id, descending), paged with `startIndex`/`limit` like every REST list.
 *
 * A transaction is written when its operation moves stock, as the module's processors do it
 * (stock-processors.ts): out of the source at SUBMIT, into the destination on completion, and a
 * reversing row when a submitted operation is returned, rejected or cancelled. A stock take writes
 * the difference it makes; dispensing to a patient writes a negative transaction with the patient
 * set (`isPatientTransaction`).
 */
export interface StockTransaction {
  id: number;
  uuid: string;
  dateCreated: number;
  partyUuid: string;
  stockItemUuid: string;
  batchNo: string | null;
  expiration: string | null;
  quantity: number;
  /** The operation that moved the stock; null for a dispense to a patient. */
  operationUuid: string | null;
  patientUuid: string | null;
}

/** What a transaction row shows of its operation and parties (looked up by the stock service). */
export interface TransactionContext {
  partyName(uuid: string | null): string | null;
  operation(
    uuid: string,
  ):
    { number: string; status: string; typeName: string; source: string | null; destination: string | null } | undefined;
  unitName(stockItemUuid: string): string;
}

export class StockTransactions {
  readonly rows: StockTransaction[] = [];
  private nextId = 1;

  record(row: Omit<StockTransaction, 'id' | 'uuid'>): StockTransaction {
    const saved = { ...row, id: this.nextId++, uuid: randomUUID() };
    this.rows.push(saved);
    return saved;
  }

  /** The rows a search selects, newest first (the module sorts by id, descending). */
  search(q: Record<string, string | undefined>): StockTransaction[] {
    const min = q.dateMin === undefined ? undefined : restDate(q.dateMin, 'dateMin');
    const max = q.dateMax === undefined ? undefined : restDate(q.dateMax, 'dateMax');
    return this.rows
      .filter(
        (r) =>
          (!q.partyUuid || r.partyUuid === q.partyUuid) &&
          (!q.stockItemUuid || r.stockItemUuid === q.stockItemUuid) &&
          (!q.stockOperationUuid || r.operationUuid === q.stockOperationUuid) &&
          (min === undefined || r.dateCreated >= min) &&
          (max === undefined || r.dateCreated <= max),
      )
      .sort((a, b) => b.id - a.id);
  }

  rep(r: StockTransaction, ctx: TransactionContext) {
    const op = r.operationUuid ? ctx.operation(r.operationUuid) : undefined;
    return {
      uuid: r.uuid,
      dateCreated: new Date(r.dateCreated).toISOString().replace('Z', '+0000'),
      partyUuid: r.partyUuid,
      partyName: ctx.partyName(r.partyUuid),
      isPatientTransaction: r.patientUuid !== null,
      quantity: r.quantity,
      stockBatchUuid: r.batchNo ? `${r.stockItemUuid.slice(0, 24)}${r.batchNo.padEnd(12, '0').slice(0, 12)}` : null,
      stockBatchNo: r.batchNo,
      expiration: r.expiration,
      stockItemUuid: r.stockItemUuid,
      stockOperationUuid: r.operationUuid,
      stockOperationStatus: op?.status ?? null,
      stockOperationNumber: op?.number ?? null,
      stockOperationTypeName: op?.typeName ?? null,
      stockItemPackagingUOMUuid: null,
      packagingUomName: ctx.unitName(r.stockItemUuid),
      packagingUomFactor: 1,
      operationSourcePartyName: ctx.partyName(op?.source ?? null),
      operationDestinationPartyName: ctx.partyName(op?.destination ?? null),
    };
  }
}

/**
 * A REST date parameter (webservices.rest ConversionUtil: ISO date-times with or without a zone,
 * or a plain day); the module answers an unreadable one with no rows, we answer 400 to be loud.
 */
function restDate(raw: string, name: string): number {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00.000Z` : raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw restError(400, `Could not convert ${name}=${raw} to a date`);
  return ms;
}

export interface TransactionRouteDeps {
  ledger: StockTransactions;
  context: TransactionContext;
  selfUrl: (req: FastifyRequest) => string;
  reader: (req: FastifyRequest) => User;
  /** Dispensing to a patient (the pharmacy's dispense, O3's dispensing app): stock out at a location. */
  dispense(body: DispenseInput): StockTransaction;
}

export interface DispenseInput {
  locationUuid: string;
  drugUuid: string;
  batchNo?: string;
  quantity: number;
  /** When it was dispensed (ISO instant); default now. */
  at?: string;
}

export function checkDispense(body: Record<string, unknown> | undefined): DispenseInput {
  const b = body ?? {};
  const quantity = Number(b.quantity);
  if (typeof b.locationUuid !== 'string' || typeof b.drugUuid !== 'string' || !(quantity > 0))
    throw invalidSubmission({ dispense: 'locationUuid, drugUuid and a positive quantity are required' });
  if (b.at !== undefined && (typeof b.at !== 'string' || Number.isNaN(Date.parse(b.at))))
    throw invalidSubmission({ at: 'an ISO instant' });
  return {
    locationUuid: b.locationUuid,
    drugUuid: b.drugUuid,
    batchNo: typeof b.batchNo === 'string' ? b.batchNo : undefined,
    quantity,
    at: b.at as string | undefined,
  };
}

const SM = '/openmrs/ws/rest/v1/stockmanagement';

export function registerTransactionRoutes(app: FastifyInstance, d: TransactionRouteDeps): void {
  app.get(`${SM}/stockitemtransaction`, async (req) => {
    d.reader(req);
    const q = req.query as Record<string, string | undefined>;
    const page = pageOf(d.ledger.search(q), q, d.selfUrl(req));
    page.results = (page.results as StockTransaction[]).map((r) => d.ledger.rep(r, d.context));
    return page;
  });
  app.post('/_sandbox/stock/dispense', async (req, reply) =>
    reply.code(201).send(d.ledger.rep(d.dispense(checkDispense(req.body as Record<string, unknown>)), d.context)),
  );
}
