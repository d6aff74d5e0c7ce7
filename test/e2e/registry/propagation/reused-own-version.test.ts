/**
 * A push of `<v>` while the version kept is the mediator's own of it (`<v>+parent`: written again
 * under a district published since; `<v>+absent`: closed as missing from a full read) answers as
 * a push of the kept version does: the same content is a resend (200, "already as kept", nothing
 * queued again, the status of a closure for absence being the mediator's); other content under
 * `<v>` is a 409 naming the fields. Before, the reuse check compared only the exact version kept,
 * and other content under `<v>` was answered 200 "already as kept" and reached no system.
 * Real feed routes, connectors and sandboxes, both store engines.
 */
import t, { type Test } from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';
import type { FastifyInstance } from 'fastify';

const ROUTING: FlowRouting = { default: 'openlmis' };

/** The Location pushed again: its answer, once every job it made (none, for a resend) is done. */
async function pushAgain(rig: PropagationRig, app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({
    method: 'PUT',
    url: `/registry/Location/${REGISTRY_ID}`,
    headers: { 'content-type': 'application/fhir+json' },
    payload: body,
  });
  await drain(rig.store);
  return res;
}

/** Same content, a resend; other content under the same version, refused; nothing queued by either. */
async function resendAndReuse(
  t: Test,
  rig: PropagationRig,
  app: FastifyInstance,
  body: Record<string, unknown>,
  kept: string,
) {
  const jobs = (await rig.store.listJobs({ flow: 'propagate' })).length;
  const resend = await pushAgain(rig, app, body);
  t.equal(resend.statusCode, 200, `a resend of the version ${kept} was made from`);
  t.match(resend.json().issue[0].diagnostics, /already as kept/);
  const reused = await pushAgain(rig, app, { ...body, name: 'Mberewa HC (edited, same version)' });
  t.equal(reused.statusCode, 409, 'other content under that version is refused');
  t.match(reused.json().issue[0], {
    code: 'conflict',
    diagnostics: new RegExp(`the version kept \\(as ${kept.replace(/\+/g, '\\+')}\\), but its name differ`),
  });
  t.equal((await rig.store.getRegistryRecord(REGISTRY_ID))!.version, kept, 'the version kept stands');
  t.equal((await rig.store.listJobs({ flow: 'propagate' })).length, jobs, 'nothing queued again');
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: a push of <v> while <v>+parent is kept`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
    await linkedInOpenLmis(rig);
    const app = await feedApp(t, rig, ROUTING);
    const body = location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT);
    await push(app, body);
    await drain(rig.store); // written in the old zone, its parent reported unpublished
    await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
    await drain(rig.store);
    const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.version;
    t.equal(kept, '1+parent', 'moved under the district by a version of its own');
    await resendAndReuse(t, rig, app, body, kept);
  });

  t.test(`${engine.name}: a push of <v> while <v>+absent is kept`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
    await linkedInOpenLmis(rig);
    const app = await feedApp(t, rig, ROUTING);
    const body = location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', 'jur-lkl-n-mbr');
    await push(app, body);
    await drain(rig.store);
    const listed = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
    t.match(await rig.side.propagator.confirmAbsent([{ ...listed, id: 'not-this-one' }]), { absent: 1 });
    await drain(rig.store);
    const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.version;
    t.equal(kept, '1+absent', 'closed by a version of its own');
    await resendAndReuse(t, rig, app, body, kept);
  });
}
