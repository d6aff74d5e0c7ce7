import type { Connector } from '../../routing/ports.js';
import { createOpenMrsClient, REST, type OpenMrsClientOptions } from './client.js';
import { sessionVerdict } from '../../upstream/auth/session-cookie.js';
import { malformedAnswer } from '../../upstream/errors.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import { createDeliveryCapability } from './deliveries.js';
import type { ConfirmedBy } from './confirmed-by.js';
import { createFacilityCapability } from './facilities.js';
import { createOrderCapability } from './orders.js';
import { loadOpenMrsProducts } from './products.js';
import { createReference } from './reference.js';
import { createStockCapability } from './stock.js';
import { createStockReference } from './stock-reference.js';
import { openmrsSettingsFrom, type OpenMrsSettings } from './settings.js';
import { settingsChanged } from '../settings-changed.js';

/**
 * The OpenMRS connector (DESIGN §3): locations through REST; stock, orders (requisitions) and
 * deliveries (transfers) through the stock management module (issue 13). One client and its metadata caches; settings applied live on reconfigure, a bad one refused before anything changes.
 */
export interface OpenMrsConnectorOptions extends OpenMrsClientOptions {
  /** Registry (MFR) id → OpenMRS location uuid, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
  /** Which delivery completed an operation, from the store's written deliveries (storeConfirmations). */
  confirmedBy?: ConfirmedBy;
  /** A product catalogue file other than products.json in mappings.dir. */
  productMapFile?: string;
}

export function createOpenMrsConnector(
  settings: Record<string, unknown>,
  options: OpenMrsConnectorOptions = {},
): Connector {
  let current: OpenMrsSettings = openmrsSettingsFrom(settings);
  const client = createOpenMrsClient(() => current, options);
  const reference = createReference(client);
  const stockReference = createStockReference(client);
  let products = loadOpenMrsProducts(settings, options.productMapFile);
  const facilities = createFacilityCapability(client, reference);
  const stockDeps = {
    client,
    reference: stockReference,
    products: () => products,
    facilities,
    crosswalk: options.crosswalk,
    registryCodeSystem: () => current.registryCodeSystem,
  };
  return {
    system: OPENMRS,
    facilities,
    stock: createStockCapability(stockDeps),
    orders: createOrderCapability(stockDeps),
    deliveries: createDeliveryCapability({ ...stockDeps, confirmedBy: options.confirmedBy }),
    async ping() {
      // the session answer says whether OpenMRS knows us: a 200 with authenticated:false is a wrong password
      const session = await client.call<unknown>({ method: 'GET', path: `${REST}/session`, retry: false });
      const verdict = sessionVerdict(session);
      // a gateway's 200 {"message": "maintenance"} is no OpenMRS that answers, and no wrong password:
      // the outbox charges a held write only while this passes (Outbox systemAnswers)
      if (verdict === undefined)
        throw malformedAnswer(OPENMRS, `GET ${REST}/session answered without 'authenticated'`, makeOpenMrsError);
      if (!verdict) {
        throw makeOpenMrsError({
          system: OPENMRS,
          transient: false,
          status: 502,
          code: 'login',
          diagnostics: `OpenMRS answers the session of '${current.username}' as not authenticated: check openmrs.username and openmrs.password`,
        });
      }
    },
    reconfigure(next: Record<string, unknown>) {
      const parsed = openmrsSettingsFrom(next);
      // load first: a bad map file must leave the running configuration untouched
      const nextProducts = loadOpenMrsProducts(next, options.productMapFile);
      const changed = settingsChanged(current, parsed);
      current = parsed;
      products = nextProducts;
      if (!changed) return; // another system's setting: the session and reference data stay good
      client.reconfigure(parsed);
      reference.clear();
      stockReference.clear();
    },
    close: () => client.close(),
  };
}

export { createOpenMrsClient } from './client.js';
export { openmrsSettingsFrom, colonProblem } from './settings.js';
export { storeConfirmations } from './confirmed-by.js';
