import { serverFilterTime, serverFilterTimeUpTo, serverWallTime } from './server-time.js';
import { shownValue } from '../../config/shown-value.js';
import { codeCandidates } from '../../domain/identifiers.js';
import { BusinessRuleError } from '../../domain/errors.js';
import { stableId } from '../../domain/ids.js';
import type { StockReport } from '../../domain/index.js';
import { NS } from '../../domain/namespace.js';
import type { StepJournal, WriteResult } from '../../routing/ports.js';
import { asRecord } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import { DHIS2 } from './errors.js';
import { DHIS2_CODE_SYSTEM, DHIS2_SYSTEM, deterministicUid } from './identifiers.js';
import { dhis2Instant } from './orgunit-codec.js';
import { listAnswer, objectAnswer } from './page-answer.js';
import { destinationCode, loadDestinations, type Destination } from './rts-destinations.js';
import type { Dhis2ProductMap } from './products.js';
import { allOf, journalAccepted, postTrackerEvents, trackerRejection } from './tracker-report.js';

/**
 * Real-Time Stock Management (RTS) on the tracker: the use case is the datastore entry
 * `USE_CASES/stockUseCases` (dhis2-android-sdk `StockUseCaseService.kt`); each item is a tracked
 * entity (its item code attribute = products.json codes.dhis2) enrolled at a facility, each
 * transaction one event of the program's stage with one quantity data element
 * (dhis2-android-capture-app `stock-usecase` `StockManagerImpl.kt`): distributed, discarded, or a
 * corrected count. Stock on hand is assigned by program rules and never written (E1307 otherwise).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

export const RTS_TRANSACTION_SYSTEM = `${NS}/CodeSystem/dhis2-rts-transaction`;
export const RTS_EVENT_SYSTEM = `${NS}/identifier/dhis2-event`;

export interface RtsUseCase {
  program: string;
  stage: string;
  itemCode: string;
  stockOnHand: string;
  /** `to`: the "deliver to" data element; `destinations`: its option set's options (rts-destinations.ts). */
  distributed?: { quantity: string; to?: string; destinations?: Destination[] };
  corrected?: { quantity: string };
  discarded?: { quantity: string };
}

export async function loadUseCase(client: Dhis2Client, program: string): Promise<RtsUseCase> {
  const casesPath = '/api/dataStore/USE_CASES/stockUseCases';
  // a 204 or a gateway's page is no answer: read as no use cases, every RTS write was refused for good
  const cases = await client.call<unknown>({ method: 'GET', path: casesPath, decodeAnswer: listAnswer(casesPath) });
  const entry = (Array.isArray(cases) ? cases : []).map(asRecord).find((c) => c?.programUid === program);
  if (!entry)
    throw new BusinessRuleError(
      `dhis2.rtsProgram ${shownValue(program, 'uid')} is not a stock use case in the datastore (USE_CASES/stockUseCases)`,
    );
  const tx = (type: string) =>
    ((entry.transactions as unknown[]) ?? []).map(asRecord).find((t) => t?.transactionType === type);
  // a UID by configuration (settings.ts); encoded all the same, so that no other value can reach another path
  const programPath = `/api/programs/${encodeURIComponent(program)}`;
  const p = await client.call<Json>({
    method: 'GET',
    path: programPath,
    query: { fields: 'id,programStages[id]' },
    decodeAnswer: objectAnswer(programPath, program),
  });
  const stage = p.programStages?.[0]?.id;
  if (!stage) throw new BusinessRuleError(`RTS program ${program} has no program stage`);
  const d = tx('DISTRIBUTED');
  const c = tx('CORRECTED');
  const x = tx('DISCARDED');
  const to = d?.distributedTo ? String(d.distributedTo) : undefined;
  const destinations = d?.stockDistributed && to ? await loadDestinations(client, to) : undefined;
  return {
    program,
    stage: String(stage),
    itemCode: String(entry.itemCode),
    stockOnHand: String(entry.stockOnHand),
    distributed: d?.stockDistributed ? { quantity: String(d.stockDistributed), to, destinations } : undefined,
    corrected: c?.stockCount ? { quantity: String(c.stockCount) } : undefined,
    discarded: x?.stockDiscarded ? { quantity: String(x.stockDiscarded) } : undefined,
  };
}

export interface RtsDeps {
  client: Dhis2Client;
  products: () => Dhis2ProductMap;
  useCase: () => Promise<RtsUseCase>;
}

/** Items (tracked entities) of a facility: code by tracked entity, enrollment by code. */
export async function itemsAt(deps: RtsDeps, uc: RtsUseCase, orgUnit: string) {
  const tes = await allOf<Json>(deps.client, '/api/tracker/trackedEntities', 'trackedEntities', {
    program: uc.program,
    orgUnit,
    fields: 'trackedEntity,attributes[attribute,value],enrollments[enrollment,program,orgUnit,status]',
  });
  const codeOf = new Map<string, string>();
  const enrollmentOf = new Map<string, string>();
  for (const te of tes) {
    const code = (te.attributes as Json[] | undefined)?.find((a) => a.attribute === uc.itemCode)?.value;
    if (!code) continue;
    codeOf.set(String(te.trackedEntity), String(code));
    const en = (te.enrollments as Json[] | undefined)?.find(
      (e) => e.program === uc.program && e.orgUnit === orgUnit && e.status !== 'CANCELLED',
    );
    if (en) enrollmentOf.set(String(code), String(en.enrollment));
  }
  return { codeOf, enrollmentOf };
}

