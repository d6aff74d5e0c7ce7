/**
 * A full read's closure (`<v>+absent`) or reopening (`<v>+absent+relisted`) is a version of the
 * mediator's own, kept just after the version it was made from; a push without a date, kept
 * meanwhile (after the full read's look at the store, before its write), is kept at that very
 * instant too. The version of the mediator's own is then not kept: the push stands and is written
 * everywhere. Before, it was kept over the push (its store write took a version as new as the
 * kept one), and the pushed version was written nowhere. Real feed routes, connectors and
 * sandboxes, both store engines; "meanwhile" is a store whose look at the kept versions is
 * followed by the push.
 */
import t from 'tap';
import { CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import type { Store } from '../../../../src/store/types.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, feedPropagator } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };

/** The rig's store, `meanwhile` run once right after the first look at every kept version. */
function pushedMeanwhile(store: Store, meanwhile: () => Promise<void>): Store {
  let once: (() => Promise<void>) | undefined = meanwhile;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'listRegistryRecords')
        return async () => {
          const rows = await target.listRegistryRecords();
          const run = once;
          once = undefined;
          await run?.();
          return rows;
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Every version kept, as a full read would list them, but the facility's. */
async function listedWithout(store: Store, registryId: string): Promise<RegistryRecord[]> {
  return (await store.listRegistryRecords())
    .filter((r) => r.registryId !== registryId)
    .map((r) => r.record as RegistryRecord);
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a DELETE pushed while a full read closes the facility as absent stands`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId } = await linkedInOpenLmis(rig);
      await rig.pull();
      const listed = await listedWithout(rig.store, REGISTRY_ID);
      const app = await feedApp(t, rig, ROUTING);
      rig.mfr.state.delete(CODE);
      const deleted = async () => {
        const res = await app.inject({ method: 'DELETE', url: `/registry/Location/${REGISTRY_ID}` });
        t.equal(res.statusCode, 200, `the DELETE is taken: ${res.body}`);
      };

      const found = await feedPropagator(rig, ROUTING, { store: pushedMeanwhile(rig.store, deleted) }).confirmAbsent(
        listed,
      );
      await drain(rig.store);
      t.match(found, { absent: 0 }, 'no closure of its own: the pushed DELETE closed it');
      const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.version;
      t.match(kept, /^deleted@/, 'the pushed DELETE is the version kept');
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { version: kept, action: 'deactivate', state: 'done' },
        'and the one written',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.status, 'inactive', 'closed in OpenLMIS');
    },
  );

  t.test(
    `${engine.name}: a version pushed while a full read reopens the facility stands`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId } = await linkedInOpenLmis(rig);
      await rig.pull();
      const version = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
      const others = await listedWithout(rig.store, REGISTRY_ID);
      t.match(await rig.side.propagator.confirmAbsent(others), { absent: 1 }, 'missed by a full read: closed');
      await drain(rig.store);

      // pushed without a date (the push's own path: intake of an undated version) during the next read
      const renamed: RegistryRecord = {
        id: REGISTRY_ID,
        version: 'pushed-undated',
        lastUpdated: new Date().toISOString(),
        unstamped: true,
        facility: { ...version.facility!, name: 'Mberewa Health Centre (pushed)', status: 'active' },
      };
      const pushed = async () => {
        t.match(await rig.side.propagator.intake([renamed]), { changed: 1 }, 'the push is kept');
      };
      const found = await feedPropagator(rig, ROUTING, { store: pushedMeanwhile(rig.store, pushed) }).confirmAbsent([
        ...others,
        version,
      ]);
      await drain(rig.store);
      t.match(found, { relisted: 0 }, 'no reopening of its own: the push reopened it');
      t.equal(
        (await rig.store.getRegistryRecord(REGISTRY_ID))!.version,
        renamed.version,
        'the push is the version kept',
      );
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { version: renamed.version, state: 'done' },
        'and the one written',
      );
      const record = await lmis.facilities!.get(lmisId);
      t.match(record, { name: renamed.facility!.name, status: 'active' }, 'OpenLMIS has the pushed version');
    },
  );
}
