/**
 * One change that reaches the mediator twice, pushed to the feed (`PUT /registry/Location/:id`,
 * as an mCSD Care Services Feed source sends it: without meta, which the receiver assigns) and
 * pulled from the registry's history: each system gets it once, whichever comes first; and the
 * push, dated by this machine's clock, does not make the registry's later versions look older
 * when the registry's clock runs behind. Real connectors and sandboxes, both store engines.
 */
import t, { type Test } from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { drain, startPropagationRigOn, type RigOptions } from '../../../support/propagation-rig.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';
import { registryFeedApp } from '../../../support/registry-feed-app.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];

/** A rig on a fresh database, CODE linked in three systems, and the feed routes in front of it. */
async function feedRig(t: Test, engine: EngineCase, options: RigOptions = {}) {
  const rig = await startPropagationRigOn(t, engine, { ...options, routing: { default: null } });
  const app = await registryFeedApp(t, rig);
  const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
  /** The registry's current Location, pushed as a feed source sends it (no meta). */
  const push = async () => {
    const { meta: _meta, ...location } = rig.mfr.state.latest('Location', REGISTRY_ID)!.resource!;
    const res = await app.inject({
      method: 'PUT',
      url: `/registry/Location/${REGISTRY_ID}`,
      headers: { 'content-type': 'application/fhir+json' },
      payload: location,
    });
    t.equal(res.statusCode, 200, res.body);
    await drain(rig.store);
  };
  const names = async (): Promise<Record<string, string | undefined>> =>
    Object.fromEntries(
      await Promise.all(
        SYSTEMS.map(async (s) => [s, (await connectorOf(rig, s).facilities!.get(ids[s]))?.name] as const),
      ),
    );
  const everywhere = (name: string): Record<string, string | undefined> =>
    Object.fromEntries(SYSTEMS.map((s) => [s, name]));
  const systemWrites = () => rig.writes.filter((w) => SYSTEMS.includes(w.system ?? ''));
  return { rig, push, names, everywhere, systemWrites };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: pushed, then pulled from a registry an hour behind: once, and its next change arrives`,
    { skip: engine.skip },
    async (t) => {
      const { rig, push, names, everywhere, systemWrites } = await feedRig(t, engine, {
        mfr: { state: { now: () => Date.now() - 3_600_000 } },
      });
      rig.mfr.state.rename(CODE, 'Mberewa HC (pushed)');
      await push();
      t.same(await names(), everywhere('Mberewa HC (pushed)'), 'the push reached every system');
      rig.writes.length = 0;
      await rig.pull();
      t.same(systemWrites(), [], 'the same change pulled writes nothing more');
      rig.mfr.state.rename(CODE, 'Mberewa HC (later)');
      await rig.pull();
      t.same(await names(), everywhere('Mberewa HC (later)'), "the registry's next change reaches every system");
      for (const system of SYSTEMS)
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { state: 'done', version: '3' });
    },
  );

  t.test(
    `${engine.name}: pulled, then the same change pushed: nothing written twice`,
    { skip: engine.skip },
    async (t) => {
      const { rig, push, names, everywhere, systemWrites } = await feedRig(t, engine);
      rig.mfr.state.rename(CODE, 'Mberewa HC (pulled)');
      await rig.pull();
      t.same(await names(), everywhere('Mberewa HC (pulled)'));
      rig.writes.length = 0;
      await push();
      t.same(systemWrites(), [], 'the push of a change every system has writes nothing');
      for (const system of SYSTEMS)
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { state: 'done', action: 'update' });
    },
  );
}
