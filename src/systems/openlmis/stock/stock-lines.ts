import { codeNames } from '../../../domain/identifiers.js';
import { BusinessRuleError } from '../../../domain/errors.js';
import type { StockLine, StockReport } from '../../../domain/index.js';
import type { LmisFacilityRef, LmisLot, LmisOrderable, LmisProgram, LmisReason, OpenLmisDeps } from '../types.js';
import { toUnit } from '../product/units.js';

/**
 * A StockReport's lines resolved against OpenLMIS: orderable, lot, quantity in dispensing units,
 * reason (difference reports) and occurred date. Everything that would make OpenLMIS refuse the
 * event for a reason the client can fix is checked here first, with the FHIR element named.
 */
export interface ResolvedLine {
  index: number;
  orderable: LmisOrderable;
  lot?: LmisLot;
  /** Snapshot: counted stock on hand. Difference: signed change. Dispensing units. */
  quantity: number;
  reason?: LmisReason;
  occurredDate: string;
}

export const lineWhere = (i: number) => `InventoryReport.inventoryListing[0].item[${i}]`;

/** The report's program: given by code, or the single program all its products belong to. */
export async function reportProgram(
  deps: OpenLmisDeps,
  report: StockReport,
  orderables: LmisOrderable[],
): Promise<LmisProgram> {
  if (report.program) {
    const p = await deps.refs.programByCode(report.program);
    if (!p)
      throw new BusinessRuleError(
        `program ${report.program} is not an OpenLMIS program`,
        'InventoryReport.inventoryListing[0].itemStatus',
      );
    return p;
  }
  const shared =
    orderables.reduce<string[] | undefined>(
      (acc, o) => (acc ? acc.filter((id) => o.programIds.includes(id)) : [...o.programIds]),
      undefined,
    ) ?? [];
  const program = shared.length === 1 ? await deps.refs.programById(shared[0]) : undefined;
  if (!program)
    throw new BusinessRuleError(
      'the products of this report do not belong to exactly one OpenLMIS program: state the program',
      'InventoryReport',
    );
  return program;
}

export async function resolveOrderable(deps: OpenLmisDeps, line: StockLine, i: number): Promise<LmisOrderable> {
  const where = `${lineWhere(i)}.item`;
  const code = deps.products.toProductCode(line.product, where);
  const orderable = await deps.refs.orderableByCode(code);
  if (!orderable) throw new BusinessRuleError(`product ${code} is not an OpenLMIS orderable`, where);
  return orderable;
}

async function resolveLot(
  deps: OpenLmisDeps,
  line: StockLine,
  orderable: LmisOrderable,
  i: number,
): Promise<LmisLot | undefined> {
  if (!line.lot?.number) return undefined;
  const lots = orderable.tradeItemId ? await deps.refs.lots(orderable.tradeItemId) : [];
  const lot = lots.find((l) => l.lotCode === line.lot!.number);
  if (!lot)
    throw new BusinessRuleError(
      `lot ${line.lot.number} of ${orderable.productCode} is not known to OpenLMIS`,
      `${lineWhere(i)}.characteristic`,
    );
  return lot;
}

/** Signed change of a difference line: the report's operation says the sign when the value has none. */
function signedChange(report: StockReport, value: number): number {
  return report.operation === 'subtraction' && value > 0 ? -value : value;
}

function resolveReason(
  report: StockReport,
  line: StockLine,
  change: number,
  valid: LmisReason[],
  orderable: LmisOrderable,
  i: number,
): LmisReason {
  const where = `${lineWhere(i)}.countingDateTime`;
  // every name the client gave (each coding's code and display), the first OpenLMIS knows wins
  const names = codeNames(line.reason ?? report.reason);
  const name = names.find((n) => valid.some((r) => r.name.toLowerCase() === n.toLowerCase())) ?? names[0];
  const wanted = change > 0 ? 'CREDIT' : 'DEBIT';
  const fitting = valid
    .filter((r) => r.reasonType === wanted && (r.reasonCategory === 'ADJUSTMENT' || r.reasonCategory === 'TRANSFER'))
    .map((r) => r.name);
  if (!name)
    throw new BusinessRuleError(
      `${orderable.productCode}: a change needs a reason; valid ${wanted} reasons: ${fitting.join(', ')}`,
      where,
    );
  const reason = valid.find((r) => r.name.toLowerCase() === name.toLowerCase());
  if (!reason)
    throw new BusinessRuleError(
      `${orderable.productCode}: reason '${name}' is not valid here; valid ${wanted} reasons: ${fitting.join(', ')}`,
      where,
    );
  if (reason.reasonType !== wanted) {
    throw new BusinessRuleError(
      `${orderable.productCode}: reason '${reason.name}' is a ${reason.reasonType} but the change is ${change > 0 ? 'an addition' : 'a subtraction'}`,
      where,
    );
  }
  return reason;
}

/**
 * The report's lines as OpenLMIS line items. Lines of one product and lot (and, for a change, one
 * reason) are summed: a count taken shelf by shelf, or two receipts of one lot, arrive as several
 * lines of the same item, and OpenLMIS takes each orderable/lot once per physical inventory.
 */
export async function resolveLines(
  deps: OpenLmisDeps,
  report: StockReport,
  facility: LmisFacilityRef,
  program: LmisProgram,
  orderables: LmisOrderable[],
): Promise<ResolvedLine[]> {
  const valid = report.countType === 'difference' ? await deps.refs.reasons(program.id, facility.typeCode ?? '') : [];
  const merged = new Map<string, ResolvedLine & { line: StockLine }>();
  for (const [i, line] of report.lines.entries()) {
    const orderable = orderables[i];
    if (!orderable.programIds.includes(program.id))
      throw new BusinessRuleError(
        `product ${orderable.productCode} is not in program ${program.code}`,
        `${lineWhere(i)}.item`,
      );
    const lot = await resolveLot(deps, line, orderable, i);
    const units = toUnit(line.quantity, 'dispensing-unit', orderable, `${lineWhere(i)}.quantity`);
    if (report.countType === 'snapshot' && units < 0) {
      throw new BusinessRuleError(
        `${orderable.productCode}: a counted stock on hand cannot be negative (${units})`,
        `${lineWhere(i)}.quantity`,
      );
    }
    const quantity = report.countType === 'snapshot' ? units : signedChange(report, units);
    const occurredDate = (line.countedAt ?? report.reportedAt).slice(0, 10);
    const reasonName =
      report.countType === 'snapshot' ? '' : (line.reason?.code ?? line.reason?.display ?? '').toLowerCase();
    const key = `${orderable.id}|${lot?.id ?? ''}|${reasonName}`;
    const same = merged.get(key);
    if (same) {
      same.quantity += quantity;
      if (occurredDate > same.occurredDate) same.occurredDate = occurredDate;
    } else {
      merged.set(key, { index: i, orderable, lot, quantity, occurredDate, line });
    }
  }
  const out: ResolvedLine[] = [];
  for (const { line, ...resolved } of merged.values()) {
    if (report.countType === 'snapshot') {
      out.push(resolved);
      continue;
    }
    if (resolved.quantity === 0) continue; // nothing happened to this product
    out.push({
      ...resolved,
      reason: resolveReason(report, line, resolved.quantity, valid, resolved.orderable, resolved.index),
    });
  }
  return out;
}
