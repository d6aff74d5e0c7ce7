import type { Facility } from '../../domain/index.js';
import type { FacilityCapability, StepJournal, WriteResult } from '../../routing/ports.js';
import { BusinessRuleError } from '../../domain/errors.js';
import { NS } from '../../domain/namespace.js';
// one match for every system; stores and names have no parent Location, so a `partof` search finds none
import { facilityMatches as matches } from '../../domain/facility-search.js';
import type { MsupplyApi, NameRow, StoreRow } from './api.js';
import { MSUPPLY, NAME_CODE_SYSTEM, STORE_CODE_SYSTEM } from './identifiers.js';
import type { StoreDirectory } from './stores.js';
import { readsEndWith } from '../../upstream/attempt-scope.js';

/** What a name is to the store it is seen from: customer and/or supplier. */
export const NAME_ROLE_SYSTEM = `${NS}/CodeSystem/msupply-name-role`;

/**
 * Locations served from Open mSupply stores: id = the store id, the store code as identifier, the
 * store name. Open mSupply keeps no coordinates for stores or names (StoreNode and NameNode have
 * none in its schema, client/packages/common/src/types/schema.ts), so these Locations never carry
 * a position; matching against a registry keys on the code. Names that are not stores (customers
 * and suppliers without an Open mSupply site: clinics, donors) read as Locations too, seen from the
 * integration user's default store (names are per-store visibility), their code as identifier and
 * their role there as type. Stores are created and renamed in
 * Open mSupply's central server, not through its GraphQL API: registry propagation sets only the
 * name property values a site may (see `upsert`) and reports the rest per field.
 */
/** The name property keys registry propagation sets (configured in the central server as remote-editable). */
export const REGISTRY_PROPERTIES = { code: 'registry_code', name: 'registry_name', status: 'registry_status' } as const;

/** The registry's code (the identifier that is not Open mSupply's own), name and status, as property values. */
function registryProperties(facility: Facility): Record<string, string> {
  const code = facility.identifiers.find((i) => i.system !== NAME_CODE_SYSTEM && i.system !== STORE_CODE_SYSTEM);
  return {
    ...(code ? { [REGISTRY_PROPERTIES.code]: code.value } : {}),
    [REGISTRY_PROPERTIES.name]: facility.name,
    [REGISTRY_PROPERTIES.status]: facility.status,
  };
}

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

export function decodeName(name: NameRow): Facility {
  const roles = [name.isCustomer && 'customer', name.isSupplier && 'supplier'].filter((r): r is string => !!r);
  return {
    id: name.id,
    identifiers: [{ system: NAME_CODE_SYSTEM, value: name.code }],
    name: name.name || name.code,
    status: 'active',
    kind: 'facility',
    ...(roles.length ? { types: roles.map((code) => ({ system: NAME_ROLE_SYSTEM, code })) } : {}),
    source: { system: MSUPPLY, id: name.id },
  };
}

