/**
 * A facility moved under an unpublished district is written again under it once the registry
 * publishes the district, under a version of the mediator's own (`<version>+parent`). The process
 * dies (kill -9) just after that version is kept and before it is planned: the district read again
 * (a re-read page, a resend) must finish the move. Before, the kept `+parent` version no longer
 * matched the rows' version, so the facility was never written again: it stayed in its old zone.
 * Real feed routes, connectors and sandboxes, both store engines.
 */
import Fastify from 'fastify';
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import { activeMapping } from '../../../../src/config/mappings.js';
import { FACILITY_TYPES_FILE, type FacilityTypeMap } from '../../../../src/registry/propagation/facility-types.js';
import { registryFeedRoutes } from '../../../../src/registry/propagation/feed-routes.js';
import { Propagator } from '../../../../src/registry/propagation/propagator.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import type { Store } from '../../../../src/store/types.js';
import { drain, startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };

/** The rig's store, except that the process dies right after a `+parent` version is kept. */
function dyingAfterReparentKept(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'putRegistryRecordOver') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<Store['putRegistryRecordOver']>) => {
        const taken = await target.putRegistryRecordOver(...args);
        if (args[0].version.endsWith('+parent')) throw new Error('killed (-9) after the +parent version was kept');
        return taken;
      };
    },
  });
}

/** A push of the district to a process that dies mid-way (its answer is never sent). */
async function pushToDyingProcess(t: { teardown(fn: () => unknown): void }, rig: PropagationRig, body: object) {
  const propagator = new Propagator({
    store: dyingAfterReparentKept(rig.store),
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
  const res = await app.inject({
    method: 'PUT',
    url: `/registry/Location/${DISTRICT}`,
    headers: { 'content-type': 'application/fhir+json' },
    payload: body,
  });
  return res.statusCode;
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a move under a published district, killed once its version is kept, ends at the next read`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      const app = await feedApp(t, rig, ROUTING);

      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await drain(rig.store);
      const moved = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(moved, { state: 'done', unsupported: { parent: /not published/ } }, 'its parent not found yet');

      const district = location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n');
      t.not(await pushToDyingProcess(t, rig, district), 200, 'the process died mid-way');
      t.equal((await rig.store.getRegistryRecord(REGISTRY_ID))?.version, `${moved!.version}+parent`, 'kept');
      await drain(rig.store);

      // the district read again after the restart (the feed's inclusive cursor, the registry's resend)
      await push(app, district);
      await drain(rig.store);
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { state: 'done', version: `${moved!.version}+parent` },
        'written again under its own version',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'the facility is under the district');
      const others = (await rig.store.listPropagations({ registryId: REGISTRY_ID })).filter(
        (r) => r.system !== 'openlmis',
      );
      t.ok(
        others.every((r) => r.version === `${moved!.version}+parent`),
        "the other systems' outcome carried over to the version kept",
      );

      // and once only: the district once more writes nothing
      const writes = rig.writes.length;
      await push(app, district);
      await drain(rig.store);
      t.equal(rig.writes.length, writes, 'nothing written again');
    },
  );
