import { BusinessRuleError, MediatorError, SearchNeedsParameterError } from '../../../domain/errors.js';
import type { StockReport } from '../../../domain/index.js';
import type { StockLedgerReader } from '../../../domain/stock-ledger.js';
import type { Page, SearchCriteria, StepJournal, StockCapability, WriteResult } from '../../../routing/ports.js';
import type { OpenLmisDeps } from '../types.js';
import { LMIS_SYSTEM } from '../identifiers.js';
import { checkTextLimits } from '../limits.js';
import { createStockApiChooser, findAppliedEvent, postStockEvent, type StockEventPlan } from './stock-events.js';
import { lineWhere, reportProgram, resolveLines, resolveOrderable, type ResolvedLine } from './stock-lines.js';
import { parseStockReportId, readStockReport } from './stock-read.js';
import { cardKey, stockCards, type StockCardEntry } from './stock-summaries.js';
import { openLmisLedgers } from './stock-ledger.js';

/**
 * InventoryReport ↔ OpenLMIS stock (issue 4): a snapshot becomes one physical-inventory event, a
 * difference one adjustment event; reads come from stock card summaries. The rules OpenLMIS
 * enforces (a count covers every card with stock, no negative stock) are checked first so the
 * client hears which products are at fault instead of an upstream 400.
 */

/** A physical inventory must cover every card with stock (reference §4): name what is missing. */
function checkCoverage(
  deps: OpenLmisDeps,
  lines: ResolvedLine[],
  cards: StockCardEntry[],
  products: Map<string, string>,
): void {
  const counted = new Set(lines.map((l) => cardKey(l.orderable.id, l.lot?.id)));
  const missing = cards.filter((c) => c.stockOnHand > 0 && !counted.has(cardKey(c.orderableId, c.lotId)));
  if (!missing.length) return;
  const named = missing.map(
    (c) =>
      `${products.get(c.orderableId) ?? c.orderableId}${c.lotId ? ` (lot card ${c.lotId})` : ''} has ${c.stockOnHand}`,
  );
  throw new BusinessRuleError(
    `a stock count must include every product with stock at this facility and program; not counted: ${named.join('; ')}`,
    'InventoryReport.inventoryListing[0].item',
  );
}

function checkNotNegative(lines: ResolvedLine[], cards: StockCardEntry[]): void {
  const soh = new Map(cards.map((c) => [cardKey(c.orderableId, c.lotId), c.stockOnHand]));
  // running balance: two changes of one card under different reasons add up
  for (const l of lines) {
    const key = cardKey(l.orderable.id, l.lot?.id);
    const before = soh.get(key) ?? 0;
    soh.set(key, before + l.quantity);
    if (before + l.quantity < 0) {
      throw new BusinessRuleError(
        `${l.orderable.productCode}${l.lot ? ` lot ${l.lot.lotCode}` : ''}: stock on hand is ${before}, subtracting ${-l.quantity} would make it negative`,
        `${lineWhere(l.index)}.quantity`,
      );
    }
  }
}

async function productCodes(deps: OpenLmisDeps, cards: StockCardEntry[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of cards) {
    const o = await deps.refs.orderableById(c.orderableId, c.orderableVersion);
    if (o) out.set(c.orderableId, o.productCode);
  }
  return out;
}

/** Everything the event needs, resolved from reference data only (nothing is written). */
async function planReport(deps: OpenLmisDeps, report: StockReport, documentNumber: string): Promise<StockEventPlan> {
  if (!report.lines.length)
    throw new BusinessRuleError('an inventory report needs at least one item', 'InventoryReport.inventoryListing');
  checkTextLimits([
    {
      value: documentNumber,
      where: 'InventoryReport.identifier',
      what: 'the report identifier (the stock event document number)',
    },
    { value: report.reporter, where: 'InventoryReport.reporter', what: 'the reporter (the stock event signature)' },
  ]);
  const facility = await deps.resolveFacility(report.facility, 'InventoryReport.inventoryListing[0].location');
  const orderables = await Promise.all(report.lines.map((l, i) => resolveOrderable(deps, l, i)));
  const program = await reportProgram(deps, report, orderables);
  const lines = await resolveLines(deps, report, facility, program, orderables);
  return { facility, program, documentNumber, signature: report.reporter, lines };
}

/**
 * The cards as an earlier report of the same Bundle would leave them: a count sets the counted
 * cards, a difference adds to them (a card it creates starts at 0).
 */