/** Whether an instant is in the dates asked (what DHIS2's occurredAfter/occurredBefore listed may exceed). */
const within = (at: string, dates: { from?: string; to?: string }) =>
  (!dates.from || Date.parse(at) >= Date.parse(dates.from)) && (!dates.to || Date.parse(at) <= Date.parse(dates.to));

/** RTS transactions at a facility → stock reports: distributions and discards as subtractions, corrections as counts. */
export async function readTransactions(
  deps: RtsDeps,
  ou: Json,
  dates: { from?: string; to?: string },
): Promise<StockReport[]> {
  const uc = await deps.useCase();
  // asked again for each read: DHIS2's zone changes when DHIS2 restarts, not when the mediator does
  const zone = await deps.client.serverZoneNow();
  const [events, items] = await Promise.all([
    allOf<Json>(deps.client, '/api/tracker/events', 'events', {
      program: uc.program,
      programStage: uc.stage,
      orgUnit: ou.id,
      occurredAfter: serverFilterTime(dates.from, zone),
      // its end in an hour a clock change repeats takes in the whole hour, narrowed below (within)
      occurredBefore: serverFilterTimeUpTo(dates.to, zone),
      fields: 'event,status,orgUnit,trackedEntity,enrollment,occurredAt,updatedAt,dataValues[dataElement,value]',
    }),
    itemsAt(deps, uc, String(ou.id)),
  ]);
  const products = deps.products();
  return events.flatMap((e): StockReport[] => {
    const value = (de?: string) =>
      de ? (e.dataValues as Json[] | undefined)?.find((d) => d.dataElement === de)?.value : undefined;
    const code = items.codeOf.get(String(e.trackedEntity));
    const product = code ? products.productOf(code) : undefined;
    if (!product) return [];
    const kinds: [string, string | undefined][] = [
      ['distributed', value(uc.distributed?.quantity)],
      ['discarded', value(uc.discarded?.quantity)],
      ['corrected', value(uc.corrected?.quantity)],
    ];
    const [kind, raw] = kinds.find(([, v]) => v !== undefined) ?? [];
    if (!kind || !Number.isFinite(Number(raw))) return [];
    const q = Number(raw);
    const at = dhis2Instant(e.occurredAt, zone) ?? new Date().toISOString();
    if (!within(at, dates)) return [];
    const to = value(uc.distributed?.to);
    return [
      {
        id: stableId(DHIS2, 'rts-event', String(e.event)),
        identifier: { system: RTS_EVENT_SYSTEM, value: String(e.event) },
        status: 'active',
        countType: kind === 'corrected' ? 'snapshot' : 'difference',
        operation: kind === 'corrected' ? undefined : 'subtraction',
        reportedAt: at,
        facility: {
          id: String(ou.id),
          identifier: ou.code ? { system: DHIS2_CODE_SYSTEM, value: String(ou.code) } : undefined,
          display: ou.name,
        },
        reason: { system: RTS_TRANSACTION_SYSTEM, code: kind, display: to },
        lines: [
          {
            product,
            quantity: { value: kind === 'corrected' ? q : -q, unit: 'dispensing-unit' },
            reason: { system: RTS_TRANSACTION_SYSTEM, code: kind },
            countedAt: at,
          },
        ],
        source: { system: DHIS2_SYSTEM, id: String(e.event) },
        lastUpdated: dhis2Instant(e.updatedAt, zone),
      },
    ];
  });
}

/** The RTS transaction a report line is: its reason (distributed, discarded), or a count for a snapshot. */
function transactionOf(report: StockReport, i: number): 'distributed' | 'discarded' | 'corrected' {
  if (report.countType === 'snapshot') return 'corrected';
  const codes = codeCandidates(report.lines[i].reason ?? report.reason).map((c) => c.code.toLowerCase());
  const kind = codes.find((c): c is 'distributed' | 'discarded' => c === 'distributed' || c === 'discarded');
  if (kind) return kind;
  const reason = codes[0];
  throw new BusinessRuleError(
    `RTS records distributions, discards and counts; line ${i}'s reason ${reason ?? '(none)'} is none of them`,
    `StockReport.lines[${i}].reason`,
  );
}

interface PlannedEvent {
  line: number;
  count: boolean;
  quantity: number;
  event: Json;
}

/**
 * RTS keeps stock per item (its enrollment), not per lot, and a count event's quantity becomes the
 * item's stock on hand: a count naming an item on several lines (two lots, two shelves) is one
 * event of their sum, under the first line's UID and at the latest line's time, else each later
 * count would replace the one before. Distributions and discards add up as separate events.
 */
