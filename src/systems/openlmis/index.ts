import path from 'node:path';
import type { Connector } from '../../routing/ports.js';
import type { OpenLmisDeps, OpenLmisSettings } from './types.js';
import { createLmisClient } from './client.js';
import { pingPrograms } from './api.js';
import { createDeliveryCapability } from './proof-of-delivery/deliveries.js';
import { LMIS } from './errors.js';
import { createFacilityCapability } from './facility/facilities.js';
import { createFacilityResolver } from './facility/facility-resolver.js';
import { createOrderCapability } from './requisition/orders.js';
import { mappingsDirOf } from '../../config/mappings.js';
import { PRODUCTS_FILE } from '../../config/product-catalogue.js';
import { loadProductMap, type ProductMapSettings } from './product/products.js';
import { createReferenceData } from './reference-data.js';
import { lmisSettingsFrom } from './settings.js';
import { createStockCapability } from './stock/stock.js';
import { memoryLedger, type WriteLedger } from './requisition/write-ledger.js';
import { RecentAnswers } from './recent-answers.js';
import { forgettingWrittenOnWrite } from './requisition/requisition-recent.js';
import { settingsChanged } from '../settings-changed.js';

/**
 * The OpenLMIS connector the router uses (DESIGN §3): one client, one reference-data cache and
 * one product map shared by every flow; settings applied live on reconfigure.
 */
export interface OpenLmisConnectorOptions {
  /** Registry (MFR) id → OpenLMIS facility id, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
  /** A product catalogue file other than products.json in mappings.dir. */
  productMapFile?: string;
  /**
   * The store's lock and notes (storeLedger), shared by every mediator instance; without it one
   * process serialises its own initiates only (memoryLedger), enough for tests and single runs.
   */
  ledger?: WriteLedger;
}

function productSettings(s: Record<string, unknown>): ProductMapSettings {
  return {
    productCodeSystem: s['mapping.productCodeSystem'] === 'national' ? 'national' : 'gtin',
    nationalProductCodeSystem:
      s['mapping.nationalProductCodeSystem'] === undefined ? undefined : String(s['mapping.nationalProductCodeSystem']),
  };
}

export function createOpenLmisConnector(
  settings: Record<string, unknown>,
  opts: OpenLmisConnectorOptions = {},
): Connector {
  let current: OpenLmisSettings = lmisSettingsFrom(settings);
  const mapFile = (s: Record<string, unknown>) =>
    opts.productMapFile ?? path.join(mappingsDirOf(s), PRODUCTS_FILE.file);
  let products = loadProductMap(mapFile(settings), productSettings(settings));
  const recent = new RecentAnswers();
  const client = forgettingWrittenOnWrite(
    createLmisClient(() => current),
    recent,
  );
  const refs = createReferenceData(client, () => current.referenceTtlMs);
  const deps: OpenLmisDeps = {
    client,
    refs,
    // flows keep the deps object; the getter hands them the product map reloaded by reconfigure
    get products() {
      return products;
    },
    resolveFacility: createFacilityResolver(refs, opts.crosswalk),
    settings: () => current,
    ledger: opts.ledger ?? memoryLedger(),
    recent,
  };
  return {
    system: LMIS,
    facilities: createFacilityCapability(client, refs),
    orders: createOrderCapability(deps),
    deliveries: createDeliveryCapability(deps),
    stock: createStockCapability(deps),
    async ping() {
      // the user token is what most flows need; programs is a small, always present list
      await pingPrograms(client);
    },
    reconfigure(next: Record<string, unknown>) {
      const parsed = lmisSettingsFrom(next);
      // load first: a bad map file must leave the running configuration untouched
      const nextProducts = loadProductMap(mapFile(next), productSettings(next));
      const changed = settingsChanged(current, parsed);
      current = parsed;
      products = nextProducts;
      if (!changed) return; // another system's setting: the token and reference data stay good
      client.reconfigure(parsed);
      refs.clear();
      deps.recent?.clear();
    },
    close: () => client.close(),
  };
}

export { createLmisClient } from './client.js';
export { createReferenceData } from './reference-data.js';
export { loadProductMap } from './product/products.js';
export { packsToOrder, packsToUnits, toUnit } from './product/units.js';
export { lmisSettingsFrom } from './settings.js';
export { memoryLedger, storeLedger } from './requisition/write-ledger.js';
