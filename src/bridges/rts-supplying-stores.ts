import { activeMapping } from '../config/mappings.js';
import { isTransient } from '../domain/errors.js';
import type { Order } from '../domain/index.js';
import { holdsRegistryId } from '../registry/crosswalk-types.js';
import { ROUTING_FILE, type RoutingRules } from '../routing/rules.js';
import type { Store } from '../store/types.js';
import type { Dhis2Connector } from '../systems/dhis2/index.js';
import type { MsupplyConnector } from '../systems/msupply/index.js';
import { STORE_CODE_SYSTEM } from '../systems/msupply/identifiers.js';
import type { RtsBridgeDeps } from './rts-to-msupply.js';
import { areaWalker, chooseSupplier, storesNamed, type LinkedStore, type SupplyingStores } from './rts-supplier.js';

/**
 * The codes of every store a requisition was sent to (a JSON list): their shipments are read even
 * after routing.json stops naming them, while their requisitions are still being shipped.
 */
export const RTS_STORES_CURSOR = 'bridge.rtsToMsupply.supplyingStores';

/**
 * The supplying store of each order, by routing.json and checked in Open mSupply (each store
 * once a run): an order with a store gets it as `Order.supplier`; one without is held with why.
 */
export function supplierOf(deps: RtsBridgeDeps, msupply: MsupplyConnector, dhis2: Dhis2Connector) {
  const rules = (
    deps.supplyingStores ?? (() => activeMapping<RoutingRules & RoutingExtras>(ROUTING_FILE).supplyingStores)
  )();
  const fallback = msupply.fulfilment.defaultStore();
  const areasOf = areaWalker((id) => dhis2.facilities?.get(id) ?? Promise.resolve(undefined));
  const linkedStore = crosswalkStore(deps.store, msupply);
  const checked = new Map<string, Promise<string | undefined>>();
  const chosen = new Set<string>();
  const cannotSupply = (code: string) => {
    if (!checked.has(code))
      checked.set(
        code,
        msupply.fulfilment.cannotSupply(code).catch((err: unknown) => {
          // Open mSupply out of reach: held this run, read again by the next
          if (isTransient(err)) return `Open mSupply could not be asked: ${(err as Error).message}`;
          throw err;
        }),
      );
    return checked.get(code)!;
  };
  return {
    /** The stores the rules can choose and every store requisitions went to, this run or before. */
    async stores(): Promise<string[]> {
      const known = JSON.parse((await deps.store.getCursor(RTS_STORES_CURSOR)) ?? '[]') as string[];
      const all = [...new Set([...known, ...chosen])].sort();
      if (all.length !== known.length) await deps.store.setCursor(RTS_STORES_CURSOR, JSON.stringify(all));
      return [...new Set([...storesNamed(rules, fallback), ...all])];
    },
    async choose(order: Order): Promise<{ supplier: Order['supplier'] } | { held: string }> {
      if (order.supplier) return { supplier: order.supplier };
      const choice = await chooseSupplier(order, rules, fallback, areasOf, linkedStore);
      if ('held' in choice) return choice;
      const why = await cannotSupply(choice.store);
      if (why) return { held: `supplying store ${choice.store} (by ${choice.by}): ${why}` };
      chosen.add(choice.store);
      return { supplier: { identifier: { system: STORE_CODE_SYSTEM, value: choice.store } } };
    },
  };
}

/**
 * The Open mSupply store the crosswalk links a DHIS2 area to: the org unit's row links it to a
 * registry facility, and that facility's Open mSupply row names the store (by id; the reconciliation
 * keeps both, src/registry/store-crosswalk.ts). Only held links count (auto, manual, flagged).
 */
function crosswalkStore(store: Store, msupply: MsupplyConnector): LinkedStore {
  return async (areaId) => {
    const row = await store.getCrosswalk('dhis2', areaId);
    if (!row?.registryId || !holdsRegistryId(row.state)) return undefined;
    // a registry facility may be linked to an Open mSupply name too (a customer without a store)
    for (const r of await store.listCrosswalkByRegistryId(row.registryId)) {
      const code =
        r.system === 'msupply' && holdsRegistryId(r.state) && (await msupply.fulfilment.storeCode(r.systemId));
      if (code) return code;
    }
    return undefined;
  };
}

/** routing.json's section this bridge reads (its schema: fhir-mappings/routing.schema.json). */
interface RoutingExtras {
  supplyingStores?: SupplyingStores;
}
