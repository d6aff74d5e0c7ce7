import { BusinessRuleError, SearchNeedsParameterError, UnknownFacilityError } from '../../domain/errors.js';
import type { FacilityRef, StockLine, StockReport } from '../../domain/index.js';
import type {
  FacilityCapability,
  Page,
  SearchCriteria,
  StepJournal,
  StockCapability,
  WriteResult,
} from '../../routing/ports.js';
import { resultsOf, type OpenMrsClient } from './client.js';
import { OPENMRS, makeOpenMrsError, type OpenMrsError } from './errors.js';
import type { OpenMrsProductMap } from './products.js';
import { actOn, createOperation, operationReference, operationRemarks, submitOrCancel } from './operations.js';
import { SM, dispensingUomOf, type StockReference } from './stock-reference.js';
import { countsNoExpiredBatch } from './batch-expiry.js';
import { openmrsLedgers } from './stock-ledger.js';
import type { StockLedgerReader } from '../../domain/stock-ledger.js';
import { eachLimited } from '../../platform/each-limited.js';
import { firstRepeatedLine } from '../../domain/repeated-lines.js';
import { refuseFutureCountDate } from './operation-date.js';

/**
 * Stock through the stock management module. Reads: `stockiteminventory` per location (one party)
 * and catalogue drug, by batch → an InventoryReport snapshot with lots and expiry; the endpoint does not page, so the
 * answer is bounded (MAX_INVENTORY_ROWS) rather than trusted. Writes: a snapshot → a `stocktake`
 * operation, a difference → an `adjustment` with its reason; each is created NEW, then SUBMIT and
 * APPROVE actions complete it. The report's business key is the operation's externalReference,
 * so a retry after a lost answer finds the operation instead of creating a second; each step is
 * journaled and looks at the operation's status before acting. A SUBMIT the module refuses
 * cancels the operation (operations.ts submitOrCancel).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;
/** An OpenMRS uuid: what a read by id can ask OpenMRS for directly. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_INVENTORY_ROWS = 5_000;
/** Inventory reads in flight at once for one location (one per catalogue drug). */
const INVENTORY_CONCURRENCY = 4;
const REPORT_PREFIX = 'omrs-inv-';
/** Statuses of an operation that changed no stock and never will. */
const VOID_STATUSES = new Set(['CANCELLED', 'REJECTED']);
const WHERE = 'InventoryReport.inventoryListing[0].location';

export interface StockDeps {
  client: OpenMrsClient;
  reference: StockReference;
  products: () => OpenMrsProductMap;
  facilities: FacilityCapability;
  registryCodeSystem: () => string;
  crosswalk?: (registryId: string) => Promise<string | undefined>;
}

/** A FacilityRef → the uuid of the OpenMRS location it names (by id, registry code or crosswalk). */
export async function locationOf(
  deps: Pick<StockDeps, 'facilities' | 'registryCodeSystem' | 'crosswalk'>,
  ref: FacilityRef,
  where: string,
): Promise<string> {
  if (ref.id && UUID.test(ref.id) && (await deps.facilities.get(ref.id))) return ref.id;
  if (ref.identifier?.system === deps.registryCodeSystem()) {
    const found = (await deps.facilities.search({ identifier: ref.identifier })).items[0];
    if (found?.id) return found.id;
  }
  if (ref.id && deps.crosswalk) {
    const linked = await deps.crosswalk(ref.id);
    if (linked) return linked;
  }
  throw new UnknownFacilityError(
    `facility ${ref.display ?? ref.id ?? ref.identifier?.value ?? '?'} is not an OpenMRS location (by id, registry code or crosswalk)`,
    where,
    ref,
  );
}

