/**
 * Writes of one facility reach OpenLMIS in the order they were accepted, whatever FHIR id each
 * names it by. Through the real mediator, the OpenLMIS connector and its sandbox, on both store
 * engines: a POST of the Location by its code (its FHIR id derived from the code) meets a failing
 * OpenLMIS and is queued (202); a PUT of Location/[OpenLMIS id] of the same facility follows. Both
 * are the same OpenLMIS facility (its upsert finds it by code), so the PUT must wait for the POST:
 * delivered first, it would be overwritten by the POST's retry and OpenLMIS would end with the
 * older name.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startRigOn, why } from '../../support/openlmis-e2e.js';
import { namesOfTwoWrites, namesWritten } from '../../support/names-written.js';

const FACILITY = 'LK-HC-104';

/**
 * A short deadline (the failing first write answers 202 at once); its retries up to 1.5 s apart
 * while OpenLMIS still fails, so the second write is accepted and due while the first waits.
 */
const TIMINGS = { OUTBOX_DEADLINE_MS: '1000', OUTBOX_BACKOFF_BASE_MS: '1500', OUTBOX_BACKOFF_CAP_MS: '1500' };

function named(read: any, name: string): any {
  const { meta: _meta, ...content } = read;
  return { ...content, name };
}

for (const engine of engineCases()) {
  t.test(
    `a PUT by OpenLMIS id waits for a queued POST of the facility by code (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, TIMINGS);
      const id = rig.lmis.seed.facilities[FACILITY];
      const history = namesWritten(rig.lmis.sb.state.store.facilities, id);
      const original = history[0];

      const read = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(read.status, 200, why(read));
      t.ok(
        read.body.identifier.some((i: { value: string }) => i.value === FACILITY),
        'the Location carries its code',
      );
      // OpenLMIS fails until the second write is answered: the first one's retry (due within the
      // backoff, 0-1.5 s) cannot land before that check, however slow the machine
      const down = rig.lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/facilities/*',
        action: { type: 'status', status: 503 },
      });
      const { id: _id, ...byCode } = named(read.body, 'First change');
      const first = await rig.fhir('POST', '/fhir/Location', byCode);
      t.equal(first.status, 202, `the POST by code is queued by the failure: ${why(first)}`);

      const second = await rig.fhir('PUT', `/fhir/Location/${id}`, named(read.body, 'Second change'));
      t.equal(second.status, 202, `the PUT by id is queued behind the POST: ${why(second)}`);
      t.match(why(second), /earlier write of it is still waiting to be delivered to openlmis/);
      t.same(history, [original], 'nothing reached OpenLMIS yet: the PUT did not overtake the POST');
      rig.lmis.sb.faults.remove(down.id);

      t.same(
        await namesOfTwoWrites(history, 'both writes delivered'),
        ['First change', 'Second change'],
        'delivered in the order accepted, each once',
      );
      const last = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(last.body.name, 'Second change', 'the Location reads as the last write accepted');
    },
  );
}
