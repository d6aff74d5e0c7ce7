/**
 * Writes of one facility reach the system in the order they were accepted. Through the real
 * mediator, the OpenLMIS connector and its sandbox, on both store engines: the first PUT of a
 * Location meets a failing OpenLMIS and is queued (202, retried after a backoff); a second PUT of
 * it, accepted while the first still waits, must not be delivered before it: otherwise the first
 * one's retry lands last and OpenLMIS ends with the older name. The second is queued behind the
 * first (202), the worker delivers the first, then the second, and the Location reads as the
 * second.
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
    `a facility's second write waits for its first, queued by a failure (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, TIMINGS);
      const id = rig.lmis.seed.facilities[FACILITY];
      const history = namesWritten(rig.lmis.sb.state.store.facilities, id);
      const original = history[0];

      // OpenLMIS fails until the second write is answered: the first one's retry (due within the
      // backoff, 0-1.5 s) cannot land before that check, however slow the machine
      const down = rig.lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/facilities/*',
        action: { type: 'status', status: 503 },
      });
      const read = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(read.status, 200, why(read));
      const first = await rig.fhir('PUT', `/fhir/Location/${id}`, named(read.body, 'First change'));
      t.equal(first.status, 202, `the first write is queued by the failure: ${why(first)}`);

      const pending = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(pending.body.name, 'First change', 'the queued write reads back as written');
      const second = await rig.fhir('PUT', `/fhir/Location/${id}`, named(pending.body, 'Second change'));
      t.equal(second.status, 202, `the second write is queued behind the first: ${why(second)}`);
      t.match(why(second), /earlier write of it is still waiting to be delivered to openlmis/);
      t.same(history, [original], 'nothing reached OpenLMIS yet: the second did not overtake the first');
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
