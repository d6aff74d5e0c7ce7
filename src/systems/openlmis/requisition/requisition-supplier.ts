import { BusinessRuleError, type Order } from '../../../domain/index.js';
import type { OpenLmisDeps } from '../types.js';
import type { ResolvedOrder } from './requisition-resolve.js';

/**
 * A requisition's supplier is not the client's to choose: OpenLMIS releases an approved regular or
 * emergency requisition to a depot of the supply lines of the supervisory node that approves it
 * last (the node of the facility's requisition group, else the first one up its parents with a
 * supply line for the program; referencedata `/api/supervisoryNodes`, `/api/supplyLines`). A
 * `SupplyRequest.deliverFrom` naming another facility would be dropped without a word, and the
 * goods would come from elsewhere: refused, naming the depot OpenLMIS uses.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON, read field by field
type Json = Record<string, any>;

/** Supervisory levels followed up at most: a loop in OpenLMIS's tree stops here too. */
const MAX_LEVELS = 10;

/** The depots OpenLMIS may release this facility's requisitions of the program to; empty when it does not say. */
async function supplyingDepots(deps: OpenLmisDeps, r: ResolvedOrder): Promise<string[]> {
  const programId = r.program.id;
  let [node] = await deps.client.all<Json>({
    path: '/api/supervisoryNodes',
    query: { facilityId: r.facilityId, programId },
  });
  for (let level = 0; node?.id && level < MAX_LEVELS; level++) {
    const lines = await deps.client.all<Json>({
      path: '/api/supplyLines',
      query: { programId, supervisoryNodeId: String(node.id) },
    });
    const depots = lines.map((l) => l.supplyingFacility?.id).filter((id): id is string => typeof id === 'string');
    if (depots.length) return [...new Set(depots)];
    const parent = node.parentNode?.id;
    if (typeof parent !== 'string') return [];
    [node] = await deps.client.all<Json>({ path: '/api/supervisoryNodes', query: { id: parent } });
  }
  return [];
}

/** Throws when the order names a supplier OpenLMIS would not release its requisition to. */
export async function checkRequisitionSupplier(deps: OpenLmisDeps, order: Order, r: ResolvedOrder): Promise<void> {
  if (!order.supplier) return;
  const supplier = await deps.resolveFacility(order.supplier, 'Order.supplier');
  // OpenLMIS not saying (no requisition group, supply lines the user may not read) is no refusal
  const depots = await supplyingDepots(deps, r).catch(() => [] as string[]);
  if (!depots.length || depots.includes(supplier.id)) return;
  const named = await Promise.all(
    depots.map(async (id) => {
      const f = await deps.refs.facilityById(id).catch(() => undefined);
      return f ? `${f.code} (${f.name})` : id;
    }),
  );
  throw new BusinessRuleError(
    `OpenLMIS releases ${r.emergency ? 'an emergency' : 'a regular'} requisition of ${r.facilityCode} for program ${r.program.code} to the supplying depot of its supply line, ${named.join(' or ')}, not to ${supplier.code} (${supplier.name}) that deliverFrom names: leave deliverFrom out or name that depot, or have an OpenLMIS administrator add a supply line from ${supplier.code}`,
    'Order.supplier',
  );
}