export function createFacilityCapability(api: MsupplyApi, stores: StoreDirectory): FacilityCapability {
  /** The store names are seen from: the user's default store, else its first. */
  const viewpoint = async (): Promise<string | undefined> => {
    const me = await stores.me();
    return me.defaultStore?.id ?? me.stores.find((s) => !s.isDisabled)?.id;
  };
  const names = async (filter: Record<string, unknown>): Promise<Facility[]> => {
    const from = await viewpoint();
    // a store's own name is served as the store
    return from ? (await api.names(from, { ...filter, isStore: false })).filter((n) => !n.store).map(decodeName) : [];
  };
  /**
   * Every store of the user a name may be seen from, the default first. A store sees the names it
   * trades with (name_store_join), not its own: the supplying warehouse's own name is seen from
   * the health centres it supplies, so from the default store alone (often that warehouse) its
   * registry values could never be written.
   */
  const viewpoints = async (): Promise<string[]> => {
    const me = await stores.me();
    const enabled = me.stores.filter((s) => !s.isDisabled).map((s) => s.id);
    return [...new Set([me.defaultStore?.id, ...enabled].filter((s): s is string => !!s))];
  };
  /** The name a facility id stands for: a store's own name (by its code), else the name itself. */
  const nameIdOf = async (id: string): Promise<string> => {
    const store = (await api.stores({ id: { equalTo: id } })).find((s) => s.id === id);
    if (!store) return id;
    for (const from of await viewpoints()) {
      const own = (await api.names(from, { storeCode: { equalTo: store.code } })).find((n) => n.store?.id === id);
      if (own) return own.id;
    }
    throw new BusinessRuleError(
      `Open mSupply store ${store.code} has no name visible from any store of this user`,
      'Location',
    );
  };
  const get = async (id: string) => {
    const store = (await api.stores({ id: { equalTo: id } })).find((s) => s.id === id);
    if (store) return decodeStore(store);
    return (await names({ id: { equalTo: id } })).find((f) => f.id === id);
  };
  return {
    cannotKeep: {
      name: `Open mSupply names are renamed in its central server; the registry name is kept in the name property ${REGISTRY_PROPERTIES.name}`,
      status: `Open mSupply names are closed in its central server; the registry status is kept in the name property ${REGISTRY_PROPERTIES.status}`,
      position: 'Open mSupply stores and names keep no coordinates',
      parent: 'Open mSupply names have no parent area',
    },
    cannotCreate:
      'Open mSupply stores and names are created in its central server; its GraphQL API lets an integration set only name property values',
    get,
    /**
     * Registry propagation sets the name's property values (name_property keys the central server
     * configured as remote-editable: REGISTRY_PROPERTIES) to the registry's code, name and status;
     * the name itself cannot be changed from a site. A store is written through its own name.
     */
    async upsert(facility: Facility, journal: StepJournal): Promise<WriteResult> {
      if (!facility.id)
        throw new BusinessRuleError(
          'Open mSupply names are created in its central server, not by the mediator',
          'Location',
        );
      const from = await viewpoint();
      if (!from) throw new BusinessRuleError('the Open mSupply user may act in no store', 'Location');
      const saved = await journal.run('update-name-properties', async () => {
        const nameId = await nameIdOf(facility.id!);
        const node = await api.updateNameProperties(from, {
          id: nameId,
          properties: JSON.stringify(registryProperties(facility)),
        });
        return { id: node.id };
      });
      return { system: MSUPPLY, ids: { name: saved.id }, status: 'updated' };
    },
    async search(criteria) {
      if (criteria.ids?.length)
        return {
          items: (await Promise.all(criteria.ids.map(get)))
            .filter((f): f is Facility => !!f)
            .filter((f) => matches(f, criteria)),
        };
      const system = criteria.identifier?.system;
      if (system && system !== STORE_CODE_SYSTEM && system !== NAME_CODE_SYSTEM) return { items: [] };
      // narrow on the server only where its filter is a superset of ours (the exact code); the name
      // is matched here: Open mSupply's `codeOrName: { like }` keeps accents ("Hopital" misses "Hôpital")
      const filter: Record<string, unknown> = {};
      if (criteria.identifier) filter.code = { equalTo: criteria.identifier.value };
      const [storeList, nameList] = await Promise.all([
        system === NAME_CODE_SYSTEM || criteria.type ? [] : api.stores(filter).then((l) => l.map(decodeStore)),
        system === STORE_CODE_SYSTEM ? [] : names(filter),
      ]);
      return { items: [...storeList, ...nameList].filter((f) => matches(f, criteria)) };
    },
    listAll(signal?: AbortSignal) {
      return readsEndWith(signal, async () => {
        const [storeList, nameList] = await Promise.all([api.stores(), names({})]);
        return [...storeList.map(decodeStore), ...nameList];
      });
    },
  };
}
