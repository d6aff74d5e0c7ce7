/**
 * A change's delivery finds its link moved (a reviewer linked the record to another registry
 * facility) and plans the change again, as a create; a newer version of the facility is kept just
 * then (a pull beside the worker), so the store refuses that plan (the newer-version guard).
 * The delivery reads the row again and ends superseded: the newer version has its own job. Before,
 * it went on with the plan never written: the older version was written to OpenLMIS (a PUT of the
 * record carrying its code, the one the reviewer had just linked to another registry facility),
 * and the row settled done for a version already superseded. Real connectors and OpenLMIS
 * sandbox, both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import { propagationKey } from '../../../../src/registry/propagation/propagator.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { jobsEnd } from '../../../support/review-decisions.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
/** The registry facility a reviewer says the OpenLMIS record is instead. */
const OTHER_ID = facilityId('LK-HC-999');
const ROUTING: FlowRouting = { default: 'openlmis' };

for (const engine of engineCases())
  t.test(
    `${engine.name}: a change planned again at delivery as a newer version is kept ends superseded, writing nothing`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID);
      await rig.pull();

      // the rename's delivery waits until the reviewer has moved the link
      let moved: () => void = () => undefined;
      const linkMoved = new Promise<void>((resolve) => (moved = resolve));
      const lock = rig.store.withLock.bind(rig.store);
      rig.store.withLock = async <T>(name: string, fn: () => Promise<T>, opts?: { waitMs?: number }) => {
        if (name === `propagate:${REGISTRY_ID}:openlmis`) await linkMoved;
        return lock(name, fn, opts);
      };
      rig.mfr.state.rename(CODE, 'Mberewa HC (1)');
      await propagateChanges({
        store: rig.store,
        settings: () => rig.settings,
        propagator: rig.side.propagator,
        registry: rig.side.registry,
      });
      const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!;
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { version: kept.version, state: 'queued' });

      // the delivery's plan of a create is about to be written when a newer version is kept
      const record = kept.record as RegistryRecord;
      let newer: string | undefined;
      const put = rig.store.putPropagation.bind(rig.store);
      rig.store.putPropagation = async (p, seen) => {
        if (p.registryId === REGISTRY_ID && p.action === 'create' && !newer) {
          newer = `${kept.version}-newer`;
          await rig.store.putRegistryRecords([
            {
              registryId: REGISTRY_ID,
              version: newer,
              changedAt: kept.changedAt + 1_000,
              record: { ...record, version: newer, facility: { ...record.facility!, name: 'Mberewa HC (2)' } },
              seenAt: Date.now(),
            },
          ]);
        }
        return put(p, seen);
      };
      await rig.link('openlmis', lmisId, OTHER_ID);
      const writes = rig.writes.length;
      moved();

      const jobs = await jobsEnd(rig, propagationKey(REGISTRY_ID, kept.version, 'openlmis'));
      t.ok(newer, 'the delivery planned the change again, as a create');
      t.equal(jobs.length, 1, 'one job');
      t.same(
        rig.writes.slice(writes).map((w) => `${w.method} ${w.url}`),
        [],
        'nothing is written to OpenLMIS for the superseded version',
      );
      const { items } = await lmis.facilities!.search({ identifier: { value: CODE } });
      t.same(
        items.filter((f) => f.kind === 'facility').map((f) => f.id),
        [lmisId],
        'one record carries the code, and no other is made',
      );
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { version: kept.version, state: 'queued' },
        'the row left for the newer version to plan',
      );
    },
  );
