/**
 * OpenMRS areas as its administrators make them (locations without the facility tag), through the
 * sandbox's REST API, and the client facility written under one: the facility-parent tests'
 * set-up (test/e2e/routing/facility-parent-*.test.ts).
 */
import { ADMIN_PASSWORD } from '../../sandbox/openmrs/index.js';
import type { PropagationRig } from './propagation-rig.js';

/** A REST call to the rig's OpenMRS as its administrator. */
export function asOpenMrsAdmin(rig: PropagationRig, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${rig.openmrs.url}/ws/rest/v1/${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** A new area location in OpenMRS named `name`: its uuid. */
export async function openMrsArea(rig: PropagationRig, name: string): Promise<string> {
  const res = await asOpenMrsAdmin(rig, 'POST', 'location', { name });
  if (res.status !== 201) throw new Error(`OpenMRS location ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { uuid: string }).uuid;
}

/** A client's facility (domain value) whose parent is `partOf`, as a secondary job carries it. */
export const facilityUnder = (partOf: string) => ({
  identifiers: [],
  name: 'Client clinic',
  status: 'active' as const,
  kind: 'facility' as const,
  partOf,
});
