import { isTransient, MediatorError } from '../domain/errors.js';
import type { ProductRef, StockReport } from '../domain/index.js';
import { ledgerReaderOf, type DayWindow, type FacilityLedger } from '../domain/stock-ledger.js';
import type { Outbox } from '../outbox/outbox.js';
import type { WriteOutcome } from '../outbox/types.js';
import { STOCK } from '../routing/flows.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import { DHIS2_ID_SYSTEM } from '../systems/dhis2/identifiers.js';
import type { Dhis2ProductMap } from '../systems/dhis2/products.js';
import { MEASURE_SYSTEM } from '../systems/dhis2/stock.js';
import { withHandedReads } from '../upstream/handed-reads.js';
import {
  changedValues,
  changeKey,
  changeReport,
  indicatorValues,
  retractKey,
  staleValues,
  valuesOrderKey,
  valueKey,
  type ValueChange,
} from './stock-changes.js';
import { facilityIndicators, ledgerWindow, type Indicator } from './stock-indicators.js';
import { orgUnitFinder, type OrgUnitLookup, type OrgUnitTarget } from './stock-org-units.js';
import { checkPeriodType, type BridgePeriod } from './stock-period.js';

/**
 * LMIS stock indicators → DHIS2 data values for one period (issue 15; DESIGN §3 "Bridges are
 * routing on a schedule"): each LMIS connector's ledger is read facility by facility, the
 * indicators computed (stock-indicators.ts), compared with what DHIS2 holds for that org unit and
 * period (read through the DHIS2 connector), and only the values that differ are written: as one
 * stock report per org unit through the outbox (flow `stock`, system `dhis2`), whose delivery is
 * the DHIS2 connector's. The key names the data set, period, org unit and the values (see
 * stock-changes.ts), so a run that dies anywhere is simply run again.
 */
export interface StockBridgeDeps {
  store: Store;
  outbox: Outbox;
  connectors: Connector[];
  /** The DHIS2 catalogue and indicator map (codes.dhis2, dhis2-indicators.json). */
  products: Dhis2ProductMap;
  /** dhis2.dataSet: part of the key (two data sets of one period are two writes). */
  dataSet?: string;
}

export interface StockBridgeOptions {
  period: BridgePeriod;
  /** Compute and compare only: nothing is written, the changes are reported. */
  dryRun?: boolean;
  /** Called after each facility, for a progress bar. */
  onFacility?: (done: FacilityOutcome) => void;
  /**
   * Which outcomes the result keeps (default: every facility with something to say). A national run
   * keeps only `problems`: the rest is reported through onFacility and counted, so memory stays flat.
   */
  keep?: (outcome: FacilityOutcome) => boolean;
  /** Facilities compared and written at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** How long each write waits for DHIS2 before it is left to the outbox worker (default: the outbox's). */
  deadlineMs?: number;
  /**
   * Aborts when the job's lock was lost mid-run (another instance or process runs the job now):
   * no write is queued after, so two runs never send one org unit's values in either order.
   */
  signal?: AbortSignal;
}

export type FacilityStatus =
  'sent' | 'queued' | 'unchanged' | 'already-sent' | 'rejected' | 'no-org-unit' | 'would-send' | 'shared-org-unit';

/** A value DHIS2 holds that the LMIS no longer yields (stock-changes.ts staleValues). */
export interface StaleValue {
  productCode: string;
  measure: string;
  previous: number;
}

export interface FacilityOutcome {
  system: string;
  facility: string;
  orgUnit?: OrgUnitTarget;
  status: FacilityStatus;
  changes: ValueChange[];
  /** The data element of each change, as the indicator map names it (for the dry run). */
  dataElements: string[];
  /** Values DHIS2 holds that the LMIS no longer yields: deleted where DHIS2's connector can, else reported. */
  stale?: StaleValue[];
  /** How the stale values went: deleted (or queued to be), would be in a dry run, or only reported. */
  staleStatus?: 'retracted' | 'queued' | 'already-retracted' | 'rejected' | 'would-retract' | 'reported';
  key?: string;
  error?: string;
}

export interface StockBridgeResult {
  period: string;
  facilities: number;
  counts: Record<FacilityStatus | 'values' | 'unmappedProducts' | 'staleValues' | 'retractedValues', number>;
  outcomes: FacilityOutcome[];
  /** LMISs whose ledgers could not be read (down, refusing us): their facilities wait for the next run. */
  unread: UnreadSystem[];
}

/** An LMIS the run could not read, and the upstream's reason. */
export interface UnreadSystem {
  system: string;
  reason: string;
}

const saysSomething = (o: FacilityOutcome) =>
  (o.status !== 'unchanged' && o.status !== 'already-sent') || (o.stale?.length ?? 0) > 0;

