import { codeCandidates, codeNames } from '../../domain/identifiers.js';
import { BusinessRuleError, SearchNeedsParameterError, type Issue } from '../../domain/errors.js';
import type { FacilityRef, StockLine, StockReport } from '../../domain/index.js';
import { narrowest } from '../../domain/instant-range.js';
import { NS } from '../../domain/namespace.js';
import type { SearchCriteria, StepJournal, StockCapability, WriteResult } from '../../routing/ports.js';
import type { Dhis2Client } from './client.js';
import { Dhis2RejectionError, importFailed, importWithout } from './errors.js';
import type { OrgUnitReader } from './facilities.js';
import { DHIS2_CODE_SYSTEM, DHIS2_ID_SYSTEM, DHIS2_SYSTEM, isUid } from './identifiers.js';
import { cocFor, comboFrom, type CategoryComboMeta } from './category-combos.js';
import { decodeImportSummary, type ImportConflict, type ImportResult } from './import-summary.js';
import { entryRefusalOf, entryRefusalSummary } from './entry-refusals.js';
import { addedKey, wasAdded, withAdded } from './added-reports.js';
import { awaitDataValueImport } from './jobs.js';
import { handingReads, handRead, takeHandedReads } from '../../upstream/handed-reads.js';
import { KeyedMutex } from '../../store/keyed-mutex.js';
import type { PeriodLock } from './period-lock.js';
import { dhis2Instant } from './orgunit-codec.js';
import { dataValueSetAnswer, objectAnswer } from './page-answer.js';
import { periodOf, periodStart } from './periods.js';
import { dataValueSetReportId, parseDataValueSetReportId } from './stock-report-id.js';
import { MEASURES, type Dhis2ProductMap, type Measure } from './products.js';
import { loadUseCase, readTransactions, writeTransactions, type RtsUseCase } from './rts.js';

/**
 * InventoryReport → DHIS2 aggregate data values (`POST /api/dataValueSets`, docs.dhis2.org
 * developer/web-api data.md): each line is one measure of one product (stock on hand for a count;
 * consumption, receipts or adjustments for a difference, by its reason; or the measure the line's
 * category names), summed per data element, rounded where the data element is an integer type,
 * sent as strings for the report's org unit and the period of the data set's period type. The
 * import is idempotent in DHIS2 (the same value again is `ignored`), large reports go in chunks,
 * each a journalled step; conflicts come back on the lines they came from.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

/** Line categories naming a DHIS2 measure directly (stock-out days, months of stock …). */
export const MEASURE_SYSTEM = `${NS}/CodeSystem/dhis2-stock-measure`;

export interface PlannedValue {
  dataElement: string;
  categoryOptionCombo: string;
  value: string;
  /** Report lines summed into this value. */
  lines: number[];
  /** Its data element keeps no zero (zeroIsSignificant false): a zero is sent as a deletion, DHIS2's "no value". */
  keepsNoZero?: true;
  /** A change in the period (a difference report's consumption, receipts, adjustments): added to DHIS2's total. */
  adds?: true;
  /** The value's comment (added-reports.ts): an added value names the reports it holds. */
  comment?: string;
  /** A person marked the value for follow-up: sent again, or DHIS2 clears the mark (keptNotes). */
  followUp?: true;
  /** Its data element's code, when the plan names data elements by UID (a read by codes finds the value by it). */
  dataElementCode?: string;
}

/** What DHIS2 holds for a plan's org unit and period, by data element (as the plan names it) and COC. */
interface HeldTotals {
  values: Record<string, string>;
  comments: Record<string, string>;
  /** Values marked for follow-up (absent in a read journalled before it was kept). */
  followUps?: Record<string, true>;
}

export interface StockPlan {
  dataSet?: string;
  period: string;
  orgUnit: string;
  orgUnitUid: string;
  attributeOptionCombo: string;
  values: PlannedValue[];
}

export interface StockDeps {
  client: Dhis2Client;
  reader: OrgUnitReader;
  products: () => Dhis2ProductMap;
  crosswalk?: (registryId: string) => Promise<string | undefined>;
  /** Held around a difference report's read-add-write, across instances (period-lock.ts). */
  periodLock?: PeriodLock;
}

interface DataElementMeta {
  id: string;
  code?: string;
  valueType: string;
  combo?: CategoryComboMeta;
  /** DHIS2 skips a zero of it on import and keeps the value stored before (zeroIsSignificant false). */
  dropsZero: boolean;
}

const STATE_MEASURES = new Set<Measure>(['stockOutDays', 'monthsOfStock', 'expiringWithin90Days']);
/** Measures that are not quantities of the product: a pack size never multiplies them. */
const NOT_ITEMS = new Set<Measure>(['stockOutDays', 'monthsOfStock']);
const INTEGER_TYPES = new Set(['INTEGER', 'INTEGER_POSITIVE', 'INTEGER_NEGATIVE', 'INTEGER_ZERO_OR_POSITIVE']);
const lineAt = (i: number) => `StockReport.lines[${i}]`;
/** Measures whose zero is a stock-out: a data element dropping it would show the stock before instead. */
export const ZERO_IS_STOCK_OUT = new Set<Measure>(['stockOnHand', 'monthsOfStock']);
const NUMERIC_TYPES = new Set([...INTEGER_TYPES, 'NUMBER', 'UNIT_INTERVAL', 'PERCENTAGE']);

/**
 * Whether DHIS2 skips a zero of this data element on import (dhis2-core ValidationUtils
 * .dataValueIsZeroAndInsignificant: numeric, zeroIsSignificant false, not averaged), counting it
 * `ignored` and leaving the value stored before. An older server not saying is taken as keeping it.
 */
export function dropsZeros(d: Json): boolean {
  return (
    d.zeroIsSignificant === false &&
    NUMERIC_TYPES.has(String(d.valueType ?? 'NUMBER')) &&
    d.aggregationType !== 'AVERAGE' &&
    d.aggregationType !== 'AVERAGE_SUM_ORG_UNIT'
  );
}

