/**
 * A registry change whose outbox job gave up (dead: OpenLMIS answered 503 to every attempt) is
 * shown failed by `/admin/propagation`'s item, so its counts and its `state` filter say so too:
 * before, the counts (read from the rows alone) still said `queued: 1` and `?state=failed` did not
 * list it, while the item beside them said failed. Through the propagation rig (registry, OpenLMIS
 * and DHIS2 sandboxes, the real store, outbox and worker), on both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { propagationStatus } from '../../../../src/registry/propagation/status.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

for (const engine of engineCases()) {
  t.test(`a change whose job is dead counts as failed (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine, { routing: { default: null }, maxAttempts: 2 });
    const connector = (system: string): Connector => rig.connectors.list().find((x) => x.system === system)!;
    const idOf = async (system: string) =>
      (await connector(system).facilities!.search({ identifier: { value: CODE } })).items.find(
        (f) => f.kind === 'facility',
      )!.id!;
    for (const system of ['openlmis', 'dhis2']) await rig.link(system, await idOf(system), REGISTRY_ID);
    await rig.pull();

    rig.openlmis.faults.add({ method: 'PUT', path: '/api/facilities/**', action: { type: 'status', status: 503 } });
    rig.mfr.state.rename(CODE, 'Mberewa Health Centre II');
    await rig.pull();
    await drain(rig.store);
    const [dead] = await rig.store.listJobs({ system: 'openlmis', flow: 'propagate', status: 'dead' });
    t.ok(dead, 'the change to OpenLMIS is a dead letter');
    t.equal((await rig.store.getPropagation(REGISTRY_ID, 'openlmis'))?.state, 'queued', 'its row still says queued');

    const status = await propagationStatus(rig.store, { system: 'openlmis' });
    t.equal(status.items.find((i) => i.registryId === REGISTRY_ID)?.state, 'failed', 'the item is failed');
    t.equal(status.counts.openlmis?.failed, 1, 'and counted failed');
    t.notOk(status.counts.openlmis?.queued, 'not queued');
    t.equal(status.counts.dhis2?.done, 1, 'DHIS2 took it');
    const failed = await propagationStatus(rig.store, { state: 'failed' });
    t.same(
      failed.items.map((i) => [i.registryId, i.system]),
      [[REGISTRY_ID, 'openlmis']],
      'the failed filter lists it',
    );
    t.same((await propagationStatus(rig.store, { state: 'queued' })).items, [], 'the queued filter does not');

    // a queued change whose job is not made yet (no job holds its key) stays queued
    await rig.store.putPropagation({
      registryId: 'reg-no-job-yet',
      system: 'openlmis',
      version: '1',
      action: 'update',
      state: 'queued',
      updatedAt: Date.now(),
    });
    const queued = await propagationStatus(rig.store, { state: 'queued' });
    t.same(
      queued.items.map((i) => i.registryId),
      ['reg-no-job-yet'],
      'the queued filter lists a change with no job',
    );
    t.equal(queued.counts.openlmis?.queued, 1, 'counted queued');
    t.equal(queued.counts.openlmis?.failed, 1, 'beside the failed one');
    t.same(
      (await propagationStatus(rig.store, { state: 'done' })).items.map((i) => i.system),
      ['dhis2'],
      'other states filter as stored',
    );
  });
}