/**
 * What an operator must look at: refused, still queued, a facility without an org unit (its
 * changes left out), one refused because another LMIS facility feeds the same org unit, or stale
 * values DHIS2 keeps because its connector cannot delete them.
 */
export const problems = (o: FacilityOutcome) =>
  o.status === 'rejected' ||
  o.status === 'queued' ||
  o.status === 'no-org-unit' ||
  o.status === 'shared-org-unit' ||
  o.staleStatus === 'reported' ||
  o.staleStatus === 'rejected';

/** The period type DHIS2 takes the values in (its data set's), when the DHIS2 connector says. */
export async function dhis2PeriodType(connectors: Connector[]): Promise<string | undefined> {
  const stock = connectors.find((c) => c.system === 'dhis2')?.stock as
    { periodType?: () => Promise<string> } | undefined;
  return stock?.periodType ? stock.periodType() : undefined;
}

export const NO_DHIS2 = 'no DHIS2 connector configured';
export const NO_LMIS = 'no configured system keeps a stock ledger (OpenLMIS, Open mSupply, OpenMRS)';

/**
 * Whether the DHIS2 connector deletes the values of a stock report whose status is
 * `entered-in-error` (dataValueSets importStrategy=DELETE); until it says so, stale values are
 * reported and left, never sent as a report it would write as values.
 */
function retractsValues(dhis2: Connector): boolean {
  return (dhis2.stock as { retractsValues?: boolean } | undefined)?.retractsValues === true;
}

function statusOf(outcome: WriteOutcome): { status: FacilityStatus; error?: string } {
  const first = outcome.kind === 'duplicate' ? outcome.previous : outcome;
  if (first.kind === 'rejected') return { status: 'rejected', error: first.error.message };
  if (first.kind === 'queued') return { status: 'queued', error: first.reason };
  return { status: outcome.kind === 'duplicate' ? 'already-sent' : 'sent' };
}

/** What DHIS2 holds for the org unit and period, by product code and measure (and each value's product). */
async function currentValues(
  dhis2: Connector,
  products: Dhis2ProductMap,
  orgUnit: OrgUnitTarget,
  period: BridgePeriod,
): Promise<{ values: Map<string, number>; products: Map<string, ProductRef> }> {
  const page = await dhis2.stock!.search({ facility: orgUnit.uid, date: [{ from: period.start, to: period.end }] });
  const report = page.items.find((r) => r.source?.id === `${orgUnit.uid}/${period.id}`);
  const current = new Map<string, number>();
  const refs = new Map<string, ProductRef>();
  for (const line of report?.lines ?? []) {
    const code = dhis2Code(products, line.product);
    if (!code) continue;
    current.set(valueKey(code, line.itemStatus?.code ?? 'stockOnHand'), line.quantity.value);
    refs.set(code, line.product);
  }
  return { values: current, products: refs };
}

function dhis2Code(products: Dhis2ProductMap, product: ProductRef): string | undefined {
  try {
    return products.productCode(product, 'product');
  } catch {
    return undefined;
  }
}

function dataElementOf(products: Dhis2ProductMap, code: string, measure: Indicator): string | undefined {
  try {
    return products.target(code, measure, 'measure').dataElement;
  } catch {
    return undefined;
  }
}