/** A facility's org unit: by DHIS2 UID or code identifier, a Location id that is a UID, the crosswalk, else any identifier as a code. */
export function orgUnitResolver(
  reader: OrgUnitReader,
  crosswalk?: (registryId: string) => Promise<string | undefined>,
): (ref: FacilityRef, where: string) => Promise<Json> {
  return async (ref, where) => {
    const tries: (() => Promise<Json | undefined>)[] = [];
    if (ref.identifier?.system === DHIS2_ID_SYSTEM) tries.push(() => reader.byId(ref.identifier!.value));
    if (ref.identifier?.system === DHIS2_CODE_SYSTEM) tries.push(() => reader.byCode(ref.identifier!.value));
    if (ref.id) {
      const id = ref.id;
      if (isUid(id)) tries.push(() => reader.byId(id));
      if (crosswalk)
        tries.push(async () => {
          const uid = await crosswalk(id);
          return uid ? reader.byId(uid) : undefined;
        });
    }
    if (ref.identifier && ref.identifier.system !== DHIS2_ID_SYSTEM && ref.identifier.system !== DHIS2_CODE_SYSTEM)
      tries.push(() => reader.byCode(ref.identifier!.value));
    for (const attempt of tries) {
      const ou = await attempt();
      if (ou) return ou;
    }
    const named = ref.identifier
      ? `${ref.identifier.system}|${ref.identifier.value}`
      : (ref.id ?? ref.display ?? 'none');
    throw new BusinessRuleError(
      `facility ${named} is not a DHIS2 organisation unit (by UID, code or the crosswalk)`,
      where,
    );
  };
}

/** A value's place in a period's totals (HeldTotals): its data element and COC, as the plan names them. */
const valueAt = (v: { dataElement?: unknown; categoryOptionCombo?: unknown }): string =>
  `${String(v.dataElement)}|${String(v.categoryOptionCombo)}`;

/**
 * A read of a data set's values at an org unit (readPeriods), handed to the write that follows
 * it in the stock bridge (upstream/handed-reads.ts): the values as DHIS2 answered, data elements
 * by code.
 */
interface HandedPeriodRead {
  when: { period: string } | { startDate: string; endDate: string };
  values: Json[];
}

const handedKey = (dataSet: string, orgUnitUid: string) => `dhis2:dataValueSets|${dataSet}|${orgUnitUid}`;

/** Whether a read asked for `when` holds every value of `period` (DHIS2 answers the periods lying within the dates). */
function readCovers(when: HandedPeriodRead['when'], period: string): boolean {
  if ('period' in when) return when.period === period;
  const span = periodStart(period);
  return !!span && when.startDate <= span.start.slice(0, 10) && when.endDate >= span.end.slice(0, 10);
}

/** The report as its client names it (the business key its writes are deduplicated on). */
const reportIdentity = (report: StockReport): string =>
  report.identifier ? `${report.identifier.system}|${report.identifier.value}` : `id|${report.id ?? ''}`;

