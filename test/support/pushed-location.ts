/**
 * Registry Locations pushed to the mediator's feed routes, for the propagation tests of a facility
 * pushed before its district: the Location as the registry pushes it, the feed routes over a
 * propagator of their own (a fresh process's, on the rig's store and outbox) and the push itself.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { activeMapping } from '../../src/config/mappings.js';
import { FACILITY_TYPES_FILE, type FacilityTypeMap } from '../../src/registry/propagation/facility-types.js';
import { registryFeedRoutes } from '../../src/registry/propagation/feed-routes.js';
import { Propagator, type PropagatorDeps } from '../../src/registry/propagation/propagator.js';
import type { FlowRouting } from '../../src/routing/rules.js';
import type { PropagationRig } from './propagation-rig.js';

const CODE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';
const MCSD_TYPES = 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types';
const SERVICE_TYPES = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** A Location as the registry pushes it (stamped a second ago). */
export function location(
  id: string,
  code: string,
  name: string,
  type: string,
  partOf: string,
): Record<string, unknown> {
  return {
    resourceType: 'Location',
    id,
    meta: { versionId: '1', lastUpdated: new Date(Date.now() - 1_000).toISOString() },
    identifier: [{ system: CODE_SYSTEM, value: code }],
    status: 'active',
    name,
    type: [
      { coding: [{ system: MCSD_TYPES, code: type }] },
      // a community health centre: OpenLMIS creates a facility only with a type it has
      ...(type === 'facility' ? [{ coding: [{ system: SERVICE_TYPES, code: 'COMM' }] }] : []),
    ],
    position: { longitude: 33.95, latitude: -11.1 },
    partOf: { reference: `Location/${partOf}` },
  };
}

/** The feed routes over a propagator of their own on the rig's store and outbox (a fresh process's). */
export async function feedApp(
  t: { teardown(fn: () => unknown): void },
  rig: PropagationRig,
  routing: FlowRouting,
  deps: Partial<PropagatorDeps> = {},
): Promise<FastifyInstance> {
  const propagator = feedPropagator(rig, routing, deps);
  const app = Fastify();
  await app.register(registryFeedRoutes, {
    propagator,
    settings: () => rig.settings,
    store: rig.store,
    registry: rig.side.registry,
  });
  t.teardown(() => app.close());
  return app;
}

/** A propagator of its own (a fresh process's) on the rig's store and outbox; `deps` replace its parts. */
export function feedPropagator(rig: PropagationRig, routing: FlowRouting, deps: Partial<PropagatorDeps> = {}) {
  return new Propagator({
    store: rig.store,
    outbox: rig.outbox,
    connectors: () => rig.connectors.list(),
    settings: () => rig.settings,
    routing: () => routing,
    types: () => activeMapping<FacilityTypeMap>(FACILITY_TYPES_FILE),
    ...deps,
  });
}

/** PUT of the Location to the feed; anything but 200 throws. */
export async function push(app: FastifyInstance, body: Record<string, unknown>): Promise<void> {
  const res = await app.inject({
    method: 'PUT',
    url: `/registry/Location/${body.id as string}`,
    headers: { 'content-type': 'application/fhir+json' },
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`push ${body.id as string}: ${res.statusCode} ${res.body}`);
}