export function createStockCapability(deps: StockDeps): StockCapability & StockLedgerReader {
  const { client, reference } = deps;

  /**
   * On-hand rows of one party, by batch. The module answers nothing unless the search names an item
   * (StockItemInventoryResource returns an empty result for a party alone), so it is asked once per
   * drug the catalogue carries: only those could be reported anyway.
   */
  const inventoryRows = async (partyUuid: string): Promise<Json[]> => {
    const rows: Json[] = [];
    await eachLimited(deps.products().drugUuids(), INVENTORY_CONCURRENCY, async (drugUuid) => {
      const body = await client.call<Json>({
        method: 'GET',
        path: `${SM}/stockiteminventory`,
        // expired batches too (the resource leaves them out unless told not to): stock on the shelf,
        // named with its expiry
        query: {
          partyUuid,
          drugUuid,
          groupBy: 'LocationStockItemBatchNo',
          includeBatchNo: true,
          excludeExpired: false,
          v: 'default',
        },
      });
      rows.push(...resultsOf<Json>(body, `${SM}/stockiteminventory`));
    });
    return rows;
  };

  const inventory = async (location: string): Promise<StockReport> => {
    const party = await reference.partyOf(location, WHERE);
    const rows = await inventoryRows(String(party.uuid));
    if (rows.length > MAX_INVENTORY_ROWS)
      throw new BusinessRuleError(
        `OpenMRS answered ${rows.length} inventory rows for location ${location}, more than the ${MAX_INVENTORY_ROWS} read at once`,
        WHERE,
      );
    const lines: StockLine[] = [];
    for (const r of rows) {
      const product = deps.products().productOf(String(r.drugUuid), r.drugName ?? undefined);
      if (!product) continue; // a drug the catalogue does not carry: nothing to name it by
      lines.push({
        product,
        quantity: { value: Number(r.quantity), unit: 'dispensing-unit' },
        lot: r.batchNumber
          ? { number: String(r.batchNumber), expiry: r.expiration ? String(r.expiration).slice(0, 10) : undefined }
          : undefined,
      });
    }
    const facility = await deps.facilities.get(location);
    return {
      id: `${REPORT_PREFIX}${location}`,
      status: 'active',
      countType: 'snapshot',
      reportedAt: new Date().toISOString(),
      reportedAtIsRead: true,
      facility: { id: location, identifier: facility?.identifiers[0], display: facility?.name ?? party.name },
      lines,
      source: { system: OPENMRS, id: String(party.uuid) },
    };
  };

  /**
   * An adjustment may not leave a batch below zero at the location: OpenMRS refuses its SUBMIT
   * ("Item … batch … will have a negative balance of …", StockManagementServiceImpl
   * .validateStockInventoryAfterOperation; allowed only with stockmanagement.negativeStockBalanceAllowed)
   * after the create succeeded, which would leave a NEW operation behind. Checked against the batch's
   * on-hand first; a count that changes in between still meets the module's refusal. The module's
   * balance leaves expired batches out (its inventory search's default; only a disposal's type
   * allows them), so the on-hand is read the same way: an expired batch holds none here.
   */
  const refuseOverdraw = async (
    partyUuid: string,
    items: PlannedItem[],
    earlier: { type: string; items: PlannedItem[] }[] = [],
  ): Promise<void> => {
    const onHand = new Map<string, number>();
    const taken = new Map<string, number>();
    for (const [i, it] of items.entries()) {
      if (!onHand.has(it.stockBatchUuid)) {
        const body = await client.call<Json>({
          method: 'GET',
          path: `${SM}/stockiteminventory`,
          query: {
            partyUuid,
            stockItemUuid: it.stockItemUuid,
            groupBy: 'LocationStockItemBatchNo',
            includeBatchNo: true,
            excludeExpired: true,
            v: 'default',
          },
        });
        const rows = resultsOf<Json>(body, `${SM}/stockiteminventory`);
        const row = rows.find(
          (r) => r.stockBatchUuid === it.stockBatchUuid || (it.batchNo !== null && r.batchNumber === it.batchNo),
        );
        onHand.set(it.stockBatchUuid, asApplied(Number(row?.quantity ?? 0), it.stockBatchUuid, earlier));
      }
      const held = onHand.get(it.stockBatchUuid)!;
      const net = (taken.get(it.stockBatchUuid) ?? 0) - it.quantity;
      taken.set(it.stockBatchUuid, net);
      if (held - net < 0)
        throw new BusinessRuleError(
          `batch ${it.batchNo ?? '(no number)'} holds ${held} unexpired at this location` +
            `${earlier.length ? " after this Bundle's earlier entries" : ''}: taking ${net} would leave it ` +
            'negative, which OpenMRS refuses (it counts an expired batch as holding none)',
          `InventoryReport.inventoryListing[0].item[${i}].quantity`,
        );
    }
  };

  /**
   * Everything the operation needs, resolved without writing (also the precheck). The overdraw
   * check is left to the caller: once an operation exists, the module's SUBMIT is the judge.
   */
  const plan = async (report: StockReport) => {
    // first, before any call: refused even while OpenMRS cannot be asked
    refuseFutureCountDate(report);
    const location = await locationOf(deps, report.facility, WHERE);
    const party = await reference.partyOf(location, WHERE);
    const type = report.countType === 'snapshot' ? 'stocktake' : 'adjustment';
    // system|value, the business key the outbox holds: the value alone took another app's count
    // with the same number at this location for this one (found, so this one was never recorded)
    const externalReference = report.identifier
      ? operationReference(report.identifier, 'InventoryReport.identifier')
      : undefined;
    const remarks = operationRemarks(report.note, 'InventoryReport.note');
    if (!report.lines.length)
      throw new BusinessRuleError(
        'an InventoryReport with no lines changes nothing in OpenMRS',
        'InventoryReport.inventoryListing',
      );
    if (type === 'stocktake') countsEachBatchOnce(report);
    const items = await Promise.all(
      report.lines.map(async (l, i) => {
        const where = `InventoryReport.inventoryListing[0].item[${i}]`;
        const item = await reference.stockItemOf(deps.products().drugUuid(l.product, `${where}.code`), `${where}.code`);
        let quantity = deps.products().units(l.product, l.quantity, `${where}.quantity`);
        if (type === 'adjustment' && report.operation === 'subtraction' && quantity > 0) quantity = -quantity;
        if (type === 'stocktake' && quantity < 0)
          throw new BusinessRuleError('a stock count cannot be negative', `${where}.quantity`);
        if (type === 'adjustment' && quantity === 0)
          throw new BusinessRuleError('an adjustment of 0 changes nothing', `${where}.quantity`);
        if (item.hasExpiration && type === 'stocktake' && !l.lot?.number)
          throw new BusinessRuleError(
            `${item.drugName ?? 'this drug'} is kept by batch in OpenMRS: the count needs its lot number (the item's lot-number extension)`,
            `${where}.extension`,
          );
        // counts and adjustments move an existing batch, named by its uuid (requiresBatchUuid)
        const batch = await reference.batchOf(item, l.lot?.number, `${where}.extension`, l.lot?.expiry);
        if (type === 'stocktake')
          await countsNoExpiredBatch(
            client,
            {
              partyUuid: String(party.uuid),
              stockItemUuid: String(item.uuid),
              batch,
              batchNo: l.lot?.number,
              drugName: item.drugName,
            },
            `${where}.extension`,
          );
        return {
          stockItemUuid: String(item.uuid),
          stockItemPackagingUOMUuid: dispensingUomOf(item, `${where}.code`),
          stockBatchUuid: batch.uuid,
          batchNo: l.lot?.number ?? null,
          expiration: l.lot?.expiry ?? null,
          quantity,
        };
      }),
    );
    // where the reason came from, as a domain path the FHIR edge turns into that element
    // (operationTypeReason, or the line's stock-reason extension)
    const reasonLine = report.lines.findIndex((l) => l.reason);
    const reasonAt = report.reason
      ? 'StockReport.reason'
      : `StockReport.lines[${reasonLine < 0 ? 0 : reasonLine}].reason`;
    const reasonName =
      report.reason?.display ??
      report.reason?.code ??
      report.lines[reasonLine]?.reason?.display ??
      report.lines[reasonLine]?.reason?.code;
    if (type === 'adjustment' && !reasonName)
      throw new BusinessRuleError('an OpenMRS adjustment needs a reason', reasonAt);
    const reasonUuid = type === 'adjustment' ? await reference.reasonUuid(reasonName!, reasonAt) : undefined;
    return {
      location,
      party,
      type,
      items,
      reasonUuid,
      externalReference,
      remarks,
      typeUuid: await reference.operationType(type),
    };
  };

  /**
   * The operation recorded under this external reference, if an earlier attempt created it. A
   * cancelled or rejected one is void: a report sent again after its refusal is written anew.
   */
  const findOperation = async (
    typeUuid: string,
    location: string,
    externalReference: string,
  ): Promise<Json | undefined> =>
    (
      await client.all<Json>({
        path: `${SM}/stockoperation`,
        query: { operationTypeUuid: typeUuid, locationUuid: location, v: 'default' },
      })
    ).find((o) => o.externalReference === externalReference && !VOID_STATUSES.has(o.status));

  return {
    // each stock location's transaction ledger over a window, for the stock → DHIS2 bridge (stock-ledger.ts)
    ledgers: (window) => openmrsLedgers(deps, window),
    async get(id) {
      if (!id.startsWith(REPORT_PREFIX)) return undefined;
      const location = id.slice(REPORT_PREFIX.length);
      if (!UUID.test(location) || !(await deps.facilities.get(location))) return undefined;
      return inventory(location).catch((err) => (err instanceof BusinessRuleError ? undefined : Promise.reject(err)));
    },
    async search(criteria: SearchCriteria): Promise<Page<StockReport>> {
      if (!criteria.facility)
        throw new SearchNeedsParameterError(
          'OpenMRS stock is read per location: search with a location parameter',
          // the search parameter missing, as a bad query parameter is named (fhir/search.ts)
          'location',
        );
      // a location OpenMRS does not know, or one that keeps no stock, has no OpenMRS stock: no match
      // (not an error, which would fail a search other systems answer when several are configured)
      const location = await locationOf(
        deps,
        { id: criteria.facility, identifier: { system: deps.registryCodeSystem(), value: criteria.facility } },
        'InventoryReport.inventoryListing.location',
      ).catch((err) => (err instanceof BusinessRuleError ? undefined : Promise.reject(err)));
      if (!location) return { items: [] };
      const report = await inventory(location).catch((err) =>
        err instanceof BusinessRuleError ? undefined : Promise.reject(err),
      );
      if (!report) return { items: [] };
      if (criteria.item)
        report.lines = report.lines.filter(
          (l) =>
            l.product.code === criteria.item!.code &&
            (!criteria.item!.system || l.product.system === criteria.item!.system),
        );
      return { items: [report] };
    },
    async precheck(report, earlier: StockReport[] = []) {
      const p = await plan(report);
      if (p.type !== 'adjustment') return;
      // the same Bundle's earlier counts and adjustments here, as if applied: two subtractions
      // that only together overdraw are refused now, not at the second one's SUBMIT
      const before = [];
      for (const e of earlier) {
        const q = await plan(e).catch((err) => (err instanceof BusinessRuleError ? undefined : Promise.reject(err)));
        if (q && q.party.uuid === p.party.uuid) before.push(q);
      }
      await refuseOverdraw(String(p.party.uuid), p.items, before);
    },
    async report(report: StockReport, journal: StepJournal): Promise<WriteResult> {
      const p = await plan(report);
      const externalReference = p.externalReference ?? journal.idempotencyKey;
      const created = await journal.run('create-operation', async () => {
        const found = await findOperation(p.typeUuid, p.location, externalReference);
        // made by an attempt whose answer was lost: its SUBMIT decides (and cancels it if refused),
        // a precheck here would leave it behind NEW
        if (found) return String(found.uuid);
        if (p.type === 'adjustment') await refuseOverdraw(String(p.party.uuid), p.items);
        const body = {
          operationTypeUuid: p.typeUuid,
          sourceUuid: p.party.uuid,
          operationDate: countedAt(report),
          externalReference,
          remarks: p.remarks,
          reasonUuid: p.reasonUuid ?? null,
          stockOperationItems: p.items,
        };
        return createOperation(
          client,
          body,
          () => findOperation(p.typeUuid, p.location, externalReference),
          `${p.type} ${externalReference}`,
          p.type,
        );
      });
      // refused (the stock moved since the precheck): cancelled, not left NEW, and the refusal reported
      await submitOrCancel(client, journal, created);
      const status = await journal.run('approve', () => actOn(client, created, 'APPROVE', ['SUBMITTED']));
      if (TAKEN_BACK.has(status)) throw takenBack(created, status);
      return { system: OPENMRS, ids: { stockOperation: created }, status };
    },
  };
}