export function createStockCapability(
  deps: StockDeps,
): StockCapability & { periodType(): Promise<string>; retractsValues: true; replacesValues: true } {
  const { client, reader } = deps;
  const settings = () => client.settings();
  let dataSetPeriodType: { dataSet: string; periodType: Promise<string> } | undefined;
  let useCase: { program: string; value: Promise<RtsUseCase> } | undefined;
  const rts = {
    client,
    products: deps.products,
    useCase(): Promise<RtsUseCase> {
      const program = settings().rtsProgram!;
      if (useCase?.program !== program) {
        const value = loadUseCase(client, program);
        const entry = { program, value };
        useCase = entry;
        value.catch(() => {
          if (useCase === entry) useCase = undefined;
        });
      }
      return useCase.value;
    },
  };

  const periodType = async (): Promise<string> => {
    const ds = settings().dataSet;
    if (!ds) return settings().periodType;
    if (dataSetPeriodType?.dataSet !== ds) {
      const periodType = client
        .call<Json>({
          method: 'GET',
          // a UID by configuration (settings.ts); encoded all the same as a second line of defence
          path: `/api/dataSets/${encodeURIComponent(ds)}`,
          query: { fields: 'id,periodType' },
          // a page kept as the data set gave the period type "undefined" until a reconfigure
          decodeAnswer: objectAnswer(`/api/dataSets/${encodeURIComponent(ds)}`, ds),
        })
        .then((d) => String(d.periodType));
      const entry = { dataSet: ds, periodType };
      dataSetPeriodType = entry;
      periodType.catch(() => {
        if (dataSetPeriodType === entry) dataSetPeriodType = undefined;
      });
    }
    return dataSetPeriodType.periodType;
  };

  /** Data elements by code and UID (value types for rounding, UIDs for the UID scheme); absent ones are left out. */
  const dataElements = async (keys: string[]): Promise<Map<string, DataElementMeta>> => {
    const found = new Map<string, DataElementMeta>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 100) {
      const batch = unique.slice(i, i + 100);
      const uids = batch.filter(isUid);
      const filter = [`code:in:[${batch.join(',')}]`, ...(uids.length ? [`id:in:[${uids.join(',')}]`] : [])];
      const list = await client.list<Json>('/api/dataElements', 'dataElements', {
        fields:
          'id,code,valueType,zeroIsSignificant,aggregationType,categoryCombo[id,name,isDefault,categoryOptionCombos[id,code,name]]',
        filter,
        rootJunction: 'OR',
      });
      for (const d of list) {
        const meta = {
          id: String(d.id),
          code: d.code ? String(d.code) : undefined,
          valueType: String(d.valueType ?? 'NUMBER'),
          combo: comboFrom(d.categoryCombo),
          dropsZero: dropsZeros(d),
        };
        found.set(meta.id, meta);
        if (meta.code) found.set(meta.code, meta);
      }
    }
    return found;
  };

  const orgUnitOf = orgUnitResolver(reader, deps.crosswalk);
  /**
   * Difference reports of one org unit and period, read-add-write one at a time, in the order they
   * came: two at once would both read the same total, and the later write would drop the other's
   * change (the outbox's order key is the facility as the client named it, a Location id or a
   * DHIS2 code, known before DHIS2 says which org unit that is). Across instances the store's lock
   * (periodLock) does the same; those of this process wait in line here, not each for a
   * connection holding it.
   */
  const inTurn = new KeyedMutex();

  /**
   * COC UIDs → codes (a value of a data element products share is told apart by its COC's code),
   * each asked once: a country has a few hundred COCs, and a national read asks per org unit.
   */
  const knownCocs = new Map<string, string>();
  const cocCodes = async (uids: string[]): Promise<Map<string, string>> => {
    const unknown = [...new Set(uids.filter((u) => isUid(u) && !knownCocs.has(u)))];
    for (let i = 0; i < unknown.length; i += 100) {
      const batch = unknown.slice(i, i + 100);
      const list = await client.list<Json>('/api/categoryOptionCombos', 'categoryOptionCombos', {
        fields: 'id,code',
        filter: `id:in:[${batch.join(',')}]`,
      });
      const codes = new Map(list.map((c) => [String(c.id), String(c.code ?? '')]));
      for (const uid of batch) knownCocs.set(uid, codes.get(uid) ?? '');
    }
    return knownCocs;
  };

  /** The data values of a data set at an org unit, one snapshot report per period (`when`: a period, or start and end dates). */
  const readPeriods = async (
    dataSet: string,
    ou: Json,
    when: { period: string } | { startDate: string; endDate: string },
  ): Promise<StockReport[]> => {
    const answer = await client.call<Json>({
      method: 'GET',
      path: '/api/dataValueSets',
      query: { dataSet, orgUnit: ou.id, ...when, dataElementIdScheme: 'CODE' },
      // a 204 or a gateway's page is no answer: read as no values, a search showed no stock
      decodeAnswer: dataValueSetAnswer('/api/dataValueSets'),
    });
    // the stock bridge writes what differs from this read next: its write keeps the notes read here
    if (handingReads())
      handRead(handedKey(dataSet, String(ou.id)), {
        when,
        values: Array.isArray(answer.dataValues) ? (answer.dataValues as Json[]) : [],
      } satisfies HandedPeriodRead);
    const byPeriod = new Map<string, Json[]>();
    for (const v of Array.isArray(answer.dataValues) ? (answer.dataValues as Json[]) : [])
      byPeriod.set(String(v.period), [...(byPeriod.get(String(v.period)) ?? []), v]);
    const products = deps.products();
    const cocs = await cocCodes(
      (Array.isArray(answer.dataValues) ? (answer.dataValues as Json[]) : []).map((v) =>
        String(v.categoryOptionCombo ?? ''),
      ),
    );
    const items = [...byPeriod.entries()].map(([period, values]): StockReport => {
      const lines = values.flatMap((v): StockLine[] => {
        const coc = String(v.categoryOptionCombo ?? products.defaultCategoryOptionCombo());
        const known = products.reverse(String(v.dataElement), { id: coc, code: cocs.get(coc) || undefined });
        if (!known || !Number.isFinite(Number(v.value))) return [];
        return [
          {
            product: known.product,
            quantity: { value: Number(v.value), unit: 'dispensing-unit' },
            itemStatus: known.measure === 'stockOnHand' ? undefined : { system: MEASURE_SYSTEM, code: known.measure },
          },
        ];
      });
      const updated = values
        .map((v) => dhis2Instant(v.lastUpdated))
        .filter((x): x is string => !!x)
        .sort()
        .at(-1);
      const span = periodStart(period);
      return {
        id: dataValueSetReportId(String(ou.id), period),
        status: 'active',
        countType: 'snapshot',
        reportedAt: updated ?? span?.end ?? new Date().toISOString(),
        period: span,
        facility: {
          id: String(ou.id),
          identifier: ou.code ? { system: DHIS2_CODE_SYSTEM, value: String(ou.code) } : undefined,
          display: ou.name,
        },
        lines,
        source: { system: DHIS2_SYSTEM, id: `${ou.id}/${period}` },
        lastUpdated: updated,
      };
    });
    return items.filter((r) => r.lines.length);
  };

  const measureOf = (report: StockReport, line: StockLine): Measure => {
    const named = [...codeCandidates(line.itemStatus), ...codeCandidates(line.reason)]
      .map((c) => c.code)
      .find((c): c is Measure => (MEASURES as readonly string[]).includes(c));
    if (named) return named;
    if (report.countType === 'snapshot') return 'stockOnHand';
    const products = deps.products();
    return (
      codeNames(line.reason ?? report.reason)
        .map((n) => products.measureOfReason(n))
        .find(Boolean) ?? 'adjustments'
    );
  };

  const quantityOf = (report: StockReport, line: StockLine, measure: Measure, where: string): number => {
    // DHIS2's stock data elements count dispensing units: a count of 3 packs is not 3; days
    // and months (stock-out days, months of stock) count no items, so no pack size applies
    const q = NOT_ITEMS.has(measure)
      ? line.quantity.value
      : deps.products().dispensingUnits(line.product, line.quantity, where);
    // states, not changes: taken as they are, whatever the report's count type
    if (report.countType === 'snapshot' || STATE_MEASURES.has(measure)) return q;
    const signed = report.operation === 'subtraction' && q > 0 ? -q : q;
    return measure === 'adjustments' ? signed : Math.abs(signed);
  };

  /** `deleting`: values to remove (a retraction), whose values are not checked against the type. */
  const plan = async (report: StockReport, deleting = false): Promise<StockPlan> => {
    const s = settings();
    if (!report.lines.length)
      throw new BusinessRuleError('a stock report for DHIS2 needs at least one line', 'StockReport.lines');
    const products = deps.products();
    // the reporting period decides, by its start or else its end (a count for March sent in April
    // names March); without one, the day the stock was counted (countingDateTime: a count made on
    // 31 March and synced on 1 April is March's, as the LMIS records it), else the day it was reported
    const start = report.period?.start;
    const end = report.period?.end;
    const counted = report.lines.find((l) => l.countedAt)?.countedAt;
    const at = start ?? (end ? lastDayOf(end) : (counted ?? report.reportedAt));
    if (!at)
      throw new BusinessRuleError('a stock report for DHIS2 needs a reporting period or date', 'StockReport.period');
    const [type, ou] = await Promise.all([periodType(), orgUnitOf(report.facility, 'StockReport.facility')]);
    const where = start || end ? 'StockReport.period' : counted ? 'StockReport.lines' : 'StockReport.reportedAt';
    const period = periodOf(type, at, where);
    if (start && end) samePeriod(type, period, start, end);
    if (!start && !end && counted) sameCountingPeriod(type, period, report);
    const orgUnit = s.orgUnitIdScheme === 'CODE' ? ou.code : ou.id;
    if (!orgUnit)
      throw new BusinessRuleError(
        `org unit ${ou.id} has no code: set dhis2.orgUnitIdScheme=UID or give it a code`,
        'StockReport.facility',
      );

    const targets = report.lines.map((line, i) => {
      const measure = measureOf(report, line);
      const code = products.productCode(line.product, `${lineAt(i)}.product`);
      return {
        code,
        measure,
        target: products.target(code, measure, `${lineAt(i)}.product`),
        quantity: quantityOf(report, line, measure, `${lineAt(i)}.quantity`),
      };
    });
    const meta = await dataElements(targets.map((t) => t.target.dataElement));
    const sums = new Map<
      string,
      { dataElement: string; coc: string; total: number; lines: number[]; measure: Measure; meta?: DataElementMeta }
    >();
    targets.forEach((t, i) => {
      const m = meta.get(t.target.dataElement);
      let dataElement = t.target.dataElement;
      if (s.dataElementIdScheme === 'UID') {
        if (!m)
          throw new BusinessRuleError(
            `data element ${t.target.dataElement} (${t.measure}) does not exist in DHIS2, or the user cannot read it`,
            `${lineAt(i)}.product`,
          );
        dataElement = m.id;
      } else if (m?.code) dataElement = m.code;
      if (!Number.isFinite(t.quantity))
        throw new BusinessRuleError(`quantity ${t.quantity} is not a number`, `${lineAt(i)}.quantity`);
      const coc = cocFor({
        product: t.code,
        measure: t.measure,
        dataElement: t.target.dataElement,
        named: t.target.categoryOptionCombo,
        combo: m?.combo,
        fallback: products.defaultCategoryOptionCombo(),
        where: `${lineAt(i)}.product`,
      });
      const key = `${dataElement}|${coc}`;
      const sum = sums.get(key) ?? { dataElement, coc, total: 0, lines: [], measure: t.measure, meta: m };
      sum.total += t.quantity;
      sum.lines.push(i);
      sums.set(key, sum);
    });
    const values = [...sums.values()].map((v): PlannedValue => {
      const type = v.meta?.valueType;
      const n = type && INTEGER_TYPES.has(type) ? Math.round(v.total) : Math.round(v.total * 1e6) / 1e6;
      if (!deleting && ((type === 'INTEGER_ZERO_OR_POSITIVE' && n < 0) || (type === 'INTEGER_POSITIVE' && n <= 0))) {
        throw new BusinessRuleError(
          `data element ${v.dataElement} takes ${type === 'INTEGER_POSITIVE' ? 'positive' : 'zero or positive'} integers; the lines sum to ${n}`,
          `${lineAt(v.lines[0])}.quantity`,
        );
      }
      const keepsNoZero = !deleting && !!v.meta?.dropsZero;
      const adds = !deleting && report.countType === 'difference' && !STATE_MEASURES.has(v.measure);
      if (keepsNoZero && n === 0 && ZERO_IS_STOCK_OUT.has(v.measure))
        throw new BusinessRuleError(
          `data element ${v.dataElement} (${v.measure}) does not keep zeros (zeroIsSignificant false): DHIS2 would ignore this 0 and keep the value stored before, hiding the stock-out; set "Zero is significant" on the data element`,
          `${lineAt(v.lines[0])}.quantity`,
        );
      return {
        dataElement: v.dataElement,
        categoryOptionCombo: v.coc,
        value: String(Object.is(n, -0) ? 0 : n),
        lines: v.lines,
        ...(keepsNoZero ? { keepsNoZero: true as const } : {}),
        ...(adds ? { adds: true as const } : {}),
        ...(s.dataElementIdScheme === 'UID' && v.meta?.code ? { dataElementCode: v.meta.code } : {}),
      };
    });
    return {
      dataSet: s.dataSet,
      period,
      orgUnit,
      orgUnitUid: String(ou.id),
      attributeOptionCombo: products.attributeOptionCombo(),
      values,
    };
  };

  /**
   * A difference report's changes added to the totals DHIS2 holds for the period (two adjustments
   * of one month are their sum, not the later one). The totals are read once, in a journalled step:
   * a retry after the write landed sends the same totals again, never adding twice. Direct
   * difference reports of one facility reach DHIS2 in the order accepted (writeKey). `check` (the
   * dry run) runs inside the step: a write it refuses records no totals, so once the cause is fixed
   * a retry adds to the totals DHIS2 holds then, not to those of before a later report landed.
   * Each added value's comment names the report (added-reports.ts): one whose name it already
   * carries (sent again after a store restore or the retention) is not added a second time.
   */
  const withPeriodTotals = async (
    p: StockPlan,
    identity: string,
    journal: StepJournal,
    check: (withTotals: StockPlan) => Promise<void>,
  ): Promise<StockPlan> => {
    if (!p.values.some((v) => v.adds)) return p;
    const dataSet = settings().dataSet;
    if (!dataSet)
      throw new BusinessRuleError(
        "a difference report adds to DHIS2's period totals, read from the data set: set dhis2.dataSet",
        'StockReport.countType',
      );
    const key = addedKey(
      identity,
      p.values.filter((v) => v.adds),
    );
    const added = (held: HeldTotals): StockPlan => ({
      ...p,
      values: p.values.map((v) => {
        if (!v.adds) return v;
        const at = valueAt(v);
        const comment = held.comments[at];
        const followUp = held.followUps?.[at] ? { followUp: true as const } : {};
        if (held.values[at] !== undefined && wasAdded(comment, key))
          return { ...v, value: held.values[at], comment, ...followUp };
        const sum = Math.round((Number(held.values[at] ?? 0) + Number(v.value)) * 1e6) / 1e6;
        return { ...v, value: String(Object.is(sum, -0) ? 0 : sum), comment: withAdded(comment, key), ...followUp };
      }),
    });
    const held = await journal.run('period-totals', async () => {
      const read = await periodTotals(dataSet, p);
      await check(keptNotes(added(read), read));
      return read;
    });
    const read = heldTotals(held);
    return keptNotes(added(read), read);
  };

  /**
   * A person's comment and follow-up mark on the values a write replaces, sent back as they are:
   * DHIS2's import writes every column of a value it updates, so a value sent without them loses
   * them (DefaultDataValueSetService.createDataValue + DataValueBatchHandler.getValues, tags
   * 2.38.0–2.42.5; from 2.43.0 the upsert of HibernateDataEntryStore.upsertValues sets
   * `comment = EXCLUDED.comment, followup = EXCLUDED.followup`, only /api/dataValues keeps what it
   * was not given). The values are read from the data set (dhis2.dataSet): without it, they go
   * without.
   */
  const keptNotes = (p: StockPlan, held: HeldTotals): StockPlan => ({
    ...p,
    values: p.values.map((v) => {
      if (v.adds) return v;
      const at = valueAt(v);
      const comment = held.comments[at];
      return {
        ...v,
        ...(comment === undefined ? {} : { comment }),
        ...(held.followUps?.[at] ? { followUp: true as const } : {}),
      };
    }),
  });

  /**
   * The notes on the values a write without additions replaces: the latest a person left, read
   * now, or read just before by the stock bridge that made this write and handed on to its first
   * attempt (`handed`, upstream/handed-reads.ts), when that read is of the same data set, org
   * unit and period and names every value written.
   */
  const withKeptNotes = async (p: StockPlan, handed: ReadonlyMap<string, unknown>): Promise<StockPlan> => {
    const dataSet = settings().dataSet;
    if (!dataSet || !p.values.length) return p;
    return keptNotes(p, handedTotals(handed, dataSet, p) ?? (await periodTotals(dataSet, p)));
  };

  /** What a handed read holds for the plan's values, keyed as the plan names them; undefined: not the same data. */
  const handedTotals = (
    handed: ReadonlyMap<string, unknown>,
    dataSet: string,
    p: StockPlan,
  ): HeldTotals | undefined => {
    const read = handed.get(handedKey(dataSet, p.orgUnitUid)) as HandedPeriodRead | undefined;
    if (!read || !readCovers(read.when, p.period)) return undefined;
    // the handed read names data elements by code: the plan's values by the code of each
    const byCode = settings().dataElementIdScheme === 'CODE';
    const planned = new Map<string, string>();
    for (const v of p.values) {
      const code = byCode ? v.dataElement : v.dataElementCode;
      if (code === undefined) return undefined;
      planned.set(valueAt({ dataElement: code, categoryOptionCombo: v.categoryOptionCombo }), valueAt(v));
    }
    return heldOf(
      read.values.filter((v) => String(v.period) === p.period),
      p,
      (v) => planned.get(valueAt(v)),
    );
  };

  /** A journalled read: before the comments were kept it was the values alone (a job in flight over an upgrade). */
  const heldTotals = (journalled: HeldTotals | Record<string, string>): HeldTotals =>
    typeof journalled.values === 'object' && journalled.values !== null
      ? (journalled as HeldTotals)
      : { values: journalled as Record<string, string>, comments: {} };

  /** The values DHIS2 holds for the plan's org unit and period, and their comments. */
  const periodTotals = async (dataSet: string, p: StockPlan): Promise<HeldTotals> => {
    const answer = await client.call<Json>({
      method: 'GET',
      path: '/api/dataValueSets',
      query: {
        dataSet,
        orgUnit: p.orgUnitUid,
        period: p.period,
        dataElementIdScheme: settings().dataElementIdScheme,
      },
      // a 204 or a gateway's page is read again: read as no totals, the difference was written
      // over DHIS2's total (a 204 failed as a TypeError on `dataValues`)
      decodeAnswer: dataValueSetAnswer('/api/dataValueSets'),
    });
    return heldOf(Array.isArray(answer.dataValues) ? (answer.dataValues as Json[]) : [], p, valueAt);
  };

  /** Values DHIS2 answered for the plan's period, with their notes, at the place `at` gives each (undefined: left out). */
  const heldOf = (values: Json[], p: StockPlan, at: (v: Json) => string | undefined): HeldTotals => {
    const held: HeldTotals = { values: {}, comments: {}, followUps: {} };
    for (const v of values) {
      if (v.attributeOptionCombo && p.attributeOptionCombo && String(v.attributeOptionCombo) !== p.attributeOptionCombo)
        continue;
      const place = at(v);
      if (place === undefined) continue;
      held.values[place] = String(v.value);
      if (typeof v.comment === 'string') held.comments[place] = v.comment;
      if (v.followup === true || v.followUp === true) held.followUps![place] = true;
    }
    return held;
  };

  /** One chunk as DHIS2 takes it: group-level period/org unit, values as strings, the schemes in the body. */
  const body = (p: StockPlan, values: PlannedValue[]) => ({
    ...(p.dataSet ? { dataSet: p.dataSet } : {}),
    period: p.period,
    orgUnit: p.orgUnit,
    attributeOptionCombo: p.attributeOptionCombo,
    dataValues: values.map((v) => ({
      dataElement: v.dataElement,
      categoryOptionCombo: v.categoryOptionCombo,
      value: v.value,
      ...(v.comment === undefined ? {} : { comment: v.comment }),
      // up to 2.42 the JSON field is `followup` (dxf2 DataValue), from 2.43 `followUp`
      // (DataEntryInput.fromJson); each version ignores the other's
      ...(v.followUp ? { followup: true, followUp: true } : {}),
    })),
  });

  const issuesOf = (p: StockPlan, offset: number, chunk: PlannedValue[], conflicts: ImportConflict[]): Issue[] =>
    conflicts.flatMap((c) => {
      const where = `DHIS2 ${c.errorCode ?? 'conflict'}: ${c.message}`;
      // untimely or no access: one issue for the org unit, period or data set, with what to change
      const entry = entryRefusalOf(c, p);
      if (entry)
        return [
          {
            code: 'business-rule' as const,
            diagnostics: `${where}: ${entry.words}`,
            expression: [ENTRY_FIELD[entry.about]],
          },
        ];
      // 2.43 imports the values of one data set at a time and, none named, finds it from the data
      // elements (none, or more than one: E8003, E8002): the operator's to name
      if (c.errorCode === 'E8002' || c.errorCode === 'E8003')
        return [
          {
            code: 'business-rule' as const,
            diagnostics: `${where} (set dhis2.dataSet to the data set these values are reported in)`,
            expression: ['StockReport'],
          },
        ];
      let values = (c.indexes ?? []).map((i) => chunk[i]).filter((v): v is PlannedValue => !!v);
      // 2.43 refuses a key that names nothing before importing any value: index -1, the value's
      // position only in the words ("Value #3 data element not found: `X`", ErrorCode E81xx)
      const named = /^Value #([\d,]+)\b/.exec(c.message)?.[1];
      if (!values.length && named !== undefined && chunk[Number(named.replace(/,/g, ''))])
        values = [chunk[Number(named.replace(/,/g, ''))]];
      // before 2.38 a conflict names only the object: the data element, the value, or the org unit
      if (!values.length && c.object)
        values = chunk.filter(
          (v) => v.dataElement === c.object || v.value === c.object || c.objects?.dataElement === v.dataElement,
        );
      const property =
        c.property ??
        propertyOf(c.errorCode) ??
        (/value/i.test(c.message) && !/not found/i.test(c.message) ? 'value' : 'dataElement');
      if (property === 'orgUnit' || c.object === p.orgUnit)
        return [
          {
            code: 'business-rule' as const,
            diagnostics: `${where} (org unit ${p.orgUnit})`,
            expression: ['StockReport.facility'],
          },
        ];
      if (property === 'period')
        return [
          {
            code: 'business-rule' as const,
            diagnostics: `${where} (period ${p.period})`,
            expression: ['StockReport.period'],
          },
        ];
      if (!values.length)
        return [{ code: 'business-rule' as const, diagnostics: where, expression: ['StockReport.lines'] }];
      return values.flatMap((v) =>
        v.lines.map((line) => ({
          code: 'business-rule' as const,
          diagnostics: `${where} (data element ${v.dataElement}, value ${v.value}, period ${p.period}, line ${line}; value ${offset + chunk.indexOf(v)} of the import)`,
          expression: [`${lineAt(line)}.${property === 'value' ? 'quantity' : 'product'}`],
        })),
      );
    });

  /** One chunk; `async`: as a task polled to its summary (a large push never holds a request past the timeout). */
  const post = async (
    p: StockPlan,
    values: PlannedValue[],
    async: boolean,
    strategy: 'CREATE_AND_UPDATE' | 'DELETE' = 'CREATE_AND_UPDATE',
    dryRun = false,
  ): Promise<ImportResult> => {
    const s = settings();
    const res = await client.send<unknown>({
      method: 'POST',
      path: '/api/dataValueSets',
      body: body(p, values),
      retry: true,
      accept: [409],
      query: {
        dataElementIdScheme: s.dataElementIdScheme,
        orgUnitIdScheme: s.orgUnitIdScheme,
        importStrategy: strategy,
        ...(async ? { async: true } : {}),
        ...(dryRun ? { dryRun: true } : {}),
      },
    });
    const answer = async && res.status === 200 ? await awaitDataValueImport(client, res.body) : res.body;
    const result = decodeImportSummary(answer);
    if (!result) throw importWithout('POST /api/dataValueSets', res.status, 'an import summary');
    // ERROR with no conflict: the import failed inside DHIS2, not on a value (errors.ts)
    if (result.status === 'ERROR' && !result.conflicts.length)
      throw importFailed('POST /api/dataValueSets', res.status, result.description);
    return result;
  };

  /**
   * One chunk, journalled: a chunk DHIS2 answered is not sent again on a retry (it would be
   * `ignored` anyway). A refusal is journalled with what DHIS2 accepted, and ends this attempt.
   * When the job runs again (an operator's retry once a DHIS2 administrator reopened the period or
   * gave the user access; a restart), the values DHIS2 refused, and only they, are sent again under
   * a step recorded only once DHIS2 takes them all: replaying the first answer would refuse the
   * job forever, and sending the accepted values again would count them twice.
   */
  const sendChunk = async (
    p: StockPlan,
    chunk: PlannedValue[],
    step: string,
    journal: StepJournal,
    async: boolean,
    strategy: 'CREATE_AND_UPDATE' | 'DELETE',
  ): Promise<{ results: ImportResult[]; refused: ImportConflict[]; sent: PlannedValue[] }> => {
    let answeredNow = false;
    const first = await journal.run(step, () => {
      answeredNow = true;
      return post(p, chunk, async, strategy);
    });
    if (answeredNow || !first.conflicts.length) return { results: [first], refused: first.conflicts, sent: chunk };
    const again = refusedValues(chunk, first);
    const second = await journal
      .run(`${step}-refused`, async () => {
        const r = await post(p, again, async, strategy);
        if (r.conflicts.length) throw new RefusedAgain(r);
        return r;
      })
      .catch((err: unknown) => {
        if (err instanceof RefusedAgain) return err.result;
        throw err;
      });
    return { results: [first, second], refused: second.conflicts, sent: again };
  };

  /**
   * A difference report lands whole or not at all. DHIS2 imports value by value: a report it took
   * in part could be sent again neither by its client (the landed values would be added twice) nor,
   * once a later report of the facility was accepted, by a retry (overtaken). So its values are
   * first imported as a dry run (`dryRun=true`, nothing stored), and any value DHIS2 would refuse
   * refuses the write, nothing sent.
   */
  const assertTakenWhole = async (p: StockPlan): Promise<void> => {
    const size = settings().chunkSize;
    const threshold = settings().asyncThreshold;
    const async = threshold > 0 && p.values.length >= threshold;
    const issues: Issue[] = [];
    const conflicts: ImportConflict[] = [];
    let refused = 0;
    for (let offset = 0; offset < p.values.length; offset += size) {
      const chunk = p.values.slice(offset, offset + size);
      const r = await post(p, chunk, async, 'CREATE_AND_UPDATE', true);
      if (!r.conflicts.length) continue;
      refused += refusedValues(chunk, r).length;
      issues.push(...issuesOf(p, offset, chunk, r.conflicts));
      conflicts.push(...r.conflicts);
    }
    if (!issues.length) return;
    const why = entryRefusalSummary(conflicts, p);
    throw new Dhis2RejectionError(
      `DHIS2 would refuse ${refused} of ${p.values.length} data values for ${p.orgUnit} ${p.period}${why ? `: ${why}` : ''}; nothing was written (a difference report adds to the period's totals, so it is written whole or not at all)`,
      issues,
      409,
      issues[0]?.diagnostics.match(/^DHIS2 (E\d+)/)?.[1],
    );
  };

  /** The plan's values chunk by chunk (async tasks for a large one), each chunk a journalled step. */
  const sendChunks = async (p: StockPlan, journal: StepJournal, strategy: 'CREATE_AND_UPDATE' | 'DELETE') => {
    const size = settings().chunkSize;
    const threshold = settings().asyncThreshold;
    const async = threshold > 0 && p.values.length >= threshold;
    const totals = {
      accepted: 0,
      imported: 0,
      updated: 0,
      ignored: 0,
      deleted: 0,
      refused: false,
      /** Values DHIS2 refused (a conflict may name one value, or the org unit or period of all of them). */
      refusedValues: 0,
      issues: [] as Issue[],
      conflicts: [] as ImportConflict[],
    };
    // a retraction's steps are its own: a write and the deletion of the same values never share one
    const step = strategy === 'DELETE' ? 'delete-values' : 'data-values';
    for (let offset = 0, n = 0; offset < p.values.length; offset += size, n++) {
      const chunk = p.values.slice(offset, offset + size);
      const { results, refused, sent } = await sendChunk(p, chunk, `${step}-${n}`, journal, async, strategy);
      for (const r of results) {
        totals.accepted += r.accepted;
        totals.imported += r.imported;
        totals.updated += r.updated;
        totals.deleted += r.deleted;
      }
      // what was refused the first time and sent again is counted by its second answer only
      totals.ignored +=
        results.at(-1)!.ignored + (results.length > 1 ? Math.max(0, results[0].ignored - sent.length) : 0);
      if (refused.length) {
        totals.refusedValues += refusedValues(sent, countedAsAccepted(results.at(-1)!, strategy)).length;
        totals.issues.push(...issuesOf(p, offset, sent, refused));
        totals.conflicts.push(...refused);
      }
      totals.refused ||= refused.length > 0;
    }
    return totals;
  };

  return {
    // the period type values are written for (the data set's, else dhis2.periodType): bridges send whole periods of it
    periodType,
    async precheck(report) {
      if (settings().stockTarget === 'aggregate') await plan(report, report.status === 'entered-in-error');
      else await orgUnitOf(report.facility, 'StockReport.facility');
    },
    /** Difference reports add to a period's totals (withPeriodTotals): those of one facility are delivered in order. */
    writeKey(report: StockReport): string | undefined {
      if (settings().stockTarget !== 'aggregate' || report.countType !== 'difference') return undefined;
      if (report.status === 'entered-in-error') return undefined;
      const f = report.facility;
      const named = f.identifier ? `${f.identifier.system}|${f.identifier.value}` : (f.id ?? f.display);
      return named ? `dhis2-stock-difference|${named}` : undefined;
    },
    /** A report with status entered-in-error retracts its values (the stock bridge's stale ones). */
    retractsValues: true as const,
    /**
     * A data value is replaced by each write of it: two writes of one org unit and period (the
     * stock bridge's, under their order key) reach DHIS2 in the order accepted, the later last.
     */
    replacesValues: true as const,
    async report(report: StockReport, journal: StepJournal): Promise<WriteResult> {
      const deleting = report.status === 'entered-in-error';
      if (settings().stockTarget === 'rts') {
        if (deleting)
          throw new BusinessRuleError(
            'RTS transactions are events of record: an entered-in-error stock report is not written to RTS',
            'StockReport.status',
          );
        return writeTransactions(rts, await orgUnitOf(report.facility, 'StockReport.facility'), report, journal);
      }
      // a zero DHIS2 would skip (keeping an older value) is deleted instead: "no value" is its zero
      const dropped = (v: PlannedValue) => !!v.keepsNoZero && Number(v.value) === 0;
      const sent = (q: StockPlan): StockPlan => ({ ...q, values: q.values.filter((v) => !dropped(v)) });
      // the stock bridge's read of these values, handed to this write's first attempt only: taken
      // before anything can fail, so a retry (even one run in the bridge's scope) reads afresh
      const handed = deleting ? new Map<string, unknown>() : takeHandedReads();
      const base = await plan(report, deleting);
      // a difference report adds to DHIS2's totals: read-add-write in turn, under the period's lock
      const adds = base.values.some((v) => v.adds);
      const write = async () => {
        const planned = adds
          ? await withPeriodTotals(base, reportIdentity(report), journal, (q) => assertTakenWhole(sent(q)))
          : deleting
            ? base
            : await withKeptNotes(base, handed);
        const zeros = planned.values.filter(dropped);
        const p = sent(planned);
        const t = await sendChunks(p, journal, deleting ? 'DELETE' : 'CREATE_AND_UPDATE');
        const z =
          zeros.length && !t.refused ? await sendChunks({ ...planned, values: zeros }, journal, 'DELETE') : undefined;
        return { planned, zeros, p, t, z };
      };
      const period = `${base.orgUnitUid}|${base.period}`;
      const { planned, zeros, p, t, z } = adds
        ? await inTurn.run(period, () => (deps.periodLock ? deps.periodLock(period, write) : write()))
        : await write();
      if (z?.refused) {
        const summary = `zeros of ${zeros.map((v) => v.dataElement).join(', ')} (data elements keeping no zeros) were not cleared for ${p.orgUnit} ${p.period}; ${z.refusedValues} refused${entryRefusalSummary(z.conflicts, planned) ? `: ${entryRefusalSummary(z.conflicts, planned)}` : ''}`;
        throw new Dhis2RejectionError(summary, z.issues, 409, z.issues[0]?.diagnostics.match(/^DHIS2 (E\d+)/)?.[1]);
      }
      const what = deleting ? 'deleted' : 'accepted';
      if (t.issues.length || t.refused) {
        // untimely or no access: why and what to change, in the words the job and the bridge run show
        const why = entryRefusalSummary(t.conflicts, p);
        // the error names the system ("dhis2: …"): the summary does not say DHIS2 again
        const summary = `${what} ${deleting ? t.deleted : t.accepted} of ${p.values.length} data values for ${p.orgUnit} ${p.period}; ${t.refusedValues} refused${why ? `: ${why}` : ''}`;
        throw new Dhis2RejectionError(summary, t.issues, 409, t.issues[0]?.diagnostics.match(/^DHIS2 (E\d+)/)?.[1]);
      }
      return {
        system: DHIS2_SYSTEM,
        ids: { dataValueSet: `${p.orgUnitUid}/${p.period}` },
        status: deleting
          ? `deleted ${t.deleted} (not there ${t.ignored})`
          : `accepted ${t.accepted} (imported ${t.imported}, updated ${t.updated}, unchanged ${t.ignored})` +
            (zeros.length
              ? `; ${zeros.length} zero${zeros.length > 1 ? 's' : ''} not stored (${zeros.map((v) => v.dataElement).join(', ')} keep no zeros: no value, ${z!.deleted} earlier deleted)`
              : ''),
      };
    },
    async search(criteria: SearchCriteria) {
      const s = settings();
      // DHIS2 reads data values of a data set, org unit and period: without them there is nothing to ask
      if (!s.dataSet && !s.rtsProgram) return { items: [] };
      if (!criteria.facility)
        throw new SearchNeedsParameterError(
          'DHIS2 stock is read per org unit: search with a location parameter',
          // the search parameter missing, as a bad query parameter is named (fhir/search.ts)
          'location',
        );
      // a facility DHIS2 does not have: no reports here; an outage still fails the search
      const ou = await orgUnitOf({ id: criteria.facility }, 'InventoryReport.inventoryListing.location').catch(
        (err: unknown) => {
          if (err instanceof BusinessRuleError) return undefined;
          throw err;
        },
      );
      if (!ou) return { items: [] };
      const { from, to } = narrowest(criteria.date);
      const transactions = s.rtsProgram ? await readTransactions(rts, ou, { from, to }) : [];
      if (!s.dataSet) return { items: transactions };
      const end = to ?? new Date().toISOString();
      const start = from ?? new Date(Date.parse(end) - 366 * 86_400_000).toISOString();
      const items = await readPeriods(s.dataSet, ou, { startDate: start.slice(0, 10), endDate: end.slice(0, 10) });
      return { items: [...items, ...transactions] };
    },
    /** A report a search returned, by its id: the org unit and period it carries (dataValueSetReportId). */
    async get(id: string) {
      const key = parseDataValueSetReportId(id);
      const dataSet = settings().dataSet;
      if (!key || !dataSet || !periodStart(key.period)) return undefined;
      const ou = await reader.byId(key.orgUnit);
      if (!ou) return undefined;
      return (await readPeriods(dataSet, ou, { period: key.period }))[0];
    },
  };
}

