import type { Connector } from '../../routing/ports.js';
import { createDhis2Client, type Dhis2ClientOptions } from './client.js';
import { DHIS2 } from './errors.js';
import { createFacilityCapability, createOrgUnitReader } from './facilities.js';
import { dhis2SettingsFrom, type Dhis2Settings } from './settings.js';

/**
 * The DHIS2 connector the router uses (DESIGN §3): one client (version learnt once), org units as
 * Locations; settings applied live on reconfigure.
 */
export interface Dhis2ConnectorOptions extends Dhis2ClientOptions {
  /** Registry (MFR) id → DHIS2 org unit UID, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
}

export function createDhis2Connector(settings: Record<string, unknown>, opts: Dhis2ConnectorOptions = {}): Connector {
  let current: Dhis2Settings = dhis2SettingsFrom(settings);
  const client = createDhis2Client(() => current, opts);
  const orgUnits = createOrgUnitReader(client);
  return {
    system: DHIS2,
    facilities: createFacilityCapability(client, orgUnits, { crosswalk: opts.crosswalk }),
    async ping() {
      // /api/me answers for any valid credential: the documented way to test them
      await client.call({ method: 'GET', path: '/api/me', query: { fields: 'id,username' }, retry: false });
      await client.version();
    },
    reconfigure(next: Record<string, unknown>) {
      current = dhis2SettingsFrom(next);
      client.reconfigure(current);
      orgUnits.clear();
    },
    close: () => client.close(),
  };
}

export { createDhis2Client } from './client.js';
export { dhis2SettingsFrom } from './settings.js';
