import type { Facility, FacilityRef, Order } from '../domain/index.js';

/**
 * Which Open mSupply store supplies a facility's RTS requisition (issue 15: "a response
 * requisition in the supplying mSupply store of the facility, through the crosswalk and
 * routing.json"). `fhir-mappings/routing.json` holds the rules, the way it routes facilities to
 * systems: the first rule whose conditions hold names the store (by its code, which mSupply's
 * Dhis2Code convention makes the store's DHIS2 org unit code), else the section's default, else
 * `msupply.supplierCode`. A district or region is named by any of its org unit id, code or name,
 * so one rule covers every facility below it. With `fromCrosswalk`, a facility no rule covers is
 * supplied by the nearest enclosing area the crosswalk links to an Open mSupply store (a district
 * store reconciled against the registry), before the default. Pure but for `areasOf` and
 * `linkedStore`, which the caller backs with the DHIS2 connector's org unit reads and the crosswalk.
 */
export interface SupplyingStoreCondition {
  /** The facility's org unit id (UID) or code. */
  facility?: string[];
  /** An enclosing area (district, region …) by its org unit id, code or name. */
  area?: string[];
  /** The order's program code. */
  program?: string[];
}

export interface SupplyingStoreRule {
  name: string;
  when: SupplyingStoreCondition;
  /** The supplying store's code in Open mSupply. */
  store: string;
}

export interface SupplyingStores {
  rules?: SupplyingStoreRule[];
  /** After the rules: the nearest enclosing area the crosswalk links to an Open mSupply store. */
  fromCrosswalk?: boolean;
  /** The store when no rule matches; absent: msupply.supplierCode; null: none (such requisitions are held). */
  default?: string | null;
}

/** The store chosen for an order and why, or why none was (the requisition is then held). */
export type SupplierChoice = { store: string; by: string } | { held: string };

/** The areas enclosing a facility, nearest first, each as far as its system knows it. */
export type AreasOf = (facility: FacilityRef) => Promise<Facility[]>;

const namesOf = (f: Facility) => [f.id, f.name, ...f.identifiers.map((i) => i.value)].filter(Boolean);

async function holds(when: SupplyingStoreCondition, order: Order, areasOf: AreasOf): Promise<boolean> {
  const f = order.facility;
  if (when.facility && !when.facility.some((x) => x === f.id || x === f.identifier?.value)) return false;
  if (when.program && !(order.program && when.program.includes(order.program))) return false;
  if (when.area) {
    const areas = await areasOf(f);
    if (!areas.some((a) => namesOf(a).some((n) => when.area!.includes(n!)))) return false;
  }
  return true;
}

/** The code of the Open mSupply store the crosswalk links an area (by its id) to, if any. */
export type LinkedStore = (areaId: string) => Promise<string | undefined>;

/** The supplying store of an order's facility by the rules; `fallback` is msupply.supplierCode. */
export async function chooseSupplier(
  order: Order,
  rules: SupplyingStores | undefined,
  fallback: string | undefined,
  areasOf: AreasOf,
  linkedStore: LinkedStore = async () => undefined,
): Promise<SupplierChoice> {
  for (const rule of rules?.rules ?? [])
    if (await holds(rule.when, order, areasOf)) return { store: rule.store, by: `rule "${rule.name}"` };
  if (rules?.fromCrosswalk)
    for (const area of await areasOf(order.facility)) {
      const store = area.id ? await linkedStore(area.id) : undefined;
      if (store) return { store, by: `the crosswalk (${area.name} is Open mSupply store ${store})` };
    }
  const tried = (rules?.rules ?? []).map((r) => `"${r.name}"`).join(', ');
  const none = tried ? `no supplying-store rule matched (${tried})` : 'no supplying-store rule applies';
  if (rules?.default === null) return { held: `${none} and routing.json supplyingStores has no default` };
  if (rules?.default) return { store: rules.default, by: 'the supplyingStores default' };
  if (fallback) return { store: fallback, by: 'msupply.supplierCode' };
  return { held: `${none} and msupply.supplierCode is not set` };
}

/**
 * The areas above a facility, walked up `partOf` through `get` (the DHIS2 connector's org unit
 * read), each org unit read once per run: districts are shared by many facilities.
 */
export function areaWalker(get: (id: string) => Promise<Facility | undefined>): AreasOf {
  const seen = new Map<string, Promise<Facility | undefined>>();
  const read = (id: string) => {
    if (!seen.has(id)) seen.set(id, get(id));
    return seen.get(id)!;
  };
  return async (ref) => {
    const out: Facility[] = [];
    let next = ref.id ? (await read(ref.id))?.partOf : undefined;
    // a tree is a few levels deep; the bound stops a cycle a broken hierarchy could hold
    for (let depth = 0; next && depth < 16; depth++) {
      const area = await read(next);
      if (!area) break;
      out.push(area);
      next = area.partOf;
    }
    return out;
  };
}

/** The stores the rules can choose (the default included): the shipments phase reads each. */
export function storesNamed(rules: SupplyingStores | undefined, fallback: string | undefined): string[] {
  const all = [
    ...(rules?.rules ?? []).map((r) => r.store),
    rules?.default ?? (rules?.default === null ? undefined : fallback),
  ];
  return [...new Set(all.filter((s): s is string => !!s))];
}
