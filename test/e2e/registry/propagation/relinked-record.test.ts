/**
 * A registry facility linked anew to another record of a system gets the registry's current
 * version in that record. Its change was done for the record linked before (A); a data manager
 * breaks that link and accepts another record (B) for the facility. Before, propagation tracked
 * what it sent by (registry facility, version, system) alone: the row said done at that version,
 * every later plan wrote nothing, and B kept its own name for good. Now the link's move plans the
 * version again for B, once: a later pull writes nothing more, and A (no longer linked) gets
 * nothing, not even a closure. The same through a run (B broken, a reconcile's link of C, the next
 * pull), and an undo linking B back writes nothing (B has the version). Real review routes,
 * connectors and the OpenLMIS sandbox, both engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { propagationKey } from '../../../../src/registry/propagation/propagator.js';
import { engineCases } from '../../../support/outbox-engines.js';
import type { Propagation } from '../../../../src/store/types.js';
import { startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { jobsEnd, reviewDecisions } from '../../../support/review-decisions.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

/** The OpenLMIS row of the facility once it matches `wanted` (the worker delivers in the background). */
async function rowBecomes(rig: PropagationRig, wanted: Partial<Propagation>): Promise<Propagation> {
  const until = Date.now() + 30_000;
  for (;;) {
    const row = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
    if (row && Object.entries(wanted).every(([k, v]) => row[k as keyof Propagation] === v)) return row;
    if (Date.now() > until) throw new Error(`propagation row is ${JSON.stringify(row)}, not ${JSON.stringify(wanted)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a facility linked anew to another record gets its current version there, once`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const { lmis, lmisId: recordA } = await linkInOpenLmis(rig, CODE, REGISTRY_ID);
      await rig.pull();
      const done = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(done, { state: 'done', systemId: recordA }, 'the version is done for record A');
      const a = (await lmis.facilities!.get(recordA))!;
      t.ok(a.position, 'the registry facility has a position');

      // records B and C: other OpenLMIS records, each under a name and position of its own
      const other = async (suffix: string) => {
        const made = await lmis.facilities!.upsert!(
          {
            ...a,
            id: undefined,
            name: `Mberewa clinic (entry ${suffix})`,
            position: { latitude: -11.5, longitude: 33.5 },
            identifiers: a.identifiers.map((i) => ({ ...i, value: `${i.value}-${suffix}` })),
          },
          { idempotencyKey: `record-${suffix}`, run: (_step, action) => action() },
        );
        return Object.values(made.ids)[0]!;
      };
      const recordB = await other('B');
      const recordC = await other('C');

      const decideOn = await reviewDecisions(t, rig, 'openlmis');
      t.equal((await decideOn(recordA, 'break')).statusCode, 200, 'A unlinked');
      await rig.link('openlmis', recordB, REGISTRY_ID, 'review');
      const accepted = await decideOn(recordB, 'accept', { registryId: REGISTRY_ID });
      t.equal(accepted.statusCode, 200, accepted.body);

      const row = await rowBecomes(rig, { state: 'done', systemId: recordB });
      t.equal(row.version, done!.version, 'the version is done for B');
      const key = `${propagationKey(REGISTRY_ID, done!.version, 'openlmis')}|${recordB}`;
      t.match(await jobsEnd(rig, key), [{ status: 'done' }], "by a job of B's own");
      const b = await lmis.facilities!.get(recordB);
      t.equal(b?.name, a.name, "B holds the registry's name");
      t.same(b?.position, a.position, "and the registry's position");
      t.match(await lmis.facilities!.get(recordA), { name: a.name, status: 'active' }, 'A is left as it was');

      // once: linked to the record it was done for, nothing more is written
      const writes = rig.writes.length;
      await rig.pull();
      t.same(rig.writes.slice(writes), [], 'a later pull writes nothing');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done', systemId: recordB });

      // a reconcile run links C instead (B broken): the next pull writes the version into C
      t.equal((await decideOn(recordB, 'break')).statusCode, 200, 'B unlinked');
      await rig.link('openlmis', recordC, REGISTRY_ID, 'auto-match');
      await rig.pull();
      await rowBecomes(rig, { state: 'done', systemId: recordC });
      t.match(
        await lmis.facilities!.get(recordC),
        { name: a.name, position: a.position },
        'C holds the registry facility',
      );
      t.match(await lmis.facilities!.get(recordB), { name: a.name, status: 'active' }, 'B is left as it was');

      // B linked back (its break undone): it has the version by its own key's job already, so nothing is written
      t.equal((await decideOn(recordC, 'break')).statusCode, 200, 'C unlinked');
      const before = rig.writes.length;
      const undone = await decideOn(recordB, 'undo');
      t.match(
        undone.json().row,
        { state: 'manual-match', registryId: REGISTRY_ID },
        "undoing B's break links it again",
      );
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done', systemId: recordB });
      t.same(rig.writes.slice(before), [], 'B, linked back, is not written again');
    },
  );