/**
 * Statuses a submitted operation reaches when someone in OpenMRS acts on it before our APPROVE
 * (after a crash or an outage between the two): the module's onCancelled writes its stock back
 * (StockManagementServiceImpl.processStockOperationAction, RETURN/REJECT/CANCEL).
 */
const TAKEN_BACK = new Set(['RETURNED', 'REJECTED', 'CANCELLED']);

/**
 * The report is not counted: a person in OpenMRS returned, rejected or cancelled the operation
 * between its SUBMIT and our APPROVE, and the module took the stock back. That is their decision,
 * so it is reported as permanent, not retried and not answered as written.
 */
function takenBack(uuid: string, status: string): OpenMrsError {
  return makeOpenMrsError({
    system: OPENMRS,
    transient: false,
    status: 422,
    code: 'business-rule',
    diagnostics:
      `stock operation ${uuid} was ${status} in OpenMRS before the mediator approved it: OpenMRS took its stock ` +
      'back, so this report is not counted there',
  });
}

/**
 * When the stock was counted: an operation has one date (the stockmanagement module's
 * operationDate, the day its ledger entries are dated), so the latest countingDateTime of the
 * report's lines, else when it was reported.
 */
function countedAt(report: StockReport): string {
  const times = report.lines.map((l) => l.countedAt).filter((x): x is string => !!x);
  return times.length ? times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) : report.reportedAt;
}

