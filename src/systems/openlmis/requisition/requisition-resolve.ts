import { BusinessRuleError, type Order } from '../../../domain/index.js';
import type { LmisOrderable, LmisProgram, OpenLmisDeps } from '../types.js';
import { defaultExplanation } from './requisition-fill.js';
import { isEmergency } from './requisition-status.js';
import { checkTextLimits } from '../limits.js';
import { toUnit } from '../product/units.js';

/**
 * Everything an order needs resolved before any write, so a bad order fails with a 422 naming
 * its field before OpenLMIS is touched: facility, program, orderables (mapped, in the program)
 * and quantities in dispensing units.
 */
export interface ResolvedLine {
  orderable: LmisOrderable;
  /** Dispensing units (requisitions count dispensing units). */
  units: number;
  /** The domain quantity as given, for requisition-less orders (packs). */
  quantity: Order['lines'][number]['quantity'];
  explanation: string;
  where: string;
}

export interface ResolvedOrder {
  facilityId: string;
  facilityCode: string;
  program: LmisProgram;
  emergency: boolean;
  lines: ResolvedLine[];
}

/**
 * Program by code; when the order names none (guides often send no category), the facility's one
 * program, else the one of its programs that carries every ordered product; otherwise the 422 says
 * which programs could apply.
 */
async function resolveProgram(
  deps: OpenLmisDeps,
  order: Order,
  facilityId: string,
  facilityCode: string,
): Promise<LmisProgram> {
  if (order.program) {
    const program = await deps.refs.programByCode(order.program);
    if (!program) throw new BusinessRuleError(`program ${order.program} does not exist in OpenLMIS`, 'Order.program');
    return program;
  }
  const programs = await deps.refs.activePrograms(facilityId);
  if (programs.length === 1) return programs[0];
  const orderables = await Promise.all(order.lines.map((_, i) => orderableOf(deps, order, i)));
  const fitting = programs.filter((p) => orderables.every((o) => o.programIds.includes(p.id)));
  if (fitting.length === 1) return fitting[0];
  const supported = programs.length ? programs.map((p) => p.code).join(', ') : 'none';
  const which = fitting.length
    ? `programs carrying every ordered product: ${fitting.map((p) => p.code).join(', ')}`
    : 'none of them carries every ordered product';
  throw new BusinessRuleError(
    `the order names no program (SupplyRequest.category) and facility ${facilityCode} supports ${supported}; ${which}: name one`,
    'Order.program',
  );
}

async function orderableOf(deps: OpenLmisDeps, order: Order, i: number): Promise<LmisOrderable> {
  const line = order.lines[i];
  const where = `Order.lines[${i}]`;
  const productCode = deps.products.toProductCode(line.product, `${where}.product`);
  const orderable = await deps.refs.orderableByCode(productCode);
  if (!orderable)
    throw new BusinessRuleError(
      `product ${line.product.code} maps to OpenLMIS product code ${productCode}, which is not an orderable in OpenLMIS`,
      `${where}.product`,
    );
  return orderable;
}

async function resolveLine(deps: OpenLmisDeps, order: Order, i: number, program: LmisProgram): Promise<ResolvedLine> {
  const line = order.lines[i];
  const where = `Order.lines[${i}]`;
  const orderable = await orderableOf(deps, order, i);
  if (!orderable.programIds.includes(program.id)) {
    throw new BusinessRuleError(
      `product ${line.product.code} (${orderable.productCode}) is not in program ${program.code}`,
      `${where}.product`,
    );
  }
  return {
    orderable,
    units: toUnit(line.quantity, 'dispensing-unit', orderable, `${where}.quantity`),
    quantity: line.quantity,
    explanation: line.explanation?.trim() || defaultExplanation(order.orderNumber),
    where,
  };
}

/** The order's texts OpenLMIS stores, within its limits (checked before any call). */
function checkOrderTexts(order: Order): void {
  checkTextLimits([
    { value: order.orderNumber.value, where: 'Order.orderNumber', what: 'the order number' },
    { value: order.orderNumber.system, where: 'Order.orderNumber', what: "the order number's system" },
    ...order.lines.map((l, i) => ({
      value: l.explanation,
      where: `Order.lines[${i}].explanation`,
      what: `line ${i + 1}'s explanation`,
    })),
  ]);
}

/**
 * Resolves everything and checks every limit, reading OpenLMIS's reference data only: the
 * order's precheck (nothing is written) and the first thing its write does.
 */
export async function resolveOrder(deps: OpenLmisDeps, order: Order): Promise<ResolvedOrder> {
  if (!order.lines.length) throw new BusinessRuleError('the order has no lines', 'Order.lines');
  checkOrderTexts(order);
  const facility = await deps.resolveFacility(order.facility, 'Order.facility');
  const program = await resolveProgram(deps, order, facility.id, facility.code);
  const lines: ResolvedLine[] = [];
  // sequential: reference data is cached, and the first unmapped line is the one to report
  for (let i = 0; i < order.lines.length; i++) lines.push(await resolveLine(deps, order, i, program));
  return {
    facilityId: facility.id,
    facilityCode: facility.code,
    program,
    emergency: isEmergency(order.priority),
    lines,
  };
}
