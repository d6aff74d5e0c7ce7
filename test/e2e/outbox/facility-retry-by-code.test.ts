/**
 * An operator's retry of a given-up write of a facility is refused once a later write of the same
 * OpenLMIS facility was accepted, whatever FHIR id each names it by. Through the real mediator, the
 * OpenLMIS connector and its sandbox, on both store engines: a POST of the Location by its code
 * (its FHIR id derived from the code) meets a failing OpenLMIS until it is given up; a PUT of
 * Location/[OpenLMIS id] of the same facility is then delivered. Retried, the POST would put the
 * older name back over the PUT's (OpenLMIS's upsert finds both by the code): 409, nothing sent.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startRigOn, why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';
import { namesWritten } from '../../support/names-written.js';

const FACILITY = 'LK-HC-104';
const ADMIN_TOKEN = 'facility-retry-admin-token';

function named(read: any, name: string): any {
  const { meta: _meta, ...content } = read;
  return { ...content, name };
}

for (const engine of engineCases()) {
  t.test(
    `a dead POST by code is not retried over a later PUT by OpenLMIS id (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { OUTBOX_DEADLINE_MS: '300', OUTBOX_MAX_ATTEMPTS: '2', ADMIN_TOKEN });
      const id = rig.lmis.seed.facilities[FACILITY];
      const history = namesWritten(rig.lmis.sb.state.store.facilities, id);
      const original = history[0];
      const read = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(read.status, 200, why(read));

      const failing = rig.lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/facilities/*',
        action: { type: 'status', status: 503 },
      });
      const { id: _id, ...byCode } = named(read.body, 'First change');
      const first = await rig.fhir('POST', '/fhir/Location', byCode);
      t.ok([202, 502].includes(first.status), `the POST by code is not applied: ${why(first)}`);
      const dead = await until(
        'the POST given up',
        async () => (await rig.mediator.store.listJobs({ status: 'dead' }))[0],
        30_000,
      );
      t.not((dead.payload as { id?: string }).id, id, 'the POST names the Location by another FHIR id');
      rig.lmis.sb.faults.remove(failing.id);

      const second = await rig.fhir('PUT', `/fhir/Location/${id}`, named(read.body, 'Second change'));
      t.equal(second.status, 200, `the PUT by id is applied: ${why(second)}`);
      t.same(history, [original, 'Second change'], 'OpenLMIS holds the PUT');

      const retried = await rig.mediator.app.inject({
        method: 'POST',
        url: `/admin/outbox/jobs/${dead.id}/retry?status=dead`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-admin-user': 'Ama' },
      });
      t.equal(retried.statusCode, 409, `the retry is refused: ${retried.body}`);
      t.match(
        retried.json().issue[0].diagnostics,
        /a later write of the same record \(the same upstream object, by whatever id or code it was named\)/,
        'named as the same record, not the same resource: the two writes name the facility by different ids',
      );
      t.equal((await rig.mediator.store.getJob(dead.id))?.status, 'dead', 'left as it was');
      // a moment: a retry let through would be delivered within it (backoff 50-200 ms)
      await new Promise((r) => setTimeout(r, 2_000));
      t.same(history, [original, 'Second change'], 'the older name was not put back');
      const last = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(last.body.name, 'Second change', 'the Location reads as the last write accepted');
    },
  );
}
