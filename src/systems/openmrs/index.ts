import type { Connector } from '../../routing/ports.js';
import { createOpenMrsClient, REST, type OpenMrsClientOptions } from './client.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import { createFacilityCapability } from './facilities.js';
import { createReference } from './reference.js';
import { openmrsSettingsFrom, type OpenMrsSettings } from './settings.js';

/**
 * The OpenMRS connector (DESIGN §3): locations through REST (issue 13). One client and one
 * metadata cache; settings applied live on reconfigure, a bad one refused before anything changes.
 */
export interface OpenMrsConnectorOptions extends OpenMrsClientOptions {
  /** Registry (MFR) id → OpenMRS location uuid, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
}

export function createOpenMrsConnector(settings: Record<string, unknown>, options: OpenMrsConnectorOptions = {}): Connector {
  let current: OpenMrsSettings = openmrsSettingsFrom(settings);
  const client = createOpenMrsClient(() => current, options);
  const reference = createReference(client);
  return {
    system: OPENMRS,
    facilities: createFacilityCapability(client, reference),
    async ping() {
      // the session answer says whether OpenMRS knows us: a 200 with authenticated:false is a wrong password
      const session = await client.call<{ authenticated?: unknown }>({ method: 'GET', path: `${REST}/session`, retry: false });
      if (session?.authenticated !== true) {
        throw makeOpenMrsError({ system: OPENMRS, transient: false, status: 502, code: 'login', diagnostics: `OpenMRS answers the session of '${current.username}' as not authenticated: check openmrs.username and openmrs.password` });
      }
    },
    reconfigure(next: Record<string, unknown>) {
      const parsed = openmrsSettingsFrom(next);
      current = parsed;
      client.reconfigure(parsed);
      reference.clear();
    },
    close: () => client.close(),
  };
}

export { createOpenMrsClient } from './client.js';
export { openmrsSettingsFrom, colonProblem } from './settings.js';