function oneCountPerItem(planned: PlannedEvent[]): PlannedEvent[] {
  const firstCount = new Map<string, PlannedEvent>();
  const out: PlannedEvent[] = [];
  for (const p of planned) {
    const item = String(p.event.enrollment);
    const first = p.count ? firstCount.get(item) : undefined;
    if (!first) {
      if (p.count) firstCount.set(item, p);
      out.push(p);
      continue;
    }
    first.quantity += p.quantity;
    first.event.dataValues[0].value = String(first.quantity);
    if (Date.parse(p.event.occurredAt) > Date.parse(first.event.occurredAt))
      first.event.occurredAt = p.event.occurredAt;
  }
  return out;
}

/**
 * A distribution or discard takes stock out: a line whose change adds stock (signed as the other
 * connectors sign it, by the report's operation when the value has no sign) is refused rather
 * than sent as stock going out, which would turn a gain into a loss.
 */
function takesStockOut(report: StockReport, units: number, kind: 'distributed' | 'discarded', i: number): void {
  const signed = report.operation === 'subtraction' && units > 0 ? -units : units;
  if (signed > 0)
    throw new BusinessRuleError(
      `line ${i} adds ${signed} to the stock, but a ${kind} transaction takes stock out: send it as a subtraction (operationType subtraction, or a negative quantity)`,
      `StockReport.lines[${i}].quantity`,
    );
}

/**
 * A report as RTS transaction events, one per line, under UIDs derived from the write's key and
 * the line: a retry after a lost answer sends the same events, which DHIS2 updates (importStrategy
 * CREATE_AND_UPDATE) instead of adding twins. Small batches synchronously, all or none
 * (atomicMode=ALL, tracker-report.ts).
 */
export async function writeTransactions(
  deps: RtsDeps,
  ou: Json,
  report: StockReport,
  journal: StepJournal,
): Promise<WriteResult> {
  const uc = await deps.useCase();
  const items = await itemsAt(deps, uc, String(ou.id));
  // asked again for each write (see readTransactions)
  const zone = await deps.client.serverZoneNow();
  const products = deps.products();
  const planned = report.lines.map((line, i) => {
    const kind = transactionOf(report, i);
    const target = kind === 'distributed' ? uc.distributed : kind === 'discarded' ? uc.discarded : uc.corrected;
    if (!target)
      throw new BusinessRuleError(`the RTS use case has no ${kind} transaction`, `StockReport.lines[${i}].reason`);
    const code = products.itemCode(line.product, `StockReport.lines[${i}].product`);
    const enrollment = items.enrollmentOf.get(code);
    if (!enrollment)
      throw new BusinessRuleError(
        `item ${code} is not enrolled in RTS at ${ou.code ?? ou.id}`,
        `StockReport.lines[${i}].product`,
      );
    // RTS transactions count dispensing units: a count of 2 packs is not 2
    const units = products.dispensingUnits(line.product, line.quantity, `StockReport.lines[${i}].quantity`);
    if (kind !== 'corrected') takesStockOut(report, units, kind, i);
    const quantity = Math.round(Math.abs(units));
    const destination =
      kind === 'distributed' && uc.distributed?.to
        ? destinationCode(uc.distributed.destinations, report.reason, 'StockReport.reason')
        : undefined;
    const to = destination ? [{ dataElement: uc.distributed!.to!, value: destination }] : [];
    return {
      line: i,
      count: kind === 'corrected',
      quantity,
      event: {
        event: deterministicUid('rts-event', journal.idempotencyKey, String(i)),
        program: uc.program,
        programStage: uc.stage,
        enrollment,
        orgUnit: String(ou.id),
        occurredAt: serverWallTime(line.countedAt ?? report.reportedAt, zone),
        status: 'COMPLETED',
        // stockOnHand is the program rules' to assign (E1307 otherwise)
        dataValues: [{ dataElement: target.quantity, value: String(quantity) }, ...to],
      },
    };
  });
  const merged = oneCountPerItem(planned);
  const events = merged.map((p) => p.event);
  // a refusal is not journalled: the job's retry after a DHIS2 administrator's fix asks again
  const result = await journalAccepted(journal, 'rts-events', () => postTrackerEvents(deps.client, events));
  if (result.errors.length)
    throw trackerRejection(
      result.errors,
      `DHIS2 refused ${result.errors.length} of ${events.length} RTS events`,
      (i) => (i === undefined ? 'StockReport.lines' : `StockReport.lines[${merged[i]?.line ?? i}]`),
      {
        orgUnit: { id: String(ou.id), code: ou.code ? String(ou.code) : undefined },
        program: uc.program,
        stage: uc.stage,
        items: items.codeOf,
      },
    );
  return {
    system: DHIS2_SYSTEM,
    ids: Object.fromEntries(events.map((e, i) => [`event${i}`, e.event])),
    status: `created ${result.created}, updated ${result.updated}`,
  };
}
