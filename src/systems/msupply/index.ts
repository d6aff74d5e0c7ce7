import type { Connector } from '../../routing/ports.js';
import type { ConnectorLog } from '../connector-log.js';
import { createMsupplyApi } from './api.js';
import { createMsupplyClient, type MsupplyClientOptions } from './client.js';
import { createDeliveryCapability } from './deliveries.js';
import { createFacilityCapability } from './facilities.js';
import { createFulfilmentCapability, type FulfilmentCapability } from './fulfilment.js';
import { MSUPPLY } from './identifiers.js';
import { createOrderCapability } from './orders.js';
import { loadMsupplyProducts } from './products.js';
import { msupplySettingsFrom, type MsupplySettings } from './settings.js';
import { createStockCapability } from './stock.js';
import { createStoreDirectory } from './stores.js';
import { settingsChanged } from '../settings-changed.js';

/**
 * The Open mSupply connector (DESIGN §3): GraphQL over the shared transport, Locations from
 * stores, orders as request requisitions, deliveries as inbound shipments, stock as stock lines
 * and stocktakes. Settings apply live on reconfigure.
 */
export interface MsupplyConnectorOptions extends MsupplyClientOptions {
  /** Registry (MFR) id → Open mSupply store id, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
  /** Where a write carried out other than as sent is said (a count's refused line field); none: silent. */
  log?: ConnectorLog;
}

/** The Open mSupply connector with what only a supplier has: fulfilling orders raised elsewhere. */
export interface MsupplyConnector extends Connector {
  /** Orders from outside Open mSupply (DHIS2 requisitions) as response requisitions in the supplying store. */
  fulfilment: FulfilmentCapability;
}

export function createMsupplyConnector(
  settings: Record<string, unknown>,
  opts: MsupplyConnectorOptions = {},
): MsupplyConnector {
  let current: MsupplySettings = msupplySettingsFrom(settings);
  let products = loadMsupplyProducts(settings);
  const client = createMsupplyClient(() => current, opts);
  const api = createMsupplyApi(client);
  const stores = createStoreDirectory(api, opts.crosswalk);
  const deliveries = createDeliveryCapability({
    api,
    stores,
    products: () => products,
    verify: () => current.verifyDeliveries,
  });
  return {
    system: MSUPPLY,
    facilities: createFacilityCapability(api, stores),
    orders: createOrderCapability({ api, stores, products: () => products, settings: () => current }),
    deliveries,
    stock: createStockCapability({ api, stores, products: () => products, log: opts.log }),
    fulfilment: createFulfilmentCapability({
      api,
      stores,
      products: () => products,
      settings: () => current,
      deliveries: () => deliveries,
    }),
    async ping() {
      // `me` needs a valid login and lists the stores the user may act in: no store, no flow works
      const me = await api.me();
      if (!me.stores.some((s) => !s.isDisabled))
        throw new Error(`msupply: the user '${me.username}' may act in no store (me.stores is empty)`);
    },
    reconfigure(next: Record<string, unknown>) {
      const parsed = msupplySettingsFrom(next);
      // load first: a bad catalogue must leave the running configuration untouched
      const nextProducts = loadMsupplyProducts(next);
      const changed = settingsChanged(current, parsed);
      current = parsed;
      products = nextProducts;
      if (!changed) return; // another system's setting: the login and store list stay good
      client.reconfigure(parsed);
      stores.clear();
    },
    close: () => client.close(),
  };
}

export { msupplySettingsFrom } from './settings.js';
export type { FulfilmentCapability } from './fulfilment.js';
export { OPERATIONS as MSUPPLY_OPERATIONS } from './operations.js';
