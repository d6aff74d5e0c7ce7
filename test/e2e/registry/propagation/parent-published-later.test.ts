/**
 * A registry facility pushed before its district: OpenLMIS (a zone) and DHIS2 (a parent org unit)
 * cannot create it yet, so its create waits (held, naming the parent) instead of failing for good;
 * once the registry publishes the district, the facility is created under it in both, exactly
 * once. Before, the create failed and nothing sent it again until the facility itself changed or
 * an operator retried. The district arrives through a second propagator over the same store (a
 * restart: what waits is in the store, not in memory). Real feed routes, connectors and
 * sandboxes, both store engines.
 */
import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { facilityId, jurisdictionId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { activeMapping } from '../../../../src/config/mappings.js';
import { FACILITY_TYPES_FILE, type FacilityTypeMap } from '../../../../src/registry/propagation/facility-types.js';
import { registryFeedRoutes } from '../../../../src/registry/propagation/feed-routes.js';
import { Propagator } from '../../../../src/registry/propagation/propagator.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-778';
const REGISTRY_ID = facilityId(CODE);
const DISTRICT_CODE = 'LKL-N-TSG';
const DISTRICT = jurisdictionId(DISTRICT_CODE);
const CODE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';
const MCSD_TYPES = 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types';
const SERVICE_TYPES = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const ROUTING: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] };
const AREA_SYSTEMS = ['openlmis', 'dhis2'];

/** A Location as the registry pushes it (stamped a second ago). */
function location(id: string, code: string, name: string, type: string, partOf: string): Record<string, unknown> {
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
async function feedApp(t: { teardown(fn: () => unknown): void }, rig: PropagationRig): Promise<FastifyInstance> {
  const propagator = new Propagator({
    store: rig.store,
    outbox: rig.outbox,
    connectors: () => rig.connectors.list(),
    settings: () => rig.settings,
    routing: () => ROUTING,
    types: () => activeMapping<FacilityTypeMap>(FACILITY_TYPES_FILE),
  });
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

async function push(app: FastifyInstance, body: Record<string, unknown>): Promise<void> {
  const res = await app.inject({
    method: 'PUT',
    url: `/registry/Location/${body.id as string}`,
    headers: { 'content-type': 'application/fhir+json' },
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`push ${body.id as string}: ${res.statusCode} ${res.body}`);
}

/** The system's facilities carrying the code. */
async function madeIn(rig: PropagationRig, system: string) {
  const { items } = await connectorOf(rig, system).facilities!.search({ identifier: { value: CODE } });
  return items.filter((f) => f.kind === 'facility');
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a facility pushed before its district is created under it once the district is published`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      // each system reconciled (one linked facility), and the registry never read: no district known
      for (const system of AREA_SYSTEMS)
        await rig.link(system, (await idByCode(connectorOf(rig, system), 'LK-HC-101'))!, facilityId('LK-HC-101'));
      await rig.link('openmrs', LOC.mwangaza, facilityId('LK-HC-101'));

      await push(await feedApp(t, rig), location(REGISTRY_ID, CODE, 'Kachere Clinic', 'facility', DISTRICT));
      await drain(rig.store);
      for (const system of AREA_SYSTEMS) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.match(row, { action: 'create', state: 'held' }, `${system}: the create waits for its district`);
        t.match(row?.reason, new RegExp(`registry parent ${DISTRICT}.*not published`), `${system}: naming it`);
        t.equal((await madeIn(rig, system)).length, 0, `${system} made nothing yet`);
      }

      // the district, pushed later through another propagator (a restarted mediator)
      const restarted = await feedApp(t, rig);
      const district = location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n');
      await push(restarted, district);
      await drain(rig.store);
      for (const system of AREA_SYSTEMS) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.match(row, { action: 'create', state: 'done' }, `${system}: created once the district is published`);
        t.notOk(row?.unsupported?.parent, `${system}: with its parent found`);
        const made = await madeIn(rig, system);
        t.equal(made.length, 1, `${system}: one record`);
        const area = await idByCode(connectorOf(rig, system), DISTRICT_CODE, 'area');
        t.ok(area, `${system} keeps the district as an area`);
        t.equal(made[0]?.partOf, area, `${system}: under the district`);
        t.equal(made[0]?.id, row?.systemId, `${system}: the record the row names`);
      }

      // planned again (the propagate run's release, the district pushed again): nothing more is written
      const writes = rig.writes.length;
      await rig.side.propagator.releaseHeld();
      await push(restarted, district);
      await drain(rig.store);
      t.equal(rig.writes.length, writes, 'nothing written again');
      for (const system of AREA_SYSTEMS) t.equal((await madeIn(rig, system)).length, 1, `${system}: still one record`);
    },
  );
}
