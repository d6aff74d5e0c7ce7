/**
 * A registry version is kept, then planned for every system. The process dies (kill -9) right
 * after the version is kept and before its plan: a closure for absence (`<v>+absent`), a closure
 * undone (`+relisted`) or a pushed version nobody resends. The next full read must plan it.
 * Before, the full read skipped the closure as closed already and the reopening as open already,
 * and nothing read the push again: the change never reached OpenLMIS. Once planned, never twice.
 * Real feed routes, connectors and sandboxes, both store engines.
 */
import t, { type Test } from 'tap';
import { CODE, DISTRICT, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import type { Store } from '../../../../src/store/types.js';
import { drain, startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, feedPropagator, location, push } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };

type Keep = 'putRegistryRecordOver' | 'putRegistryRecords';

/** The rig's store, except that the process dies right after `keep` took a version `dies` names. */
function dyingAfterKept(store: Store, keep: Keep, dies: (version: string) => boolean): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== keep) return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: unknown[]) => {
        const taken = await (target[keep] as (...a: unknown[]) => Promise<unknown>)(...args);
        const rows = (Array.isArray(args[0]) ? args[0] : [args[0]]) as { version: string }[];
        if (rows.some((r) => dies(r.version))) throw new Error('killed (-9) after the version was kept');
        return taken;
      };
    },
  });
}

/** The facility pushed and written to OpenLMIS; its record as kept, and another the full reads list. */
async function pushed(t: Test, rig: PropagationRig) {
  const linked = await linkedInOpenLmis(rig);
  const app = await feedApp(t, rig, ROUTING);
  await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
  await drain(rig.store);
  const listed = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
  return { ...linked, listed, other: { ...listed, id: 'not-this-one' } };
}

/** The version now kept is planned and written by the next full read (`full`), and once only. */
async function plannedByNextFullRead(t: Test, rig: PropagationRig, full: RegistryRecord[], version: string) {
  t.equal((await rig.store.getRegistryRecord(REGISTRY_ID))?.version, version, 'kept before the kill');
  t.not((await rig.store.getPropagation(REGISTRY_ID, 'openlmis'))?.version, version, 'not planned');
  await rig.side.propagator.confirmAbsent(full);
  await drain(rig.store);
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { version, state: 'done' }, 'planned, written');
  const writes = rig.writes.length;
  await rig.side.propagator.confirmAbsent(full);
  await drain(rig.store);
  t.equal(rig.writes.length, writes, 'nothing written again');
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a closure for absence, killed once kept, is written by the next full read`,
    {
      skip: engine.skip,
    },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, listed, other } = await pushed(t, rig);
      const dying = feedPropagator(rig, ROUTING, {
        store: dyingAfterKept(rig.store, 'putRegistryRecordOver', (v) => v.endsWith('+absent')),
      });
      await t.rejects(dying.confirmAbsent([other]), /killed/);
      await plannedByNextFullRead(t, rig, [other], `${listed.version}+absent`);
      t.equal((await lmis.facilities!.get(lmisId))?.status, 'inactive', 'closed in OpenLMIS');
    },
  );

  t.test(
    `${engine.name}: a closure undone, killed once kept, is written by the next full read`,
    {
      skip: engine.skip,
    },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, listed, other } = await pushed(t, rig);
      t.match(await rig.side.propagator.confirmAbsent([other]), { absent: 1 });
      await drain(rig.store);
      t.equal((await lmis.facilities!.get(lmisId))?.status, 'inactive', 'closed first');
      const dying = feedPropagator(rig, ROUTING, {
        store: dyingAfterKept(rig.store, 'putRegistryRecordOver', (v) => v.endsWith('+relisted')),
      });
      await t.rejects(dying.confirmAbsent([listed]), /killed/);
      await plannedByNextFullRead(t, rig, [listed], `${listed.version}+absent+relisted`);
      t.equal((await lmis.facilities!.get(lmisId))?.status, 'active', 'open again in OpenLMIS');
    },
  );

  t.test(
    `${engine.name}: a pushed version, killed once kept and not resent, is written by the next full read`,
    {
      skip: engine.skip,
    },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId } = await pushed(t, rig);
      const renamed = { ...location(REGISTRY_ID, CODE, 'Mberewa Health Centre', 'facility', DISTRICT) };
      renamed.meta = { versionId: '2', lastUpdated: new Date().toISOString() };
      const app = await feedApp(t, rig, ROUTING, {
        store: dyingAfterKept(rig.store, 'putRegistryRecords', (v) => v === '2'),
      });
      await t.rejects(push(app, renamed), /500/, 'the process died mid-way');
      const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
      await plannedByNextFullRead(t, rig, [kept], '2');
      t.equal((await lmis.facilities!.get(lmisId))?.name, 'Mberewa Health Centre', 'renamed in OpenLMIS');
    },
  );
}