export async function runStockToDhis2(deps: StockBridgeDeps, options: StockBridgeOptions): Promise<StockBridgeResult> {
  const dhis2 = deps.connectors.find((c) => c.system === 'dhis2' && c.stock);
  if (!dhis2) throw new MediatorError(501, [{ code: 'not-supported', diagnostics: NO_DHIS2 }]);
  const sources = deps.connectors.filter((c) => c !== dhis2 && ledgerReaderOf(c.stock));
  if (!sources.length) throw new MediatorError(501, [{ code: 'not-supported', diagnostics: NO_LMIS }]);
  const { period } = options;
  const type = await dhis2PeriodType([dhis2]);
  if (type) checkPeriodType(period, type, deps.dataSet ? `DHIS2 data set ${deps.dataSet}` : 'DHIS2 (dhis2.periodType)');
  const findOrgUnit = orgUnitFinder(deps.store, dhis2);
  const result: StockBridgeResult = {
    period: period.id,
    facilities: 0,
    counts: {
      sent: 0,
      queued: 0,
      unchanged: 0,
      'already-sent': 0,
      rejected: 0,
      'no-org-unit': 0,
      'would-send': 0,
      'shared-org-unit': 0,
      values: 0,
      unmappedProducts: 0,
      staleValues: 0,
      retractedValues: 0,
    },
    outcomes: [],
    unread: [],
  };

  /**
   * Which LMIS facility feeds each org unit in this run: the first in the connectors' and their
   * ledgers' order (the same every run). A second facility linked to the same org unit is refused
   * and reported, never written over the first: two writers would overwrite each other's values
   * run after run, and their sum is not an indicator either (stock-out days, months of stock).
   * The crosswalk (or the codes) must be put right by a person.
   */
  const feeds = new Map<string, string>();
  const claim = (orgUnit: OrgUnitTarget, claimant: string): string | undefined => {
    const holder = feeds.get(orgUnit.uid);
    if (holder && holder !== claimant) return holder;
    feeds.set(orgUnit.uid, claimant);
    return undefined;
  };

  const one = async (system: string, ledger: FacilityLedger, lookup: OrgUnitLookup): Promise<FacilityOutcome> => {
    const facility = ledger.facility.identifier?.value ?? ledger.facility.id ?? '?';
    const base = { system, facility, changes: [] as ValueChange[], dataElements: [] as string[] };
    const orgUnit = lookup.target;
    if (!orgUnit) return { ...base, status: 'no-org-unit', ...(lookup.why ? { error: lookup.why } : {}) };
    const holder = claim(orgUnit, `${system} ${facility}`);
    if (holder)
      return {
        ...base,
        orgUnit,
        status: 'shared-org-unit',
        error: `org unit ${orgUnit.code ?? orgUnit.uid} is already fed by ${holder}: ${system} ${facility} is not written over it (fix the crosswalk or the codes)`,
      };
    const { values, unmapped } = indicatorValues(
      facilityIndicators(ledger, period.days),
      (p) => dhis2Code(deps.products, p),
      (code, measure) => dataElementOf(deps.products, code, measure) !== undefined,
    );
    result.counts.unmappedProducts += unmapped.length;
    const readAt = Date.now();
    const current = await currentValues(dhis2, deps.products, orgUnit, period);
    const changes = changedValues(values, current.values);
    const dataElements = changes.map((c) => dataElementOf(deps.products, c.productCode, c.measure)!);
    const stale = staleValues(values, current.values);
    const keyParts = { dataSet: deps.dataSet, period: period.id, orgUnit: orgUnit.code ?? orgUnit.uid };
    const retraction = stale.length
      ? await retract(orgUnit, stale, current.products, retractKey(keyParts, stale), readAt, valuesOrderKey(keyParts))
      : {};
    const found = { ...base, orgUnit, changes, dataElements, ...retraction };
    if (!changes.length) return { ...found, status: 'unchanged' };
    const key = changeKey(keyParts, changes);
    if (options.dryRun) return { ...found, key, status: 'would-send' };
    const outcome = await queue(key, reportOf(key, orgUnit, changes), readAt, valuesOrderKey(keyParts));
    return { ...found, key, ...statusOf(outcome) };
  };

  /** The report of these values for the org unit and period, keyed as the outbox job is. */
  const reportOf = (key: string, orgUnit: OrgUnitTarget, values: Parameters<typeof changeReport>[3]): StockReport =>
    changeReport(key, orgUnit, period, values, { measureSystem: MEASURE_SYSTEM, orgUnitIdSystem: DHIS2_ID_SYSTEM });

  /**
   * One outbox write to DHIS2's stock flow, under its business key. The values were compared with
   * what DHIS2 held at `readAt`: a write of the same key delivered before then means DHIS2 has lost
   * them since (restored from an older backup, cleared by hand, a later write delivered before an
   * earlier one), so they are sent again under the key chained on that delivered job; a re-run
   * after a crash walks the same chain to this write. A write still queued is left to the outbox.
   */
  const queue = async (key: string, report: StockReport, readAt: number, orderKey: string): Promise<WriteOutcome> => {
    for (let idempotencyKey = key; ;) {
      options.signal?.throwIfAborted(); // the job's lock lost: the run holding it now writes instead
      const outcome = await deps.outbox.acceptWrite({
        flow: STOCK.outboxFlow,
        system: dhis2.system,
        idempotencyKey,
        payload: report,
        orderKey,
        ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      });
      if (outcome.kind !== 'duplicate' || outcome.previous.kind !== 'done') return outcome;
      const delivered = await deps.outbox.getJob(outcome.jobId);
      if (!delivered || delivered.updatedAt > readAt) return outcome;
      idempotencyKey = `${key}|after:${outcome.jobId}`;
    }
  };

  /** Stale values deleted through the DHIS2 connector (one outbox job, keyed by what is deleted), or reported. */
  const retract = async (
    orgUnit: OrgUnitTarget,
    stale: StaleValue[],
    refs: Map<string, ProductRef>,
    key: string,
    readAt: number,
    orderKey: string,
  ): Promise<Pick<FacilityOutcome, 'stale' | 'staleStatus' | 'error'>> => {
    if (options.dryRun) return { stale, staleStatus: 'would-retract' };
    if (!retractsValues(dhis2)) return { stale, staleStatus: 'reported' };
    const asValues = stale.map((s) => ({
      product: refs.get(s.productCode)!,
      productCode: s.productCode,
      measure: s.measure as Indicator,
      value: s.previous,
    }));
    const outcome = await queue(
      key,
      { ...reportOf(key, orgUnit, asValues), status: 'entered-in-error' },
      readAt,
      orderKey,
    );
    const { status, error } = statusOf(outcome);
    const staleStatus =
      status === 'sent'
        ? 'retracted'
        : status === 'already-sent'
          ? 'already-retracted'
          : status === 'queued'
            ? 'queued'
            : 'rejected';
    return { stale, staleStatus, ...(error ? { error } : {}) };
  };

  const record = (outcome: FacilityOutcome) => {
    result.facilities += 1;
    result.counts[outcome.status] += 1;
    result.counts.staleValues += outcome.stale?.length ?? 0;
    if (outcome.staleStatus === 'retracted' || outcome.staleStatus === 'queued')
      result.counts.retractedValues += outcome.stale!.length;
    if (outcome.status === 'sent' || outcome.status === 'queued' || outcome.status === 'would-send')
      result.counts.values += outcome.changes.length;
    if ((options.keep ?? saysSomething)(outcome)) result.outcomes.push(outcome);
    options.onFacility?.(outcome);
  };
  // a few facilities compared and written while the next ledger is read: memory stays bounded
  const limit = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for (const source of sources) {
      for await (const ledger of ledgersOrUnread(source, ledgerWindow(period.days), result.unread)) {
        if (failure) break;
        // the org unit is found here, in ledger order, so which facility feeds a shared one does not depend on timing
        const found = await findOrgUnit(source.system, ledger.facility);
        // DHIS2's read of the org unit's period, handed to the write of what differs from it (its first
        // attempt keeps the notes that read found, not asking again: upstream/handed-reads.ts)
        const task: Promise<void> = withHandedReads(() => one(source.system, ledger, found))
          .catch((error: unknown) => refusedHere(source.system, ledger, found.target, error))
          .then(record, (error: unknown) => {
            failure ??= { error };
          });
        running.add(task);
        void task.finally(() => running.delete(task));
        if (running.size >= limit) await Promise.race(running);
      }
      if (failure) break;
    }
  } catch (error) {
    // a ledger or the crosswalk failing: the facilities in flight finish (their writes are kept) first
    failure ??= { error };
  }
  await Promise.all(running);
  if (failure) throw failure.error;
  return result;
}

