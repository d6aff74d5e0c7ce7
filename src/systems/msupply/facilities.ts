import type { Facility } from '../../domain/index.js';
import type { FacilityCapability, SearchCriteria } from '../../routing/ports.js';
import type { MsupplyApi, StoreRow } from './api.js';
import { MSUPPLY, STORE_CODE_SYSTEM } from './identifiers.js';

/**
 * Locations served from Open mSupply stores: id = the store id, the store code as identifier, the
 * store name. Open mSupply keeps no coordinates for stores or names (StoreNode and NameNode have
 * none in its schema, client/packages/common/src/types/schema.ts), so these Locations never carry
 * a position; matching against a registry keys on the code. Stores are created and renamed in
 * Open mSupply's central server, not through its GraphQL API, so there is no `upsert`: registry
 * propagation to Open mSupply is not supported and routing reports it as such.
 */
export function decodeStore(store: StoreRow): Facility {
  return {
    id: store.id,
    identifiers: [{ system: STORE_CODE_SYSTEM, value: store.code }],
    name: store.storeName || store.code,
    status: 'active',
    kind: 'facility',
    source: { system: MSUPPLY, id: store.id },
  };
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** FHIR string search: "starts with" the name or any word of it, case- and accent-insensitive. */
function nameMatches(name: string, wanted: string): boolean {
  const n = fold(name);
  const w = fold(wanted);
  return n.startsWith(w) || n.split(/\s+/).some((word) => word.startsWith(w));
}

function matches(f: Facility, c: SearchCriteria): boolean {
  if (c.name && !nameMatches(f.name, c.name)) return false;
  if (c.status && f.status !== c.status) return false;
  if (c.partOf || c.type) return false; // stores have neither a parent Location nor a type here
  if (c.identifier) {
    const { system, value } = c.identifier;
    if (!f.identifiers.some((i) => i.value === value && (!system || i.system === system))) return false;
  }
  return true;
}

export function createFacilityCapability(api: MsupplyApi): FacilityCapability {
  const get = async (id: string) => {
    const store = (await api.stores({ id: { equalTo: id } })).find((s) => s.id === id);
    return store ? decodeStore(store) : undefined;
  };
  return {
    get,
    async search(criteria) {
      if (criteria.ids?.length) return { items: (await Promise.all(criteria.ids.map(get))).filter((f): f is Facility => !!f).filter((f) => matches(f, criteria)) };
      // narrow on the server where its filter is a superset of ours (exact code; "like" on the name)
      const filter: Record<string, unknown> = {};
      if (criteria.identifier && (!criteria.identifier.system || criteria.identifier.system === STORE_CODE_SYSTEM)) filter.code = { equalTo: criteria.identifier.value };
      if (criteria.name) filter.codeOrName = { like: criteria.name };
      if (criteria.identifier?.system && criteria.identifier.system !== STORE_CODE_SYSTEM) return { items: [] };
      return { items: (await api.stores(filter)).map(decodeStore).filter((f) => matches(f, criteria)) };
    },
    async listAll() {
      return (await api.stores()).map(decodeStore);
    },
  };
}