/** A chunk's refused values refused again: its answer, out of the journal (entry-refusals.ts). */
class RefusedAgain extends Error {
  constructor(readonly result: ImportResult) {
    super('refused again');
  }
}

/**
 * The values of a chunk DHIS2 refused: those its conflicts or rejectedIndexes point at; all of
 * them when it accepted none, or when a conflict points at no value of ours (before 2.38, or a
 * refusal of the whole set).
 */
function refusedValues(chunk: PlannedValue[], r: ImportResult): PlannedValue[] {
  if (r.accepted === 0) return chunk;
  const at = new Set(r.rejectedIndexes);
  for (const c of r.conflicts) {
    const mine = (c.indexes ?? []).filter((i) => i >= 0 && i < chunk.length);
    if (!mine.length) return chunk;
    for (const i of mine) at.add(i);
  }
  return chunk.filter((_, i) => at.has(i));
}

/** A DELETE's answer counts what it removed as `deleted`, not accepted: read as accepted to tell what it refused. */
function countedAsAccepted(r: ImportResult, strategy: 'CREATE_AND_UPDATE' | 'DELETE'): ImportResult {
  return strategy === 'DELETE' ? { ...r, accepted: r.deleted } : r;
}

/** Where an untimely or no-access refusal points in the report. */
const ENTRY_FIELD = { period: 'StockReport.period', orgUnit: 'StockReport.facility', dataSet: 'StockReport' } as const;

