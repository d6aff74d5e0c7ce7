/**
 * A data manager's undo lands while a pushed change of the facility is being planned, after the
 * plan read the facility's links: planned from the links before the undo (the record rejected),
 * the change is held, and the undo's release of held changes, which ran before that hold was
 * written, found nothing held to plan. The plan then reads the links again, finds them moved and
 * plans the change again: queued and written. Before, it stayed held, saying the record was
 * rejected though the link was back, until the next pull (and with pulls off, until some other
 * decision). The push's intake is called as the feed routes call it; the undo lands through a
 * store wrapper; review routes, connectors and the OpenLMIS sandbox are real. Both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import type { CrosswalkRow } from '../../../../src/registry/crosswalk-types.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { reviewDecisions } from '../../../support/review-decisions.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const RENAMED = 'Mberewa HC (pushed)';

for (const engine of engineCases())
  t.test(
    `${engine.name}: an undo landing after a push's plan read the links: the change is planned again and written`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID, 'auto-match');
      await rig.pull();
      const decideOn = await reviewDecisions(t, rig, 'openlmis');
      const decide = (op: string) => decideOn(lmisId, op);
      t.equal((await decide('reject')).statusCode, 200, 'the reject is taken (nothing held to release)');

      // the registry pushes a rename; the undo lands right after the push's plan read the links
      let armed = true;
      let undone: Awaited<ReturnType<typeof decide>> | undefined;
      const links = rig.store.listCrosswalkByRegistryId.bind(rig.store);
      rig.store.listCrosswalkByRegistryId = async (registryId: string): Promise<CrosswalkRow[]> => {
        const rows = await links(registryId);
        if (armed && registryId === REGISTRY_ID) {
          armed = false;
          undone = await decide('undo');
        }
        return rows;
      };
      const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
      const pushed: RegistryRecord = {
        ...kept,
        version: `${kept.version}-pushed`,
        lastUpdated: new Date(Date.parse(kept.lastUpdated) + 1_000).toISOString(),
        facility: { ...kept.facility!, name: RENAMED },
      };
      const counts = await rig.side.propagator.intake([pushed]);
      t.equal(undone?.statusCode, 200, 'the undo is taken, mid-plan');
      t.match(undone?.json().row, { state: 'auto-match', registryId: REGISTRY_ID }, 'the undo links it again');
      t.match(counts, { changed: 1 }, 'the push is a new version');
      await drain(rig.store);

      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { version: pushed.version, state: 'done', systemId: lmisId },
        'not left held: planned again from the links as they are, and written',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.name, RENAMED, 'the change is written to the record');
    },
  );