function applied(
  cards: StockCardEntry[],
  countType: StockReport['countType'],
  lines: ResolvedLine[],
): StockCardEntry[] {
  const next = new Map(cards.map((c) => [cardKey(c.orderableId, c.lotId), { ...c }]));
  for (const l of lines) {
    const key = cardKey(l.orderable.id, l.lot?.id);
    const card = next.get(key) ?? { orderableId: l.orderable.id, lotId: l.lot?.id, stockOnHand: 0 };
    card.stockOnHand = countType === 'snapshot' ? l.quantity : card.stockOnHand + l.quantity;
    next.set(key, card);
  }
  return [...next.values()];
}

/** The rules OpenLMIS enforces against the current stock (read-only): coverage of a count, no negative stock. */
async function checkAgainst(
  deps: OpenLmisDeps,
  report: StockReport,
  plan: StockEventPlan,
  cards: StockCardEntry[],
): Promise<void> {
  if (report.countType === 'snapshot') checkCoverage(deps, plan.lines, cards, await productCodes(deps, cards));
  else checkNotNegative(plan.lines, cards);
}

export function createStockCapability(deps: OpenLmisDeps): StockCapability & StockLedgerReader {
  const chooseApi = createStockApiChooser(deps.client, deps.settings);

  const facilityOf = (ref: string) =>
    deps.resolveFacility(
      { id: ref, identifier: { system: '', value: ref } },
      'InventoryReport.inventoryListing.location',
    );

  return {
    // each facility's stock cards over a window, for the stock → DHIS2 bridge (stock-ledger.ts)
    ledgers: (window) => openLmisLedgers(deps, window),
    async get(id) {
      const ids = parseStockReportId(id);
      if (!ids) return undefined;
      const [facility, program] = await Promise.all([
        deps.refs.facilityById(ids.facilityId),
        deps.refs.programById(ids.programId),
      ]);
      return facility && program ? readStockReport(deps, facility, program) : undefined;
    },

    async search(criteria: SearchCriteria): Promise<Page<StockReport>> {
      if (!criteria.facility) {
        throw new SearchNeedsParameterError(
          'OpenLMIS stock is read per facility: search with a facility (location) parameter',
          // the search parameter missing, as a bad query parameter is named (fhir/search.ts)
          'location',
        );
      }
      // a facility OpenLMIS does not know matches nothing here: another system may hold its stock
      const facility = await facilityOf(criteria.facility).catch((err: unknown) => {
        if (err instanceof MediatorError && err.status === 422) return undefined;
        throw err;
      });
      if (!facility) return { items: [] };
      const reports = await Promise.all(
        (await deps.refs.activePrograms(facility.id)).map((p) => readStockReport(deps, facility, p)),
      );
      const item = criteria.item;
      const filtered = item
        ? reports
            .map((r) => ({
              ...r,
              lines: r.lines.filter(
                (l) => l.product.code === item.code && (!item.system || l.product.system === item.system),
              ),
            }))
            .filter((r) => r.lines.length)
        : reports;
      return { items: filtered };
    },

    async precheck(report: StockReport, earlier: StockReport[] = []): Promise<void> {
      const plan = await planReport(deps, report, report.identifier?.value ?? report.id ?? 'precheck');
      if (!plan.lines.length) return;
      const cards = await stockCards(deps.client, plan.facility.id, plan.program.id);
      if (await findAppliedEvent(deps.client, plan, cards)) return;
      let projected = cards;
      for (const e of earlier) {
        const other = await planReport(deps, e, e.identifier?.value ?? e.id ?? 'precheck');
        if (other.facility.id === plan.facility.id && other.program.id === plan.program.id)
          projected = applied(projected, e.countType, other.lines);
      }
      await checkAgainst(deps, report, plan, projected);
    },

    async report(report: StockReport, journal: StepJournal): Promise<WriteResult> {
      // the report's own identifier lets a retry find the event; the journal key otherwise
      const documentNumber = report.identifier?.value ?? report.id ?? journal.idempotencyKey;
      const plan = await planReport(deps, report, documentNumber);
      const { lines, facility, program } = plan;
      if (!lines.length) return { system: LMIS_SYSTEM, ids: {}, status: 'unchanged' };

      const eventId = await journal.run('post-stock-event', async () => {
        const cards = await stockCards(deps.client, facility.id, program.id);
        const already = await findAppliedEvent(deps.client, plan, cards);
        if (already) return already;
        await checkAgainst(deps, report, plan, cards);
        return postStockEvent(deps.client, await chooseApi(plan), plan);
      });
      return { system: LMIS_SYSTEM, ids: { stockEvent: eventId, documentNumber }, status: 'completed' };
    },
  };
}
