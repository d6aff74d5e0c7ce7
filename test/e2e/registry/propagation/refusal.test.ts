/**
 * One system refuses a facility change that the others take: the others are updated once, the
 * refusal is visible with the system's reason (masked like every stored error: a server that
 * echoes the request's credentials must not put them in the store, `/admin/propagation` or
 * `cli propagation`), a repeated pull neither re-sends the refused version nor re-writes the rest,
 * and an operator's retry of the dead job, once the system takes it, lands it once.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { learnSecrets, MASK } from '../../../../src/platform/redaction.js';
import { retryOutboxJob } from '../../../../src/outbox/operator.js';
import { drain, startPropagationRig } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
// the OpenLMIS sandbox's own credentials (the rig's): what a careless server echoes back
const SECRET = 'password';
const CLIENT_SECRET = 'changeme';

t.test('a change OpenLMIS refuses: DHIS2 still updated, the refusal shown masked, a retry lands once', async (t) => {
  const rig = await startPropagationRig({ routing: { default: null } });
  t.teardown(() => rig.close());
  learnSecrets(rig.settings);
  const connector = (system: string): Connector => rig.connectors.list().find((x) => x.system === system)!;
  const idOf = async (system: string) =>
    (await connector(system).facilities!.search({ identifier: { value: CODE } })).items.find(
      (f) => f.kind === 'facility',
    )!.id!;
  const ids = { openlmis: await idOf('openlmis'), dhis2: await idOf('dhis2') };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, REGISTRY_ID);
  await rig.pull();
  rig.writes.length = 0;

  const refusal = rig.openlmis.faults.add({
    method: 'PUT',
    path: '/api/facilities/**',
    action: { type: 'echoSecrets', status: 400 },
  });
  rig.mfr.state.rename(CODE, 'Mberewa Health Centre II');
  await rig.pull();
  t.equal((await connector('dhis2').facilities!.get(ids.dhis2))?.name, 'Mberewa Health Centre II', 'DHIS2 updated');
  const row = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
  t.equal(row?.state, 'failed', 'the refusal is visible');
  t.ok(row?.reason, 'with the reason');
  for (const secret of [SECRET, CLIENT_SECRET, Buffer.from(`mediator:${SECRET}`).toString('base64')])
    t.notOk(row?.reason?.includes(secret), 'no credential in the stored reason');
  t.notMatch(row?.reason, /Bearer [0-9a-f]{8}-/, 'not the OpenLMIS access token the server echoed');
  t.ok(row?.reason?.includes(`Bearer ${MASK}`), 'it is masked');
  const [job] = await rig.store.listJobs({ system: 'openlmis', flow: 'propagate', status: 'rejected' });
  t.ok(job, 'the job is a dead letter an operator sees');

  // the next pull changes nothing: the refused version is not re-sent, DHIS2 not re-written
  const before = rig.writes.length;
  await rig.pull();
  t.equal(rig.writes.length, before, 'a repeated pull writes nothing');

  rig.openlmis.faults.remove(refusal.id);
  t.match(await retryOutboxJob(rig.store, job.id, 'ops'), { ok: true });
  await drain(rig.store);
  t.equal((await connector('openlmis').facilities!.get(ids.openlmis))?.name, 'Mberewa Health Centre II');
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done', reason: undefined });
  t.equal(
    rig.writes.filter((w) => w.system === 'openlmis' && w.method === 'PUT' && w.url.includes(ids.openlmis)).length,
    2,
    'one refused attempt, then one write',
  );
});
