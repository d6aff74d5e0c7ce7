import { ExpiringCache } from '../../upstream/expiring-cache.js';
import { shownValue } from '../../config/shown-value.js';
import { getOrAbsent } from '../../upstream/lookup.js';
import type { OpenMrsClient, OpenMrsRequest } from './client.js';
import { REST } from './client.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import { isRegistryCodeType } from './location-codec.js';
import { objectAnswer } from './object-answer.js';

/**
 * Metadata the location flows look up by name: the location attribute type that holds the
 * registry code. Cached for a few minutes (it is metadata, changed by an administrator) and
 * dropped on reconfigure.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

export interface OpenMrsReference {
  /** The uuid of the registry code attribute type; a permanent error naming the setting when OpenMRS has none. */
  registryCodeType(): Promise<{ uuid: string; name: string }>;
  clear(): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createReference(client: OpenMrsClient, ttlMs = 300_000): OpenMrsReference {
  const cache = new ExpiringCache(() => ttlMs);
  return {
    registryCodeType() {
      const wanted = client.settings().registryCodeAttributeType;
      return cache.get(`attribute-type|${wanted}`, async () => {
        // by uuid: a 404 is none, an answer without a uuid is no OpenMRS answer (objectAnswer:
        // transient), not "OpenMRS has no such type" told to an operator during an outage
        const path = `${REST}/locationattributetype/${wanted}`;
        const types = UUID.test(wanted)
          ? [
              objectAnswer(
                await getOrAbsent<Json, OpenMrsRequest>(client, { path, query: { v: 'default' } }),
                path,
                wanted,
              ),
            ]
          : await client.all<Json>({ path: `${REST}/locationattributetype`, query: { q: wanted, v: 'default' } });
        const found = types.find((t) => t && t.retired !== true && isRegistryCodeType(t, wanted));
        if (!found) {
          throw makeOpenMrsError({
            system: OPENMRS,
            transient: false,
            status: 502,
            code: 'not-found',
            diagnostics: `OpenMRS has no location attribute type ${shownValue(wanted, 'name')} (openmrs.registryCodeAttributeType): create it in OpenMRS or name the one that holds the registry code`,
          });
        }
        return { uuid: String(found.uuid), name: String(found.name ?? found.display) };
      });
    },
    clear: () => cache.clear(),
  };
}