/**
 * A count names each product and batch once. The module sums a stock take's lines of one batch
 * (calculateStockIssueAdjustments) and records the difference on the first line, but the
 * Bundle precheck (asApplied) and the line ids take a count as setting its batch. So a second
 * line for the same batch (a lot counted on two shelves) is refused; the client sums.
 */
function countsEachBatchOnce(report: StockReport): void {
  const repeat = firstRepeatedLine(report.lines, (l) => `${l.product.system}|${l.product.code}|${l.lot?.number ?? ''}`);
  if (!repeat) return;
  const l = report.lines[repeat.index];
  throw new BusinessRuleError(
    `product ${l.product.code}${l.lot?.number ? ` lot ${l.lot.number}` : ''} is counted twice (also item ${repeat.earlier}): one line per product and lot, with the whole count`,
    `InventoryReport.inventoryListing[0].item[${repeat.index}].item`,
  );
}

interface PlannedItem {
  stockItemUuid: string;
  stockBatchUuid: string;
  batchNo: string | null;
  quantity: number;
}

/** A batch's on-hand after earlier writes: a count sets it, an adjustment adds its (signed) quantity. */
function asApplied(held: number, batchUuid: string, earlier: { type: string; items: PlannedItem[] }[]): number {
  let n = held;
  for (const e of earlier)
    for (const it of e.items)
      if (it.stockBatchUuid === batchUuid) n = e.type === 'stocktake' ? it.quantity : n + it.quantity;
  return n;
}