/**
 * What a 2.43 error code is about (dhis2-core ErrorCode E80xx set level, E81xx value level), its
 * conflicts carrying no `property`: the data element, org unit, period, COC or the value.
 */
function propertyOf(code: string | undefined): string | undefined {
  if (!code || !/^E8[01]\d\d$/.test(code)) return undefined;
  if (/^E810[2-4]$|^E8020$|^E8003$/.test(code)) return 'dataElement';
  if (/^E810[5-7]$|^E801[1]$|^E802[25]$|^E8031$/.test(code)) return 'orgUnit';
  if (/^E8100$|^E8021$|^E8030$/.test(code)) return 'period';
  if (/^E810[89]$|^E811[01]$|^E802[34]$/.test(code)) return 'categoryOptionCombo';
  if (/^E812[0-5]$/.test(code)) return 'value';
  return undefined;
}

/**
 * The last day a reporting period's end covers: an end at a day's first midnight is the usual
 * exclusive end (the next period's first instant) and stands for the day before, unless that is
 * before the period's start. Else the end as written, whose own date is the client's calendar.
 */
function lastDayOf(end: string, start?: string): string {
  const midnight = /^(\d{4}-\d{2}-\d{2})T00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:\d{2})$/.exec(end);
  return midnight && (!start || midnight[1] > start.slice(0, 10))
    ? new Date(Date.parse(`${midnight[1]}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
    : end;
}

/**
 * A reporting period must lie in one period of the data set's type: DHIS2 keeps one value per
 * period, so two months sent to a monthly data set would be written as the first month's. An end
 * at the next period's first midnight is the usual exclusive end and counts as the day before.
 */
/** Counts of one report dated in two periods of the data set's type: one would be written as the other's. */
function sameCountingPeriod(type: string, period: string, report: StockReport): void {
  for (const [i, line] of report.lines.entries()) {
    if (!line.countedAt) continue;
    const other = periodOf(type, line.countedAt, `${lineAt(i)}.countedAt`);
    if (other !== period)
      throw new BusinessRuleError(
        `the report's counts were made in DHIS2 periods ${period} and ${other} (${type}, by countingDateTime); DHIS2 keeps one value per period: send one report per period, or give the reportingPeriod`,
        'StockReport.lines',
      );
  }
}

function samePeriod(type: string, period: string, start: string, end: string): void {
  const last = periodOf(type, lastDayOf(end, start), 'StockReport.period');
  if (last !== period)
    throw new BusinessRuleError(
      `the reporting period spans DHIS2 periods ${period} to ${last} (${type}); DHIS2 keeps one value per period: send one report per period`,
      'StockReport.period',
    );
}