/**
 * The source's facility ledgers, one by one, until it cannot be read: then it is listed in `unread`
 * with the upstream's reason and ends there, so the other LMISs are still read and sent. One LMIS
 * down on the day of a monthly run would otherwise keep every other system's month from DHIS2
 * until the next month's run. The facilities read before it failed are kept. A fault of ours (not
 * a MediatorError) still stops the run.
 */
async function* ledgersOrUnread(
  source: Connector,
  window: DayWindow,
  unread: UnreadSystem[],
): AsyncGenerator<FacilityLedger> {
  const ledgers = ledgerReaderOf(source.stock)!.ledgers(window)[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let next: IteratorResult<FacilityLedger>;
      try {
        next = await ledgers.next();
      } catch (error) {
        finished = true;
        if (!(error instanceof MediatorError)) throw error;
        unread.push({ system: source.system, reason: error.message });
        return;
      }
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // the run stopped early (another failure): the reader lets go of what it holds
    if (!finished) await ledgers.return?.();
  }
}

/**
 * A facility DHIS2 refused to deal with (its read answered 4xx: an org unit the API user may not
 * read, one that is closed): reported as refused with DHIS2's reason, and the run goes on with the
 * others, or one such facility would stop every national run at the same place. An outage
 * (transient) or a fault of ours still stops the run: every facility after it would fail alike.
 */
function refusedHere(
  system: string,
  ledger: FacilityLedger,
  orgUnit: OrgUnitTarget | undefined,
  error: unknown,
): FacilityOutcome {
  if (!(error instanceof MediatorError) || isTransient(error) || error.status >= 500) throw error;
  return {
    system,
    facility: ledger.facility.identifier?.value ?? ledger.facility.id ?? '?',
    ...(orgUnit ? { orgUnit } : {}),
    status: 'rejected',
    changes: [],
    dataElements: [],
    error: error.message,
  };
}

/** Facilities in flight at once (each: a DHIS2 read and at most one write). */
export const DEFAULT_CONCURRENCY = 4;
