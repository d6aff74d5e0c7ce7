/**
 * A data manager's undo lands while a pull is planning the very change it releases: after the
 * pull read the facility's propagation row, or after it read the facility's links, and before it
 * wrote its plan. The pull's plan, made from what it read before the undo (the link rejected:
 * held), is not written over the undo's (queued, with its job): the row is written only over the
 * row the plan read (a compare-and-set on its revision), and the pull plans again from fresh
 * reads. Before, after the row's read the pull wrote 'held' over the undo's 'queued'; the undo's
 * job found it held and ended refused, and the change waited for the next pull (session 38 left
 * that window, commit 816a57e4). The interleaving is forced through the store the real
 * propagator uses (the undo's job is delivered only once the pull has tried to write); review
 * routes, connectors and the OpenLMIS sandbox are real. Both store engines; on PostgreSQL also
 * with the undo taken by a second instance on the same database (its own connection, outbox and
 * propagator), as two mediators share one.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';
import type { Propagation } from '../../../../src/store/types.js';
import type { CrosswalkRow } from '../../../../src/registry/crosswalk-types.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { jobsEnd, reviewDecisions } from '../../../support/review-decisions.js';
import { secondInstance } from '../../../support/second-instance.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const RENAMED = 'Mberewa HC (renamed)';

type Read = 'row' | 'links';

const pull = (rig: PropagationRig) =>
  propagateChanges({
    store: rig.store,
    settings: () => rig.settings,
    propagator: rig.side.propagator,
    registry: rig.side.registry,
  });

/**
 * Once armed, `land` runs right after the pull's first read of `read` for the facility (its
 * OpenLMIS row, or its links); the read returns what it read before. Returns `arm`.
 */
function landAfterRead(rig: PropagationRig, read: Read, land: () => Promise<void>): () => void {
  let armed = false;
  const fire = async () => {
    if (!armed) return;
    armed = false;
    await land();
  };
  if (read === 'row') {
    const get = rig.store.getPropagation.bind(rig.store);
    rig.store.getPropagation = async (registryId: string, system: string) => {
      const row = await get(registryId, system);
      if (registryId === REGISTRY_ID && system === 'openlmis') await fire();
      return row;
    };
  } else {
    const links = rig.store.listCrosswalkByRegistryId.bind(rig.store);
    rig.store.listCrosswalkByRegistryId = async (registryId: string): Promise<CrosswalkRow[]> => {
      const rows = await links(registryId);
      if (registryId === REGISTRY_ID) await fire();
      return rows;
    };
  }
  return () => (armed = true);
}

// one SQLite file has one mediator (its owner lock): two instances share PostgreSQL only
const CASES = engineCases().flatMap((engine) =>
  (['row', 'links'] as const).flatMap((read) =>
    (engine.name === 'postgres' ? [1, 2] : [1]).map((instances) => ({ engine, read, instances })),
  ),
);

for (const { engine, read, instances } of CASES)
  t.test(
    `${engine.name}: an undo${instances === 2 ? ' on another instance' : ''} landing after the pull read the ${read === 'row' ? 'propagation row' : 'links'} is not planned over, and the change is written once`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID, 'auto-match');
      await rig.pull();
      // the instance the data manager's decisions reach
      const decider = instances === 2 ? { ...rig, ...(await secondInstance(t, rig)) } : rig;
      const decideOn = await reviewDecisions(t, decider, 'openlmis');
      const decide = (op: string) => decideOn(lmisId, op);

      // the reviewer rejects the automatic match; the registry's rename is then held
      t.equal((await decide('reject')).statusCode, 200, 'the reject is taken');
      rig.mfr.state.rename(CODE, RENAMED);
      await pull(rig);
      const held = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(held, { state: 'held' }, 'the rename is held while the record is rejected');

      // the next pull's release of held changes plans it (the registry sends nothing new); the
      // undo lands mid-plan, and its job is delivered only once the pull has tried to write its
      // plan (or has ended)
      let undone: Awaited<ReturnType<typeof decide>> | undefined;
      let pullTried = false;
      let planned: () => void = () => undefined;
      const pullPlanned = new Promise<void>((resolve) => (planned = resolve));
      const arm = landAfterRead(rig, read, async () => {
        undone = await decide('undo');
      });
      const put = rig.store.putPropagation.bind(rig.store);
      rig.store.putPropagation = async (p: Propagation, seen?: number | null) => {
        const written = await put(p, seen);
        if (undone && p.registryId === REGISTRY_ID && p.system === 'openlmis') {
          pullTried = true;
          planned();
        }
        return written;
      };
      // either instance's worker may deliver the undo's job
      for (const store of new Set([rig.store, decider.store])) {
        const lock = store.withLock.bind(store);
        store.withLock = async <T>(name: string, fn: () => Promise<T>, opts?: { waitMs?: number }) => {
          if (name === `propagate:${REGISTRY_ID}:openlmis`) await pullPlanned;
          return lock(name, fn, opts);
        };
      }
      // armed for the pull's release of held changes (a decision releases one system's)
      const release = rig.side.propagator.releaseHeld.bind(rig.side.propagator);
      rig.side.propagator.releaseHeld = (system?: string, parents?: Set<string>) => {
        if (system === undefined && parents === undefined) arm();
        return release(system, parents);
      };
      await pull(rig);
      planned();

      t.equal(undone?.statusCode, 200, 'the undo is taken, mid-plan');
      t.match(undone?.json().row, { state: 'auto-match', registryId: REGISTRY_ID }, 'the undo links it again');
      t.ok(pullTried, 'the pull went on to write its plan after the undo');
      const key = `propagate|${REGISTRY_ID}|${held!.version}|openlmis`;
      const jobs = await jobsEnd(rig, key);
      t.same(
        jobs.map((j) => j.status),
        ['done'],
        "the undo's job writes the change: not refused as held",
      );
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), {
        state: 'done',
        version: held!.version,
        systemId: lmisId,
      });
      t.equal((await lmis.facilities!.get(lmisId))?.name, RENAMED, 'the change is written to the record');
    },
  );
