/**
 * A create held for its registry parent is planned by two paths at once when the parent arrives:
 * the push's intake and the pull's release (or two instances). The later plan was made from the
 * row as held; recorded after the earlier plan's job had created the facility and settled the
 * row done, it put `queued` back over `done` and dropped the created record's id, and since its
 * job key was taken nothing ever settled the row again (PUT_PROPAGATION_SQL now keeps a delivered
 * outcome of the same version). The interleaving is made deterministic: the release reads the row
 * as held, and its plan is recorded only once the push's plan was delivered. Real feed routes,
 * connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { facilityId, jurisdictionId } from '../../../../sandbox/mfr/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import type { Propagation } from '../../../../src/store/types.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';

const CODE = 'LK-HC-779';
const REGISTRY_ID = facilityId(CODE);
const DISTRICT_CODE = 'LKL-N-TSG';
const DISTRICT = jurisdictionId(DISTRICT_CODE);
const ROUTING: FlowRouting = { default: 'openlmis' };

/** A promise and the function that settles it. */
function signal(): { done: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const done = new Promise<void>((resolve) => (fire = resolve));
  return { done, fire };
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a held create planned by a push and a release at once is created once and stays done`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const lmis = connectorOf(rig, 'openlmis');
      await rig.link('openlmis', (await idByCode(lmis, 'LK-HC-101'))!, facilityId('LK-HC-101'));
      const feed = await feedApp(t, rig, ROUTING);
      await push(feed, location(REGISTRY_ID, CODE, 'Chiwamba Clinic', 'facility', DISTRICT));
      await drain(rig.store);
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { action: 'create', state: 'held' });

      // the push's plan waits until the release has read the row as held and planned it too; the
      // release's plan is recorded only once the push's job created the facility
      const put = rig.store.putPropagation.bind(rig.store);
      const releasePlanned = signal();
      const pushDelivered = signal();
      let release: Promise<number> | undefined;
      rig.store.putPropagation = async (p: Propagation, seen?: number | null) => {
        if (p.registryId !== REGISTRY_ID || p.system !== 'openlmis' || p.state !== 'queued') return put(p, seen);
        if (!release) {
          release = rig.side.propagator.releaseHeld('openlmis');
          await releasePlanned.done;
          return put(p, seen);
        }
        releasePlanned.fire();
        await pushDelivered.done;
        return put(p, seen);
      };
      await push(feed, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      const done = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(done, { action: 'create', state: 'done' }, 'the push planned and created it');
      pushDelivered.fire();
      t.equal(await release, 0, 'the release, planned from the row as held, queued nothing');
      rig.store.putPropagation = put;
      await drain(rig.store);

      const row = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(row, { action: 'create', state: 'done', systemId: done?.systemId }, 'still done, naming the record');
      const made = (await lmis.facilities!.search({ identifier: { value: CODE } })).items;
      t.same(
        made.filter((f) => f.kind === 'facility').map((f) => f.id),
        [done?.systemId],
        'one record in OpenLMIS',
      );
    },
  );
