/**
 * A review decision that takes a link back (reject of an automatic match) is followed by the
 * propagation already planned over that link: a registry change queued as an update of the
 * rejected record is not written into it; it is planned again from the crosswalk (here held: the
 * record still carries the facility's code, and the reason says who rejected it and what a data
 * manager can do) and its job ends, refused, instead of looking again every minute for a decision
 * that may be days away; an operator's retry of that job writes nothing either. Undoing the reject
 * puts the link back, and the same change is then written to that record at once, by a new job of
 * the same key. Before, the queued job wrote the registry facility into the record the data
 * manager had just rejected; then (session 27) the job stayed pending, rechecked every 60 s, and
 * that recheck, or a retry, wrote the held change into the rejected record after all (a create by
 * its code). Real review routes, connectors and the OpenLMIS sandbox, both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';
import type { OutboxJob, Propagation } from '../../../../src/store/types.js';
import { propagationStatus } from '../../../../src/registry/propagation/status.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { jobsEnd, reviewDecisions } from '../../../support/review-decisions.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

/** The one job of `key` once it is neither pending nor in flight. */
const jobEnds = async (rig: PropagationRig, key: string): Promise<OutboxJob> => (await jobsEnd(rig, key))[0];

/** The job that took over `key` once an attempt of it has failed (it waits to retry). */
async function newJobTried(rig: PropagationRig, key: string): Promise<OutboxJob> {
  const until = Date.now() + 30_000;
  for (;;) {
    const job = (await rig.store.findJobsByKey(key)).find((j) => !j.supersededBy && j.status === 'pending');
    if (job && job.attempts > 0) return job;
    if (Date.now() > until) throw new Error(`no retrying job of ${key}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Until the OpenLMIS row of the facility matches `wanted` (the worker delivers in the background). */
async function rowBecomes(rig: PropagationRig, wanted: Partial<Propagation>): Promise<Propagation | undefined> {
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
    `${engine.name}: a change planned over a link a reviewer rejects waits, and is written once the reject is undone`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID, 'auto-match');
      await rig.pull();
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done', systemId: lmisId });
      const before = (await lmis.facilities!.get(lmisId))!.name;

      const decideOn = await reviewDecisions(t, rig, 'openlmis');
      const decide = (op: string) => decideOn(lmisId, op);

      // the registry renames the facility; its update of the linked record is planned, and the
      // data manager rejects the automatic match just before that plan is recorded
      rig.mfr.state.rename(CODE, 'Mberewa HC (renamed)');
      const put = rig.store.putPropagation.bind(rig.store);
      let rejected: Awaited<ReturnType<typeof decide>> | undefined;
      rig.store.putPropagation = async (p: Propagation, seen?: number | null) => {
        if (!rejected && p.system === 'openlmis' && p.registryId === REGISTRY_ID && p.state === 'queued')
          rejected = await decide('reject');
        return put(p, seen);
      };
      await propagateChanges({
        store: rig.store,
        settings: () => rig.settings,
        propagator: rig.side.propagator,
        registry: rig.side.registry,
      });
      rig.store.putPropagation = put;
      t.equal(rejected?.statusCode, 200, 'the reject is taken');
      t.match(rejected?.json().row, { state: 'no-match', rejectedRegistryIds: [REGISTRY_ID] });
      t.notOk(rejected?.json().row.registryId, 'the reject unlinks the record');

      const held = await rowBecomes(rig, { state: 'held' });
      t.match(
        held?.reason,
        new RegExp(
          `record ${lmisId} carries the same code, and amina said on .+ it is not this facility \\(rejected\\)`,
        ),
        'held, saying who said the record is another facility',
      );
      t.match(
        held?.reason,
        /link the record that is this facility \(review API: accept\), or give .+ another code in openlmis/,
      );
      t.equal((await lmis.facilities!.get(lmisId))?.name, before, 'the rejected record is not written');
      const key = `propagate|${REGISTRY_ID}|${held!.version}|openlmis`;
      const job = await jobEnds(rig, key);
      t.equal(job.status, 'rejected', 'its job ends: no poll for the decision');
      t.match(job.lastError ?? job.error?.issues[0]?.diagnostics, /no longer linked .+ held until a person decides/);
      const shown = (await propagationStatus(rig.store, { state: 'held', system: 'openlmis' })).items.find(
        (i) => i.registryId === REGISTRY_ID,
      );
      t.match(shown, { registryId: REGISTRY_ID, state: 'held' }, 'listed as held, not failed');

      // an operator retries the ended job (or, before, its wait ran out): still nothing is written
      await rig.store.requeueJob(
        job.id,
        { actor: 'op', action: 'outbox.retry', subject: `outbox/${job.id}` },
        Date.now(),
      );
      t.equal((await jobEnds(rig, key)).status, 'rejected', 'the retry ends the same way');
      t.equal((await lmis.facilities!.get(lmisId))?.name, before, 'the rejected record is still not written');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'held' });

      // OpenLMIS is down when the undo sends the change: its new job retries
      const down = rig.openlmis.faults.add({
        method: 'PUT',
        path: `/api/facilities/${lmisId}`,
        action: { type: 'status', status: 503 },
      });
      const undone = await decide('undo');
      t.equal(undone.statusCode, 200, undone.body);
      t.match(undone.json().row, { state: 'auto-match', registryId: REGISTRY_ID }, 'the undo links it again');
      const retrying = await newJobTried(rig, key);
      const queued = (await propagationStatus(rig.store, { system: 'openlmis' })).items.find(
        (i) => i.registryId === REGISTRY_ID,
      );
      t.match(
        queued,
        { state: 'queued', jobId: retrying.id, jobStatus: /^(pending|in-flight)$/ },
        'listed with its new job, retrying, not as the ended one (failed)',
      );
      rig.openlmis.faults.remove(down.id);
      await rig.store.requeueJob(
        retrying.id,
        { actor: 'op', action: 'outbox.retry', subject: `outbox/${retrying.id}` },
        Date.now(),
      );
      await rowBecomes(rig, { state: 'done', version: held!.version });
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { action: 'update', systemId: lmisId });
      t.equal((await lmis.facilities!.get(lmisId))?.name, 'Mberewa HC (renamed)', 'then the change is written to it');
      // the row is settled inside the delivery, its job ended just after
      const jobs = await jobsEnd(rig, key);
      t.same(jobs.map((j) => j.status).sort(), ['done', 'rejected'], 'by a new job of that key, the ended one kept');
    },
  );
